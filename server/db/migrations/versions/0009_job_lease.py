"""Leases of background jobs: which process of a province runs each job group.

One row per job group (``server/leases.py``): the process holding it, until when, and
since when. A process renews its row while it runs the jobs; another takes the row
once it has expired.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

from server.db.models import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_lease",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("taken_at", UtcDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_lease")
