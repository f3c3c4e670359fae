"""A turn recorded before a restart, whose machine draft never came, is transcribed after it."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

from aiohttp import web
from sqlalchemy import select

from server.app import Config, create_app
from server.db.models import Conference, Recording, SpeakingTurn, TranscriptSegment
from server.keys import SESSIONMAKER
from tests.server.test_transcripts import espeak


async def run_app(tmp_path, db_url):
    app = create_app(Config(data_dir=tmp_path / "data", db_url=db_url))
    runner = web.AppRunner(app)
    await runner.setup()  # runs the start-up hooks: migrations, broadcast, speech worker
    return runner, app


async def test_missing_drafts_are_queued_again_after_a_restart(tmp_path):
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'd.sqlite3'}"
    wav = espeak("Xin chào, tôi là người dân thôn ba.", tmp_path / "turn.wav")
    runner, app = await run_app(tmp_path, db_url)
    async with app[SESSIONMAKER]() as db, db.begin():
        conf = Conference(commune_id=1, year=2026, title="Hội nghị", venue="Hội trường",
                          starts_at=datetime.now(UTC), public_slug="resume-test")
        db.add(conf)
        await db.flush()
        db.add(SpeakingTurn(id="t-resume", conference_id=conf.id, display_name="Lê Văn Tám",
                            status="done"))
        await db.flush()
        db.add(Recording(conference_id=conf.id, turn_id="t-resume", path=str(wav),
                         sha256=hashlib.sha256(wav.read_bytes()).hexdigest()))
    await runner.cleanup()  # stopped before any draft was made for that turn

    runner, app = await run_app(tmp_path, db_url)
    try:
        for _ in range(150):
            async with app[SESSIONMAKER]() as db:
                seg = (await db.execute(select(TranscriptSegment).where(
                    TranscriptSegment.turn_id == "t-resume"))).scalar_one_or_none()
            if seg is not None and seg.engine:
                break
            await asyncio.sleep(0.2)
        assert seg is not None and seg.engine == "viet-asr" and seg.machine_text.strip()
        assert seg.origin == "machine" and not seg.confirmed
    finally:
        await runner.cleanup()
