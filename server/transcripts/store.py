"""Turn transcripts in the database: a person's edit (compare-and-set on the
revision), a confirmation, a machine draft. Each change is one atomic UPDATE, so
two writers never overwrite each other silently, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.commands import audit
from server.db.models import SpeakingTurn, TranscriptSegment, User, utcnow
from server.domain.text import search_key
from server.transcripts.rules import HUMAN, MACHINE, draft_decision

AUDIT_FIELDS = ("text", "origin", "confirmed", "revision")


class TranscriptView(BaseModel):
    """A turn's transcript as the API returns it."""

    turn_id: str
    conference_id: int
    text: str
    machine_text: str
    origin: str
    confirmed: bool
    revision: int
    engine: str
    updated_by: str | None
    updated_at: datetime | None

    def event(self) -> dict[str, Any]:
        """The `transcript:updated` payload."""
        return {k: v for k, v in self.model_dump(mode="json").items()
                if k in ("turn_id", "conference_id", "text", "origin", "confirmed", "revision",
                         "updated_by", "updated_at", "machine_text", "engine")}


class EditConflict(Exception):
    def __init__(self, current: TranscriptView) -> None:
        super().__init__("edit conflict")
        self.current = current


async def load(db: AsyncSession, turn: SpeakingTurn) -> TranscriptView:
    """The turn's transcript; an empty one at revision 0 when nothing was written yet."""
    row = (await db.execute(
        select(TranscriptSegment, User.full_name).outerjoin(User, User.id == TranscriptSegment.updated_by)
        .where(TranscriptSegment.turn_id == turn.id)
        .execution_options(populate_existing=True))).first()
    if row is None:
        return TranscriptView(turn_id=turn.id, conference_id=turn.conference_id, text="",
                              machine_text="", origin=MACHINE, confirmed=False, revision=0,
                              engine="", updated_by=None, updated_at=None)
    seg, name = row
    who = name if seg.updated_by else (f"máy ({seg.engine})" if seg.engine and seg.revision else None)
    return TranscriptView(turn_id=turn.id, conference_id=turn.conference_id, text=seg.text,
                          machine_text=seg.machine_text, origin=seg.origin,
                          confirmed=seg.confirmed, revision=seg.revision, engine=seg.engine,
                          updated_by=who, updated_at=seg.updated_at)


async def _ensure_row(db: AsyncSession, turn_id: str) -> None:
    """Create the turn's empty row if missing; a concurrent creator wins silently."""
    insert = pg_insert if db.bind.dialect.name == "postgresql" else sqlite_insert
    await db.execute(insert(TranscriptSegment).values(
        turn_id=turn_id, text="", machine_text="", origin=MACHINE, confirmed=False, revision=0,
        engine="", updated_at=utcnow(), search_text="").on_conflict_do_nothing(
        index_elements=["turn_id"]))


async def write_human(db: AsyncSession, actor: Any, turn: SpeakingTurn, text: str,
                      base_revision: int) -> TranscriptView:
    """A person's text replaces the turn's text if nobody changed it since ``base_revision``."""
    return await _revise(db, actor, turn, base_revision, "transcript.edit", text=text,
                         origin=HUMAN, confirmed=True,
                         search_text=search_key(turn.display_name, turn.hamlet, text))


async def confirm(db: AsyncSession, actor: Any, turn: SpeakingTurn, base_revision: int) -> TranscriptView:
    """A person confirms the text as it stands (typically the machine draft)."""
    return await _revise(db, actor, turn, base_revision, "transcript.confirm", confirmed=True)


async def _revise(db: AsyncSession, actor: Any, turn: SpeakingTurn, base_revision: int,
                  action: str, **values: Any) -> TranscriptView:
    """One UPDATE guarded by the revision the person saw: two saves from the same
    revision give one success and one EditConflict, never a silent overwrite."""
    before = await load(db, turn)
    await _ensure_row(db, turn.id)
    result = await db.execute(
        update(TranscriptSegment)
        .where(TranscriptSegment.turn_id == turn.id, TranscriptSegment.revision == base_revision)
        .values(**values, revision=TranscriptSegment.revision + 1, updated_by=actor.user_id,
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    after = await load(db, turn)
    if result.rowcount != 1:
        raise EditConflict(after)
    audit.record(db, actor, action, "speaking_turn", turn.id,
                 before={k: getattr(before, k) for k in AUDIT_FIELDS},
                 after={k: getattr(after, k) for k in AUDIT_FIELDS})
    return after


async def store_machine_draft(db: AsyncSession, turn: SpeakingTurn, text: str, engine: str,
                              commune_id: int | None = None) -> tuple[TranscriptView, bool]:
    """Keep the draft beside the text; it becomes the text only while no person wrote
    or confirmed one. Returns the transcript and whether its text changed."""
    await _ensure_row(db, turn.id)
    before = await load(db, turn)
    await db.execute(update(TranscriptSegment).where(TranscriptSegment.turn_id == turn.id)
                     .values(machine_text=text, engine=engine)
                     .execution_options(synchronize_session=False))
    replaced = False
    if draft_decision(before.origin, before.confirmed).replace_text:
        # the condition is repeated in SQL: a person's edit committed meanwhile wins
        result = await db.execute(
            update(TranscriptSegment)
            .where(TranscriptSegment.turn_id == turn.id, TranscriptSegment.origin != HUMAN,
                   TranscriptSegment.confirmed.is_(False))
            .values(text=text, origin=MACHINE, revision=TranscriptSegment.revision + 1,
                    updated_by=None, updated_at=utcnow(),
                    search_text=search_key(turn.display_name, turn.hamlet, text))
            .execution_options(synchronize_session=False))
        replaced = result.rowcount == 1
    after = await load(db, turn)
    audit.record(db, f"máy nhận dạng ({engine})", "transcript.machine_draft", "speaking_turn", turn.id,
                 before={k: getattr(before, k) for k in AUDIT_FIELDS},
                 after={**{k: getattr(after, k) for k in AUDIT_FIELDS}, "machine_text": text,
                        "replaced_text": replaced}, commune_id=commune_id)
    return after, replaced
