"""Widen the text columns narrower than the rules that fill them (server/domain/limits.py):
a turn's id (100, and every column referring to it), a turn's topic (1,000), who did
something in the audit log and on a bulletin (300), and the audit log's entity id (100,
it holds turn ids).

The widths are written out here, not read from server/domain/limits.py: a revision is
what it was the day it was written.

SQLite keeps no length on VARCHAR, so there the tables are only rebuilt (batch mode) to
say what the models say. Rebuilding a table other tables refer to needs foreign keys off,
which SQLite allows only between transactions; and rebuilding the audit log drops its
append-only triggers, which are put back.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, column, old width, new width, nullable); parents before the columns referring to them
WIDENED = (
    ("speaking_turn", "id", 40, 100, False),
    ("speaking_turn", "topic", 500, 1000, False),
    ("answer", "turn_id", 40, 100, True),
    ("turn_petition", "turn_id", 40, 100, False),
    ("transcript_segment", "turn_id", 40, 100, False),
    ("recording", "turn_id", 40, 100, True),
    ("audit_event", "actor", 200, 300, False),
    ("audit_event", "entity_id", 40, 100, False),
    ("bulletin", "created_by", 200, 300, False),
)


def _alter(widths: dict[tuple[str, str], tuple[int, int]]) -> None:
    """Change each (table, column) from the first width to the second, a table at a time."""
    tables: dict[str, list[tuple[str, int, int, bool]]] = {}
    for table, column, _, _, nullable in WIDENED:
        frm, to = widths[(table, column)]
        tables.setdefault(table, []).append((column, frm, to, nullable))
    for table, columns in tables.items():
        with op.batch_alter_table(table) as batch:
            for column, frm, to, nullable in columns:
                batch.alter_column(column, existing_type=sa.String(length=frm),
                                   type_=sa.String(length=to), existing_nullable=nullable)


def _sqlite_flag(bind: sa.Connection, pragma: str) -> bool:
    return bool(bind.exec_driver_sql(f"PRAGMA {pragma}").scalar())


def _sqlite_foreign_keys(bind: sa.Connection, on: bool) -> None:
    """Switch foreign key enforcement, ending the open transaction first if need be (an
    earlier revision of the same upgrade, or this one's table copies, wrote in it)."""
    bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if _sqlite_flag(bind, "foreign_keys") != on:
        bind.exec_driver_sql("COMMIT")
        bind.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _sqlite_audit_triggers(bind: sa.Connection) -> None:
    """The append-only triggers of revision 0002 (dropped with the rebuilt table)."""
    for verb in ("UPDATE", "DELETE"):
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS audit_event_no_{verb.lower()}")
        bind.exec_driver_sql(
            f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
        )


def _run(widths: dict[tuple[str, str], tuple[int, int]]) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        _alter(widths)
        return
    enforced = _sqlite_flag(bind, "foreign_keys")
    if enforced:
        _sqlite_foreign_keys(bind, False)
    _alter(widths)
    _sqlite_audit_triggers(bind)
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
    if enforced:
        _sqlite_foreign_keys(bind, True)


def upgrade() -> None:
    _run({(t, c): (old, new) for t, c, old, new, _ in WIDENED})


def downgrade() -> None:
    # Fails on PostgreSQL if a longer text was stored meanwhile: shorten it first.
    _run({(t, c): (new, old) for t, c, old, new, _ in WIDENED})
