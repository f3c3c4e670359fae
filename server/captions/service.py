"""The live captions inside the server: while a turn is on the floor, the hall's audio goes
to the recogniser process (worker.py) in batches; its partial and final text go out as
``captions:line``, its state as ``captions:state`` (docs/captions.md). The mode follows the
recogniser's backlog (server/domain/captions.py ``next_mode``), so a busy machine drops to
finals only, then pauses; the broadcast and the recording never wait for it.

Everything here runs on the event loop except the recogniser itself; the frame tap only
appends to a list and, every 200 ms, filters one batch and puts it in a bounded channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from server.asr.numbers import write_numbers
from server.captions import store
from server.captions.feed import OUT_RATE, Batcher
from server.captions.worker import CaptionWorker
from server.domain import captions as rules
from server.domain import limits
from server.fanout import fan_out
from server.keys import BACKGROUND, BROADCAST, EXECUTOR, SIO

log = logging.getLogger(__name__)

TICK_S = 0.25  # how often the load and the broadcast's state are looked at
FLUSH_WAIT_S = 2.0  # at a turn's end, how long the last sentence is waited for
LINES_KEPT = 6  # lines of the current turn a late joiner gets


def engine_installed() -> bool:
    return importlib.util.find_spec("vietasr") is not None


@dataclass
class Turn:
    """A turn being captioned: where its audio lies in what was sent to the recogniser."""

    conference_id: int
    commune_id: int
    turn_id: str
    spans: list[list[float]] = field(default_factory=list)  # [from_s, to_s or inf]
    finals: list[str] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # finals' payloads
    partial: dict[str, Any] | None = None
    on_floor: bool = True

    def holds(self, position_s: float, early_s: float = 0.0) -> bool:
        return any(a - early_s <= position_s <= b for a, b in self.spans)


class CaptionService:
    def __init__(self, app: web.Application, *, enabled: bool = True,
                 thresholds: rules.Thresholds = rules.DEFAULT_THRESHOLDS) -> None:
        self.app = app
        self.installed = enabled and engine_installed()
        self.thresholds = thresholds
        self.worker: CaptionWorker | None = None
        self.settings: dict[int, dict[str, Any]] = {}
        self.vocabulary: dict[int, list[str]] = {}
        self.seq: dict[int, int] = {}
        self.turn: Turn | None = None
        self.recent: list[Turn] = []  # turns that ended, until their last sentence came
        self.mode = rules.LIVE
        self.mode_since = time.monotonic()
        self.calm_since = time.monotonic()
        self.dropped = False
        self.dropped_s = 0.0
        self.sent_s = 0.0
        self.done_s = 0.0
        self._batcher = Batcher()
        self._flushes: dict[int, asyncio.Future] = {}
        self._flush_ids = itertools.count(1)
        self._last_state: dict[int, dict[str, Any]] = {}
        self._tick: asyncio.Task | None = None
        self._untap: Any = None
        self._starting: asyncio.Task | None = None

    # -- life cycle ------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        return (self.installed and self.app.get(BROADCAST) is not None
                and (self.worker is None or self.worker.error is None))

    async def start(self) -> None:
        svc = self.app.get(BROADCAST)
        if svc is not None:
            self._untap = svc.add_tap(self.on_frame)
        self._tick = asyncio.create_task(self._ticking(), name="doithoai-captions-tick")

    def ensure_worker(self) -> None:
        """The recogniser is started with the first turn (a server that never captions
        never loads the model)."""
        if self.worker is not None or not self.installed or self._starting is not None:
            return

        async def start() -> None:
            worker = CaptionWorker(self.on_message)
            self.worker = worker
            try:
                await worker.start()
            except Exception as exc:  # noqa: BLE001 - the captions say they are unavailable
                worker.error = str(exc)
                log.exception("captions recogniser could not start")

        self._starting = asyncio.create_task(start(), name="doithoai-captions-start")

    async def stop(self) -> None:
        if self._untap is not None:
            self._untap()
        for task in (self._tick, self._starting):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None

    # -- the turn on the floor -------------------------------------------------------------
    async def turn_on_floor(self, conference_id: int, commune_id: int, turn_id: str) -> None:
        """A turn started or resumed: its audio is captioned from now on."""
        turn = self.turn
        if turn is None or turn.turn_id != turn_id or turn.conference_id != conference_id:
            turn = Turn(conference_id, commune_id, turn_id)
            self.turn = turn
        turn.on_floor = True
        turn.spans.append([self.sent_s, float("inf")])
        self._batcher.reset()
        if conference_id not in self.settings:
            await self.load_settings(conference_id, commune_id)
        if commune_id not in self.vocabulary:
            self._background(self.load_vocabulary(commune_id))
        if self.settings[conference_id]["enabled"]:
            self.ensure_worker()
        await self.publish_state(conference_id)

    async def warm_up(self, conference_id: int, commune_id: int) -> None:
        """A speaker was called: start the recogniser (if the captions are on) so it is
        ready when the speech starts."""
        if conference_id not in self.settings:
            await self.load_settings(conference_id, commune_id)
        if self.settings[conference_id]["enabled"]:
            self.ensure_worker()

    async def turn_off_floor(self, conference_id: int, turn_id: str, ended: bool) -> None:
        """A turn paused or ended: no more of its audio; its last sentence is flushed. At
        its end, its finals become its machine draft (in the background)."""
        turn = self.turn
        if turn is None or turn.turn_id != turn_id:
            return
        turn.on_floor = False
        if turn.spans and turn.spans[-1][1] == float("inf"):
            turn.spans[-1][1] = self.sent_s
        if ended:
            self.turn = None
            self.recent = [*self.recent[-3:], turn]
            self._background(self._finish(turn))
        else:
            self._background(self.flush())
        await self.publish_state(conference_id)

    async def flush(self) -> bool:
        """The recogniser closes the sentence it is hearing; True when it answered."""
        worker = self.worker
        if worker is None or not worker.ready.is_set():
            return False
        tag = next(self._flush_ids)
        waiting = asyncio.get_running_loop().create_future()
        self._flushes[tag] = waiting
        if not worker.send(("flush", tag)):
            self._flushes.pop(tag, None)
            return False
        try:
            await asyncio.wait_for(waiting, FLUSH_WAIT_S)
            return True
        except TimeoutError:
            return False
        finally:
            self._flushes.pop(tag, None)

    async def _finish(self, turn: Turn) -> None:
        await self.flush()
        if turn in self.recent:
            self.recent.remove(turn)
        text = " ".join(turn.finals).strip()
        if not text:
            return
        from server.transcripts import drafts

        try:
            await drafts.save_live_draft(self.app, turn.turn_id, text[:limits.TRANSCRIPT],
                                         rules.LIVE_ENGINE)
        except Exception:
            log.exception("captions: the draft of turn %s was not saved", turn.turn_id)

    # -- audio -----------------------------------------------------------------------------
    def feeding(self) -> bool:
        turn = self.turn
        return (turn is not None and turn.on_floor and self.installed
                and self.settings.get(turn.conference_id, {}).get("enabled", True))

    def on_frame(self, frame: bytes) -> None:
        """The broadcast's tap (every 20 ms, on the loop): cheap, never waits."""
        if not self.feeding():
            return
        batch = self._batcher.push(frame)
        if batch is None:
            return
        seconds = len(batch) / 2 / OUT_RATE
        worker = self.worker
        if (not rules.takes_audio(self.mode) or worker is None
                or self.sent_s - self.done_s + seconds > self.thresholds.max_backlog):
            self._drop(seconds)
            return
        if not worker.send(("audio", batch, self.sent_s + seconds)):
            self._drop(seconds)
            return
        self.sent_s += seconds

    def _drop(self, seconds: float) -> None:
        self.dropped_s += seconds
        if rules.takes_audio(self.mode) and self.worker is not None and self.worker.ready.is_set():
            self.dropped = True  # the channel was full: the recogniser cannot keep up

    # -- the recogniser's answers ----------------------------------------------------------
    def on_message(self, msg: tuple) -> None:
        kind = msg[0]
        if kind in ("partial", "final", "progress", "flushed"):
            self.done_s = max(self.done_s, float(msg[-1]))
        if kind == "partial":
            turn = self._turn_at(self.done_s)
            if turn is not None and rules.sends_partials(self.mode):
                self._line(turn, msg[1], final=False)
        elif kind == "final":
            turn = self._turn_at(float(msg[2]))
            if turn is not None:
                self._line(turn, msg[1], final=True)
        elif kind == "flushed":
            waiting = self._flushes.get(msg[1])
            if waiting is not None and not waiting.done():
                waiting.set_result(True)
        elif kind in ("ready", "died", "error"):
            self.sent_s = self.done_s = 0.0
            for turn in [self.turn, *self.recent]:
                if turn is not None:
                    turn.spans = [[0.0, float("inf")]] if turn.on_floor else []
            if kind != "ready":
                self._enter(rules.PAUSED if kind == "died" else self.mode)
            if self.turn is not None:
                self._background(self.publish_state(self.turn.conference_id))

    def _turn_at(self, position_s: float) -> Turn | None:
        """The turn whose audio holds this position: an ended turn first (its last sentence
        may come after the next turn began), else the current one (a sentence's end is
        estimated, so it may fall just before the current turn's first audio)."""
        for turn in reversed(self.recent):
            if turn.holds(position_s):
                return turn
        if self.turn is not None and self.turn.holds(position_s, early_s=1.0):
            return self.turn
        return None

    def _line(self, turn: Turn, text: str, final: bool) -> None:
        cid = turn.conference_id
        if final:
            terms = self.vocabulary.get(turn.commune_id, [])
            text = write_numbers(rules.correct(text, terms))
        text = text[:limits.CAPTION_LINE]
        if turn.partial is not None:
            seq = turn.partial["seq"]
        else:
            seq = self.seq.get(cid, 0) + 1
            self.seq[cid] = seq
        payload = {"conference_id": cid, "turn_id": turn.turn_id, "seq": seq, "final": final,
                   "text": text, "at": _now()}
        if final:
            turn.partial = None
            turn.finals.append(text)
            turn.lines = [*turn.lines[-(LINES_KEPT - 1):], payload]
        else:
            turn.partial = payload
        self._background(self._send_line(turn, payload))

    async def _send_line(self, turn: Turn, payload: dict[str, Any]) -> None:
        cid = turn.conference_id
        situation = self.situation(cid, turn.turn_id)
        # staff are in the public room too: one room, so nobody gets a line twice
        room = f"public:{cid}" if rules.public(situation) else f"staff:{cid}"
        await fan_out(self.app[SIO], "captions:line", payload, room)

    # -- state -----------------------------------------------------------------------------
    def situation(self, conference_id: int, turn_id: str | None = None) -> rules.Situation:
        settings = self.settings.get(conference_id) or store.default_settings()
        svc = self.app.get(BROADCAST)
        current = self.turn.turn_id if self.turn and self.turn.conference_id == conference_id \
            else None
        turn_id = turn_id or current
        hidden = settings["hidden_turns"]
        return rules.Situation(
            enabled=bool(settings["enabled"]), available=self.available, mode=self.mode,
            on_air=bool(svc is not None and svc.on_air), muted=bool(svc is not None and svc.muted),
            show_when_muted=bool(settings["show_when_muted"]), turn_id=turn_id,
            hidden_turn_id=turn_id if turn_id in hidden else (hidden[-1] if hidden else None))

    def state(self, conference_id: int) -> dict[str, Any]:
        s = self.situation(conference_id)
        current = self.turn.turn_id if self.turn and self.turn.conference_id == conference_id \
            else None
        return {"conference_id": conference_id, "enabled": s.enabled, "available": s.available,
                "mode": rules.shown_mode(s), "public": rules.public(s),
                "show_when_muted": s.show_when_muted, "hidden_turn_id": s.hidden_turn_id,
                "turn_id": current, "message": rules.message(s)}

    def lines(self, conference_id: int, public_only: bool) -> list[dict[str, Any]]:
        turn = self.turn
        if turn is None or turn.conference_id != conference_id:
            return []
        if public_only and not rules.public(self.situation(conference_id)):
            return []
        return [*turn.lines, *([turn.partial] if turn.partial else [])][-LINES_KEPT:]

    def snapshot(self, conference_id: int, public_only: bool) -> dict[str, Any]:
        return {"state": self.state(conference_id),
                "lines": self.lines(conference_id, public_only)}

    async def publish_state(self, conference_id: int, force: bool = False) -> None:
        state = self.state(conference_id)
        if not force and self._last_state.get(conference_id) == state:
            return
        self._last_state[conference_id] = state
        await fan_out(self.app[SIO], "captions:state", state, f"public:{conference_id}")

    async def load_settings(self, conference_id: int, commune_id: int) -> dict[str, Any]:
        async with self.app[EXECUTOR].reading() as db:
            self.settings[conference_id] = await store.load_settings(db, commune_id,
                                                                     conference_id)
        return self.settings[conference_id]

    async def load_vocabulary(self, commune_id: int) -> list[str]:
        async with self.app[EXECUTOR].reading() as db:
            found = await store.record_terms(db, commune_id)
            edited = await store.edited_terms(db, commune_id)
        self.vocabulary[commune_id] = rules.merge_terms(found, edited)
        return self.vocabulary[commune_id]

    # -- the load, four times a second -----------------------------------------------------
    def _enter(self, mode: str) -> None:
        if mode == self.mode:
            return
        log.info("captions: %s -> %s (backlog %.1f s)", self.mode, mode, self.sent_s - self.done_s)
        self.mode = mode
        self.mode_since = time.monotonic()
        if self.worker is not None:
            self.worker.send(("partials", rules.sends_partials(mode)))
            if mode == rules.PAUSED:
                self._background(self.flush())
        turn = self.turn
        if mode != rules.LIVE and turn is not None and turn.partial is not None:
            turn.partial = None

    def look(self) -> None:
        """One look at the recogniser's load: the mode it allows now."""
        now = time.monotonic()
        backlog = max(0.0, self.sent_s - self.done_s)
        if backlog > self.thresholds.back_to_live or self.dropped:
            self.calm_since = now
        mode = rules.next_mode(self.mode, backlog, self.dropped, now - self.mode_since,
                               now - self.calm_since, self.thresholds)
        self.dropped = False
        self._enter(mode)

    async def _ticking(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self.look()
                cids = {t.conference_id for t in [self.turn, *self.recent] if t is not None}
                cids |= set(self._last_state)
                for cid in cids:
                    await self.publish_state(cid)
            except Exception:
                log.exception("captions: the periodic look failed")

    def _background(self, job: Any) -> None:
        task = asyncio.get_running_loop().create_task(job)
        tasks = self.app[BACKGROUND]
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def status(self) -> dict[str, Any]:
        """For checks and the benchmark."""
        worker = self.worker
        return {"mode": self.mode, "backlog_s": round(max(0.0, self.sent_s - self.done_s), 2),
                "sent_s": round(self.sent_s, 2), "dropped_s": round(self.dropped_s, 2),
                "worker_pid": worker.pid if worker else None,
                "worker_ready": bool(worker and worker.ready.is_set()),
                "restarts": worker.restarts if worker else 0}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
