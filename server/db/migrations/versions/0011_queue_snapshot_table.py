"""The queue's stored state in a table of its own, out of the conference row.

Every queue command updates the conference row (its queue version). With the whole
queue in the same row (hundreds of kilobytes late in a long day), SQLite read past it to
reach the columns after it and compared it page by page when rewriting the row, so a
command cost more the longer the day had been. The state now lives in
``queue_snapshot``, written every few dozen versions (server/queue/service.py).

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_snapshot",
        sa.Column("conference_id", sa.Integer(),
                  sa.ForeignKey("conference.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("state", sa.JSON(), nullable=False),
    )
    op.execute("INSERT INTO queue_snapshot (conference_id, state) "
               "SELECT id, queue_state FROM conference WHERE queue_state IS NOT NULL")
    # in place on both databases (SQLite 3.35 and later; no table rebuild, which SQLite
    # refuses for a table others refer to while foreign keys are on)
    op.execute("ALTER TABLE conference DROP COLUMN queue_state")


def downgrade() -> None:
    op.add_column("conference", sa.Column("queue_state", sa.JSON(), nullable=True))
    op.execute("UPDATE conference SET queue_state = (SELECT state FROM queue_snapshot "
               "WHERE queue_snapshot.conference_id = conference.id)")
    op.drop_table("queue_snapshot")
