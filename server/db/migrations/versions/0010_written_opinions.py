"""Written opinions from the phone page: a petition may wait for the secretary's review.

A citizen who does not want to speak writes an opinion on the phone (ý kiến bằng văn
bản); it becomes a petition of source "written" that the secretary reviews (field,
wording) before it is handled like any other.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # added in place on both databases (no table rebuild, which SQLite refuses for a
    # table others refer to while foreign keys are on)
    op.add_column("petition", sa.Column("needs_review", sa.Boolean(), nullable=False,
                                        server_default=sa.false()))


def downgrade() -> None:
    # SQLite (3.35 and later) and PostgreSQL drop a column in place
    op.execute("ALTER TABLE petition DROP COLUMN needs_review")
