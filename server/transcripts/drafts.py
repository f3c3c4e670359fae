"""Machine drafts during the conference: each recorded turn goes to the speech
recognition worker (off the event loop); its text is stored as the turn's draft.
The backlog is visible (GET /api/transcription, `transcription:status` events)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from server.api.registry import Api, Call
from server.api.responses import TranscriptionStatus
from server.asr.engines import EngineError, use_data_dir
from server.asr.transcribe import TranscriptResult
from server.asr.worker import TranscriptionWorker
from server.db.models import Conference, Recording, SpeakingTurn, TranscriptSegment
from server.domain.captions import LIVE_ENGINE
from server.events import TranscriptUpdated, TurnRecorded
from server.fanout import fan_out
from server.keys import APIS, ASR_ERROR, ASR_WORKER, CONFIG, EXECUTOR, SIO
from server.transcripts import store

log = logging.getLogger(__name__)
api = Api()
RESUME_DAYS = 7  # after a restart, drafts still missing for turns recorded this recently


@api.route("GET", "/api/transcription",
           summary="Speech recognition worker: engine, backlog, done, failed", tag="transcripts",
           response=TranscriptionStatus)
async def transcription_status(call: Call) -> dict:
    return status(call.app)


def status(app: web.Application) -> dict[str, Any]:
    worker: TranscriptionWorker | None = app.get(ASR_WORKER)
    if worker is None:
        return {"running": False, "engine": None, "backlog": 0, "current": None, "done": 0,
                "failed": 0, "error": app.get(ASR_ERROR)}
    return {**worker.status(), "error": None}


async def publish_status(app: web.Application) -> None:
    await fan_out(app[SIO], "transcription:status", status(app), "staff")


async def save_draft(app: web.Application, turn_id: str, text: str, engine: str) -> None:
    """Store a finished draft and tell the conference's tablets if the text changed."""
    async with app[EXECUTOR].unit() as unit:
        turn = await unit.db.get(SpeakingTurn, turn_id)
        if turn is None:
            log.warning("draft for unknown turn %s dropped", turn_id)
            return
        conf = await unit.db.get(Conference, turn.conference_id)
        view, _replaced = await store.store_machine_draft(unit.db, turn, text, engine,
                                                          conf.commune_id)
        # machine_text changed in any case: every tablet shows the new draft
        unit.emit(TranscriptUpdated(view.conference_id, view.event()))


async def save_live_draft(app: web.Application, turn_id: str, text: str, engine: str) -> bool:
    """The live captions' finals as the turn's draft, the moment the turn ends; kept only
    while no full-file draft came first (that one, made later from the recording, replaces
    this one where nobody has edited). Returns whether it was stored."""
    async with app[EXECUTOR].unit() as unit:
        turn = await unit.db.get(SpeakingTurn, turn_id)
        if turn is None:
            log.warning("live draft for unknown turn %s dropped", turn_id)
            return False
        current = await store.load(unit.db, turn)
        if current.engine not in ("", engine):
            return False
        conf = await unit.db.get(Conference, turn.conference_id)
        view, _replaced = await store.store_machine_draft(unit.db, turn, text, engine,
                                                          conf.commune_id)
        unit.emit(TranscriptUpdated(view.conference_id, view.event()))
    return True


async def draft_recorded_turn(app: web.Application, event: TurnRecorded) -> None:
    """Listener: a recorded turn goes to the speech recogniser for a machine draft."""
    worker: TranscriptionWorker | None = app.get(ASR_WORKER)
    if worker is None:
        return

    async def done(job_id: str, outcome: TranscriptResult | Exception) -> None:
        if isinstance(outcome, Exception):
            log.warning("no draft for turn %s: %s", job_id, outcome)
        else:
            await save_draft(app, job_id, outcome.text, outcome.engine)
        await publish_status(app)

    worker.submit(event.turn_id, event.wav, done)
    await publish_status(app)


def setup(app: web.Application) -> None:
    app[APIS].append(api)
    api.add_to(app)

    async def start(app: web.Application) -> None:
        use_data_dir(app[CONFIG].data_dir)
        name = app[CONFIG].asr_engine
        try:
            worker = TranscriptionWorker(name)
        except EngineError as exc:
            app[ASR_ERROR] = f"Không có bộ nhận dạng giọng nói: {exc}"
            log.warning("speech recognition disabled: %s", exc)
            return
        await worker.start()
        app[ASR_WORKER] = worker
        await resume_backlog()

    async def resume_backlog() -> None:
        """Turns recorded before a restart whose draft never came are queued again."""
        since = datetime.now(UTC) - timedelta(days=RESUME_DAYS)
        async with app[EXECUTOR].reading() as db:
            rows = (await db.execute(
                select(Recording.conference_id, Recording.turn_id, Recording.path)
                .outerjoin(TranscriptSegment, TranscriptSegment.turn_id == Recording.turn_id)
                .where(Recording.turn_id.is_not(None), Recording.created_at >= since,
                       (TranscriptSegment.id.is_(None))
                       | (TranscriptSegment.engine.in_(("", LIVE_ENGINE))))
                .order_by(Recording.created_at))).all()
        for conference_id, turn_id, path in rows:
            if Path(path).is_file():
                await draft_recorded_turn(app, TurnRecorded(conference_id, turn_id, Path(path)))
        if rows:
            log.info("speech recognition: %d recorded turns queued again after a restart", len(rows))

    async def stop(app: web.Application) -> None:
        worker: TranscriptionWorker | None = app.get(ASR_WORKER)
        if worker is not None:
            await worker.stop(timeout=15.0)

    async def running(app: web.Application) -> AsyncIterator[None]:
        """Background job (cleanup_ctx): started after the database, stopped on shutdown."""
        await start(app)
        yield
        await stop(app)

    app.cleanup_ctx.append(running)
