"""Follow-up: the record of deadline reminders sent by e-mail (at most once a day each).

Revision ID: 0004
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

import server.db.models

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item_key", sa.String(length=120), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recipients", sa.String(length=1000), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", server.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("commune_id", "day", "item_key", "channel"),
    )
    with op.batch_alter_table("reminder_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_log_commune_id"), ["commune_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_log_commune_id"))
    op.drop_table("reminder_log")
