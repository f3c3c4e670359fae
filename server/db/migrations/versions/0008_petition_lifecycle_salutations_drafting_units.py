"""Documents a clerk signs without editing:

- ``petition.resolved_on``: the local day a petition was marked resolved, stored instead
  of being read from the row's last change; filled for the petitions already resolved
  from that last change (the best record there was);
- ``participant.salutation`` and ``petition.salutation``: how the person is addressed
  ("Ông", "Bà", "đồng chí", a free title; empty: the name alone);
- ``commune.drafting_units``: the drafting unit's code in letters' numbers and in
  "Lưu: VT, VP." (``{"default": "VP", "reply": "ĐC"}``).

The widths are written out here, not read from server/domain/limits.py: a revision is
what it was the day it was written.

Revision ID: 0008
Revises: 0007
"""
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import server.db.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SALUTATION = 50
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def upgrade() -> None:
    op.add_column("petition", sa.Column("resolved_on", sa.Date(), nullable=True))
    for table in ("petition", "participant"):
        op.add_column(table, sa.Column("salutation", sa.String(length=SALUTATION), nullable=False,
                                       server_default=""))
    op.add_column("commune", sa.Column("drafting_units", sa.JSON(), nullable=False,
                                       server_default=sa.text("'{}'")))
    petition = sa.table("petition", sa.column("id", sa.Integer()), sa.column("status", sa.String()),
                        sa.column("updated_at", server.db.models.UtcDateTime(timezone=True)),
                        sa.column("resolved_on", sa.Date()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(petition.c.id, petition.c.updated_at)
                        .where(petition.c.status == "resolved")).all()
    for pid, changed in rows:
        if changed is not None:
            bind.execute(petition.update().where(petition.c.id == pid)
                         .values(resolved_on=changed.astimezone(LOCAL_TZ).date()))


def downgrade() -> None:
    # Both SQLite (3.35 and later) and PostgreSQL drop a column in place; no table rebuild.
    for table, column in (("commune", "drafting_units"), ("participant", "salutation"),
                          ("petition", "salutation"), ("petition", "resolved_on")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
