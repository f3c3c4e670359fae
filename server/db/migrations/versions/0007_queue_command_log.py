"""The queue's commands since its last snapshot, in their own rows.

Until now the whole queue (every turn of the day and twenty undo copies) was rewritten
after each command, so a command cost more as the day went on. Now a command adds one
small row; the whole state is stored every few dozen versions, and the rows it covers
are deleted then (server/queue/service.py).

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

from server.db.models import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_command",
        sa.Column("conference_id", sa.Integer(),
                  sa.ForeignKey("conference.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("command", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("at", UtcDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("queue_command")
