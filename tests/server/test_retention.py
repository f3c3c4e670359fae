"""Recordings are deleted when the commune's retention period ends (personal data law)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.broadcasting import expire_recordings
from server.db.models import AuditEvent, Conference, Recording
from server.keys import SESSIONMAKER
from tests.conftest import ApiClient
from tests.server.test_record_api import CONF


async def test_turn_audio_is_deleted_after_the_retention_period(client: ApiClient, app_server, tmp_path):
    _, app = app_server
    conf = await client.ok("POST", "/api/conferences", CONF, status=201)
    await client.ok("PATCH", "/api/commune", {"retention_days": 30})
    old_wav, new_wav = tmp_path / "old.wav", tmp_path / "new.wav"
    old_wav.write_bytes(b"RIFF old")
    new_wav.write_bytes(b"RIFF new")
    now = datetime.now(UTC)
    async with app[SESSIONMAKER]() as db, db.begin():
        assert await db.get(Conference, conf["id"])
        old = Recording(conference_id=conf["id"], path=str(old_wav), sha256="a" * 64,
                        created_at=now - timedelta(days=31))
        new = Recording(conference_id=conf["id"], path=str(new_wav), sha256="b" * 64,
                        created_at=now - timedelta(days=29))
        db.add_all([old, new])
    gone = await expire_recordings(app, now)
    assert "old.wav" in gone and "new.wav" not in gone
    assert not old_wav.exists() and new_wav.exists()
    status, body = await client.call("GET", f"/api/recordings/{old.id}/audio")
    assert status == 410 and body["error"]["code"] == "recording_gone"
    status, _ = await client.call("GET", f"/api/recordings/{new.id}/audio")
    assert status == 200
    async with app[SESSIONMAKER]() as db:
        events = (await db.execute(select(AuditEvent).where(
            AuditEvent.action == "recording.expire"))).scalars().all()
    assert [e.entity_id for e in events] == [str(old.id)]
    assert await expire_recordings(app, now) == []  # a second sweep finds nothing new
