"""Machine drafts during the conference: each recorded turn goes to the speech
recognition worker (off the event loop); its text is stored as the turn's draft.
The backlog is visible (GET /api/transcription, `transcription:status` events)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from server.api.registry import Api, Call
from server.asr.engines import ENV_ENGINE, EngineError
from server.asr.transcribe import TranscriptResult
from server.asr.worker import TranscriptionWorker
from server.db.models import Conference, Recording, SpeakingTurn, TranscriptSegment
from server.fanout import fan_out
from server.transcripts import store

log = logging.getLogger(__name__)
api = Api()
RESUME_DAYS = 7  # after a restart, drafts still missing for turns recorded this recently


@api.route("GET", "/api/transcription",
           summary="Speech recognition worker: engine, backlog, done, failed", tag="transcripts")
async def transcription_status(call: Call) -> dict:
    return status(call.app)


def status(app: web.Application) -> dict[str, Any]:
    worker: TranscriptionWorker | None = app.get("asr_worker")
    if worker is None:
        return {"running": False, "engine": None, "backlog": 0, "current": None, "done": 0,
                "failed": 0, "error": app.get("asr_error")}
    return {**worker.status(), "error": None}


async def publish_status(app: web.Application) -> None:
    await fan_out(app["sio"], "transcription:status", status(app), "staff")


async def save_draft(app: web.Application, turn_id: str, text: str, engine: str) -> None:
    """Store a finished draft and tell the conference's tablets if the text changed."""
    async with app["sessionmaker"]() as db:
        async with db.begin():
            turn = await db.get(SpeakingTurn, turn_id)
            if turn is None:
                log.warning("draft for unknown turn %s dropped", turn_id)
                return
            conf = await db.get(Conference, turn.conference_id)
            view, _replaced = await store.store_machine_draft(db, turn, text, engine, conf.commune_id)
    # machine_text changed in any case: every tablet shows the new draft
    await fan_out(app["sio"], "transcript:updated", view.event(), f"staff:{view.conference_id}")


def setup(app: web.Application) -> None:
    app["apis"].append(api)
    api.add_to(app)

    async def on_turn_recorded(conference_id: int, turn_id: str, wav: Path) -> None:
        worker: TranscriptionWorker | None = app.get("asr_worker")
        if worker is None:
            return

        async def done(job_id: str, outcome: TranscriptResult | Exception) -> None:
            if isinstance(outcome, Exception):
                log.warning("no draft for turn %s: %s", job_id, outcome)
            else:
                await save_draft(app, job_id, outcome.text, outcome.engine)
            await publish_status(app)

        worker.submit(turn_id, wav, done)
        await publish_status(app)

    async def start(app: web.Application) -> None:
        name = os.environ.get(ENV_ENGINE) or None
        try:
            worker = TranscriptionWorker(name)
        except EngineError as exc:
            app["asr_error"] = f"Không có bộ nhận dạng giọng nói: {exc}"
            log.warning("speech recognition disabled: %s", exc)
            return
        await worker.start()
        app["asr_worker"] = worker
        await resume_backlog()

    async def resume_backlog() -> None:
        """Turns recorded before a restart whose draft never came are queued again."""
        since = datetime.now(UTC) - timedelta(days=RESUME_DAYS)
        async with app["sessionmaker"]() as db:
            rows = (await db.execute(
                select(Recording.conference_id, Recording.turn_id, Recording.path)
                .outerjoin(TranscriptSegment, TranscriptSegment.turn_id == Recording.turn_id)
                .where(Recording.turn_id.is_not(None), Recording.created_at >= since,
                       (TranscriptSegment.id.is_(None)) | (TranscriptSegment.engine == ""))
                .order_by(Recording.created_at))).all()
        for conference_id, turn_id, path in rows:
            if Path(path).is_file():
                await on_turn_recorded(conference_id, turn_id, Path(path))
        if rows:
            log.info("speech recognition: %d recorded turns queued again after a restart", len(rows))

    async def stop(app: web.Application) -> None:
        worker: TranscriptionWorker | None = app.get("asr_worker")
        if worker is not None:
            await worker.stop(timeout=15.0)

    if "turn_recorded" in app:  # broadcasting attached: drafts follow its recordings
        app["turn_recorded"].append(on_turn_recorded)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
