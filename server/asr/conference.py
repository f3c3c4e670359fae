"""`doithoai transcribe --conference ID`: redo or complete the machine drafts of
every recorded turn of a conference after it, with a progress bar.

By default only turns without a draft are done; ``--all`` redoes every turn.
A draft never replaces text a person wrote or confirmed (server.transcripts.rules).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from sqlalchemy import select
from tqdm import tqdm

from server.asr.audio import AudioError
from server.asr.engines import EngineError, get_engine
from server.asr.transcribe import transcribe_file

MESSAGES = {
    "bad_id": "lỗi: mã hội nghị phải là số nguyên dương: {value!r}",
    "no_conference": "lỗi: không có hội nghị số {id}",
    "none": "Hội nghị số {id}: không có lượt phát biểu nào cần nhận dạng ({total} lượt có bản ghi âm).",
    "missing": "{turn}\tlỗi: không còn tệp ghi âm {path}",
    "failed": "{turn}\tlỗi: {detail}",
    "summary": "Hội nghị số {id}: {done} lượt có bản nháp mới ({replaced} thay nội dung), "
               "{kept} lượt giữ nguyên chữ do người ghi, {failed} lượt lỗi.",
    "unit": "lượt",
    "engine_error": "lỗi bộ nhận dạng: {detail}",
    "db_error": "lỗi cơ sở dữ liệu: {detail}",
}


def transcribe_conference(args: argparse.Namespace) -> int:
    """Exit code: 0 all done, 1 some turns failed, 2 bad input."""
    try:
        conference_id = int(str(args.conference))
        if conference_id < 1:
            raise ValueError
    except ValueError:
        print(MESSAGES["bad_id"].format(value=args.conference), file=sys.stderr)
        return 2
    try:
        engine = get_engine(getattr(args, "engine", None))
    except EngineError as exc:
        print(MESSAGES["engine_error"].format(detail=exc), file=sys.stderr)
        return 2
    data_dir = Path(getattr(args, "data_dir", None) or "data")
    return asyncio.run(_run(conference_id, getattr(args, "db", None), data_dir, engine,
                            bool(getattr(args, "redo_all", False))))


def _resolve(path: str, data_dir: Path) -> Path:
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    return data_dir / p if (data_dir / p).exists() else p


async def _run(conference_id: int, db_url: str | None, data_dir: Path, engine, redo_all: bool) -> int:
    from server.db.models import Conference, Recording, SpeakingTurn, TranscriptSegment
    from server.db.session import database_url, make_engine, migrate, session_factory
    from server.transcripts.store import store_machine_draft

    try:
        db_engine = make_engine(database_url(db_url, data_dir))
        await migrate(db_engine)
    except Exception as exc:  # noqa: BLE001 - shown to the operator
        print(MESSAGES["db_error"].format(detail=exc), file=sys.stderr)
        return 2
    sessions = session_factory(db_engine)
    try:
        async with sessions() as db:
            conf = await db.get(Conference, conference_id)
            if conf is None:
                print(MESSAGES["no_conference"].format(id=conference_id), file=sys.stderr)
                return 2
            commune_id = conf.commune_id
            rows = (await db.execute(
                select(Recording, TranscriptSegment)
                .join(SpeakingTurn, SpeakingTurn.id == Recording.turn_id)
                .outerjoin(TranscriptSegment, TranscriptSegment.turn_id == Recording.turn_id)
                .where(Recording.conference_id == conference_id)
                .order_by(Recording.turn_id, Recording.id))).all()
        latest: dict[str, tuple[Recording, TranscriptSegment | None]] = {}
        for rec, seg in rows:
            latest[rec.turn_id] = (rec, seg)  # the newest cut of each turn
        todo = [(rec, seg) for rec, seg in latest.values()
                if redo_all or seg is None or not seg.machine_text]
        todo.sort(key=lambda x: x[0].start_s)
        if not todo:
            print(MESSAGES["none"].format(id=conference_id, total=len(latest)))
            return 0
        done = replaced = kept = failed = 0
        with tqdm(total=len(todo), file=sys.stderr, unit=MESSAGES["unit"]) as progress:
            for rec, _seg in todo:
                wav = _resolve(rec.path, data_dir)
                if not wav.is_file():
                    failed += 1
                    tqdm.write(MESSAGES["missing"].format(turn=rec.turn_id, path=wav), file=sys.stderr)
                    progress.update(1)
                    continue
                try:
                    result = await asyncio.to_thread(transcribe_file, wav, engine)
                except (AudioError, EngineError) as exc:
                    failed += 1
                    tqdm.write(MESSAGES["failed"].format(turn=rec.turn_id, detail=exc), file=sys.stderr)
                    progress.update(1)
                    continue
                async with sessions() as db, db.begin():
                    turn = await db.get(SpeakingTurn, rec.turn_id)
                    view, changed = await store_machine_draft(db, turn, result.text, result.engine,
                                                              commune_id)
                done += 1
                replaced += int(changed)
                kept += int(view.origin == "human" or (view.confirmed and not changed))
                progress.update(1)
        print(MESSAGES["summary"].format(id=conference_id, done=done, replaced=replaced, kept=kept,
                                         failed=failed))
        return 1 if failed else 0
    finally:
        await db_engine.dispose()
