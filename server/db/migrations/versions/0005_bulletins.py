"""Broadcast bulletins (Decree 49/2024): recorded readings of the answers, scheduled and played
through the broadcast.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

import server.db.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("audio_path", sa.String(length=500), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("recording_id", sa.Integer(), nullable=True),
        sa.Column("play_at", server.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("played_at", server.db.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", server.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["commune_id"], ["commune.id"]),
        sa.ForeignKeyConstraint(["conference_id"], ["conference.id"]),
        sa.ForeignKeyConstraint(["recording_id"], ["recording.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulletin_commune_id"), ["commune_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bulletin_conference_id"), ["conference_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bulletin_play_at"), ["play_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_bulletin_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_status"))
        batch_op.drop_index(batch_op.f("ix_bulletin_play_at"))
        batch_op.drop_index(batch_op.f("ix_bulletin_conference_id"))
        batch_op.drop_index(batch_op.f("ix_bulletin_commune_id"))
    op.drop_table("bulletin")
