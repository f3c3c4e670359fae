"""A long conference day in accelerated time: does the server slow down or grow?

    python bench/long_day.py [--commands 2000] [--cycles 25] [--db URL] [--pause 0.03]
                             [--hold 0.3] [--no-captions]

Starts a real ``doithoai serve`` subprocess (SQLite in a temporary folder unless --db;
the default tone audio source, so the continuous recording runs) and puts the broadcast
on air. A warm-up turn on a separate conference is spoken, cut from the recording,
transcribed by the speech model (loaded then) and written; the server's RSS is read
after it. Then one conference runs --commands queue commands, sent back-to-back with
small pauses by two moderators on socket.io (python-socketio AsyncClient):

- the chair registers citizens at the desk and by "QR" (``source: qr``), approves the
  phone registrations, and writes each finished turn's transcript over HTTP (a 409
  ``edit_conflict`` against the machine draft is retried from the current revision);
- the moderator runs the floor: ``call_next``, ``start``, sometimes ``extend_time``,
  ``pause``/``resume`` or ``skip``, and ``end`` after --hold seconds of speech (every
  ``end`` makes the server cut the turn's audio and queue it for speech recognition).

Floor commands based on a version that a registration has just passed are refused with
``version_conflict`` and sent again: counted as conflicts, not errors.

Then, the day's length against a fresh conference in the same minutes (``alternate``):
--cycles cycles of four commands (register, call_next, start, end after --hold s) on the
day's conference and as many on a new one with the same number of people waiting, one
cycle on each in turn, and the acknowledgement p50 of each (``late_over_fresh_p50``).
The first and the last 100 commands of the day run minutes apart; on a shared machine
the same work can take twice the CPU time from one minute to the next, so that ratio
moves with the machine as well. Beside the run, ``bench/machine_speed.py`` times one
fixed unit of work four times a second: ``machine_unit_cpu`` gives its median CPU time
during the first and the last 100 commands, each tenth and the alternating phase.

The last line printed is one JSON object: acknowledgement p50/p95 of the first and the
last 100 applied commands and the ratio of their p50 (goal <= 1.2), the VmRSS of the
server and its lasting worker processes (/proc/PID/status) after the warm-up, at the end of
the day and after the alternating phase once the recognition backlog drained (goal:
growth < 50 MB), wall time, errors. The one-shot ffmpeg that cuts the last turn's audio,
when it is still running at the end, is counted apart (``rss_end_one_shot_mb``): it exits
within a second and is no growth. The end figure may catch the speech process in the
middle of a recognition (tens of MB for a few seconds; ``rss_peak_mb`` is the high-water
mark), which the figure after the drain does not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from common import PASSWORD, REPO_ROOT, log, start_server
from common import percentile as common_percentile
from machine_speed import Probe

DEADLINE_S = 14 * 60  # the whole run, start-up included
GOAL_RATIO = 1.2
GOAL_GROWTH_MB = 50.0
TEXT = ("Tôi đề nghị xã sớm sửa đoạn đường liên thôn từ thôn 3 đi thôn 5, mùa mưa ngập "
        "sâu, học sinh đi lại rất khó khăn. Xin cảm ơn.")


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _one_shot(pid: int) -> bool:
    """An ffmpeg that cuts one turn's audio out of the recording (it writes ``.NAME.part``
    and exits within a second): not memory the server keeps."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(argv) and argv[0].endswith(b"ffmpeg") and any(a.endswith(b".part") for a in argv)


def rss_mb(pid: int, field: str = "VmRSS", *, one_shot: bool = False) -> float | None:
    """The server's memory with its lasting worker processes (speech recognition runs in
    one); ``one_shot``: only the one-turn cutting processes running at this instant."""
    if not Path(f"/proc/{pid}").exists():
        return None
    total, seen, todo = 0, set(), [pid]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo += _children(p)
        if _one_shot(p) is not one_shot:
            continue
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def cpu_s(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of the server process and of its worker processes."""
    tick = os.sysconf("SC_CLK_TCK")

    def one(p: int) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick

    return one(pid), sum(one(c) for c in _children(pid))


def percentile(values: list[float], p: float) -> float | None:
    """In milliseconds to a tenth."""
    value = common_percentile(values, p)
    return None if value is None else round(value, 1)


class Http:
    """One logged-in person over HTTP (cookie + CSRF token)."""

    def __init__(self, base: str) -> None:
        import aiohttp

        self.base = base
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                             timeout=aiohttp.ClientTimeout(total=60))
        self.csrf = ""

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.session.request(method, self.base + path, json=body,
                                        headers={"X-CSRF-Token": self.csrf}) as r:
            data = await r.json() if r.content_type == "application/json" else await r.text()
            return r.status, data

    async def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, data = await self.call(method, path, body)
        if status not in (200, 201):
            raise RuntimeError(f"{method} {path}: {status} {data}")
        return data

    async def login(self, username: str) -> None:
        data = await self.ok("POST", "/api/session", {"username": username, "password": PASSWORD})
        self.csrf = data["csrf_token"]

    def cookie(self) -> str:
        from yarl import URL

        jar = self.session.cookie_jar.filter_cookies(URL(self.base))
        return "; ".join(f"{k}={v.value}" for k, v in jar.items())

    async def close(self) -> None:
        await self.session.close()


class Tablet:
    """A staff tablet on socket.io: keeps the latest queue state, sends commands, times acks."""

    def __init__(self, name: str, run: Run) -> None:
        import socketio

        self.name, self.run = name, run
        self.sio = socketio.AsyncClient(reconnection=False)
        self.staff: dict[str, Any] | None = None
        self.sio.on("queue:state", self._on_state)

    async def _on_state(self, data: dict[str, Any]) -> None:
        if self.staff is None or data["version"] > self.staff["version"]:
            self.staff = data

    async def connect(self, base: str, cookie: str, cid: int) -> None:
        await self.sio.connect(base, headers={"Cookie": cookie}, transports=["websocket"],
                               wait_timeout=30)
        joined = await self.sio.call("join", {"conference_id": cid}, timeout=30)
        if not joined.get("ok"):
            raise RuntimeError(f"join refused: {joined}")
        await self._on_state(joined["staff"])

    @property
    def version(self) -> int:
        return self.staff["version"] if self.staff else 0

    def turns(self) -> dict[str, dict[str, Any]]:
        return {t["id"]: t for t in self.staff["state"]["turns"]} if self.staff else {}

    async def command(self, cid: int, kind: str, **fields: Any) -> dict[str, Any] | None:
        """Send one command (if the budget allows); None when the budget is spent."""
        run = self.run
        if not run.take():
            return None
        payload = {"conference_id": cid, "type": kind, "command_id": uuid.uuid4().hex,
                   "base_version": self.version, **fields}
        t0 = time.monotonic()
        try:
            ack = await self.sio.call("queue:command", payload, timeout=60)
        except Exception as exc:
            run.errors[f"{kind}:{type(exc).__name__}"] += 1
            return {"ok": False, "error": {"code": type(exc).__name__}}
        delay = (time.monotonic() - t0) * 1000
        if ack.get("ok"):
            run.acks.append((t0, delay, kind))
            run.applied[kind] += 1
            if len(run.acks) % 100 == 0:
                run.mark_cpu()
        else:
            code = ack.get("error", {}).get("code", "refused")
            if code == "version_conflict":
                run.conflicts += 1
            else:
                run.errors[f"{kind}:{code}"] += 1
        if (len(run.acks) + run.conflicts) % 200 == 0:
            log(f"  {run.sent} commands sent, {len(run.acks)} applied; last ack {delay:.0f} ms")
        return ack


class Run:
    """Shared counters of the day."""

    def __init__(self, commands: int, deadline: float) -> None:
        self.budget, self.deadline = commands, deadline
        self.sent = 0
        self.acks: list[tuple[float, float, str]] = []  # (send instant, ack ms, type) applied
        self.applied: Counter = Counter()
        self.errors: Counter = Counter()
        self.conflicts = 0
        self.finished: list[str] = []  # turns that ended, for the transcript writer
        self.transcripts = 0
        self.transcript_conflicts = 0
        self.transcript_ms: list[float] = []
        self.server_pid: int | None = None
        # (commands applied, server CPU s, workers' CPU s, this client's CPU s), every 100
        self.cpu_marks: list[tuple[int, float, float, float]] = []

    def mark_cpu(self) -> None:
        if self.server_pid is not None:
            self.cpu_marks.append((len(self.acks), *cpu_s(self.server_pid), time.process_time()))

    def take(self) -> bool:
        if self.sent >= self.budget or time.monotonic() > self.deadline:
            return False
        self.sent += 1
        return True

    @property
    def over(self) -> bool:
        return self.sent >= self.budget or time.monotonic() > self.deadline


async def floor(tab: Tablet, cid: int, pause: float, hold: float) -> None:
    """The moderator: call the next person, let them speak a little, end the turn."""
    run = tab.run
    called = 0
    extended: set[str] = set()
    paused: set[str] = set()
    started: dict[str, float] = {}
    while not run.over:
        state = tab.staff["state"]
        cur = state.get("current_turn_id")
        turn = tab.turns().get(cur) if cur else None
        if turn is None:
            if not tab.staff["order"]:
                await asyncio.sleep(0.05)  # nobody waiting: the desk is registering
                continue
            ack = await tab.command(cid, "call_next")
            if ack and ack.get("ok"):
                called += 1
        elif turn["status"] == "called":
            if called % 11 == 0:
                await tab.command(cid, "skip", turn_id=cur, reason="Không có mặt")
            else:
                ack = await tab.command(cid, "start", turn_id=cur)
                if ack and ack.get("ok"):
                    started[cur] = time.monotonic()
        elif turn["status"] == "paused":
            await tab.command(cid, "resume", turn_id=cur)
        elif turn["status"] == "speaking":
            if called % 3 == 0 and cur not in extended:
                extended.add(cur)
                await tab.command(cid, "extend_time", turn_id=cur, seconds=60,
                                  reason="Nội dung còn dài")
            elif called % 5 == 0 and cur not in paused:
                paused.add(cur)
                await tab.command(cid, "pause", turn_id=cur)
            elif time.monotonic() - started.get(cur, 0.0) < hold:
                await asyncio.sleep(0.02)
                continue
            else:
                ack = await tab.command(cid, "end", turn_id=cur)
                if ack and ack.get("ok"):
                    run.finished.append(cur)
        else:
            await asyncio.sleep(0.02)  # our view is behind: wait for the next queue:state
            continue
        await asyncio.sleep(pause)


async def desk(tab: Tablet, cid: int, pause: float, line: int = 6) -> None:
    """The chair: keep about ``line`` people in the line; approve phone registrations."""
    run = tab.run
    n = 0
    while not run.over:
        turns = tab.turns()
        pending = [t for t in turns.values() if t["status"] == "pending_approval"]
        if pending:
            await tab.command(cid, "approve_turn", turn_id=pending[0]["id"])
        elif len(tab.staff["order"]) < line:
            n += 1
            await tab.command(cid, "register_turn", display_name=f"Hoàng Văn Dân {n}",
                              hamlet=f"Thôn {n % 9 + 1}", topic=f"Kiến nghị số {n}: đường, điện",
                              **({"source": "qr"} if n % 3 == 0 else {}))
        else:
            await asyncio.sleep(0.05)
            continue
        await asyncio.sleep(pause)


async def write_transcripts(http: Http, run: Run, stop: asyncio.Event) -> None:
    """The chair's second hand: each finished turn's text is typed in (PUT with revision)."""
    done = 0
    while not (stop.is_set() and done >= len(run.finished)):
        if done >= len(run.finished):
            await asyncio.sleep(0.05)
            continue
        turn_id = run.finished[done]
        done += 1
        t0 = time.monotonic()
        try:
            status, view = await http.call("GET", f"/api/turns/{turn_id}/transcript")
            revision = view["revision"] if status == 200 else 0
            for _attempt in range(3):
                status, body = await http.call("PUT", f"/api/turns/{turn_id}/transcript",
                                               {"text": TEXT, "base_revision": revision})
                if status != 409:
                    break
                run.transcript_conflicts += 1  # the machine draft came in between
                revision = body["error"]["current"]["revision"]
            if status == 200:
                run.transcripts += 1
                run.transcript_ms.append((time.monotonic() - t0) * 1000)
            else:
                run.errors[f"transcript:{status}"] += 1
        except Exception as exc:
            run.errors[f"transcript:{type(exc).__name__}"] += 1


async def warm_up(base: str, admin: Http, chair: Http, mod_cookie: str) -> dict[str, Any]:
    """One whole turn on another conference, so the model and caches are loaded."""
    conf = await admin.ok("POST", "/api/conferences", {
        "title": "Hội nghị khởi động", "starts_at": "2026-12-10T08:00",
        "venue": "Hội trường", "format": "in_person"})
    cid = conf["id"]
    run = Run(50, time.monotonic() + 120)
    tab = Tablet("warm-up", run)
    await tab.connect(base, mod_cookie, cid)
    try:
        await tab.command(cid, "register_turn", display_name="Đinh Văn Thử", hamlet="Thôn 1")
        await tab.command(cid, "call_next")
        turn_id = tab.staff["state"]["current_turn_id"]
        await tab.command(cid, "start", turn_id=turn_id)
        await asyncio.sleep(2.0)
        await tab.command(cid, "end", turn_id=turn_id)
    finally:
        await tab.sio.disconnect()
    run.finished.append(turn_id)
    stop = asyncio.Event()
    stop.set()
    await write_transcripts(chair, run, stop)
    t0 = time.monotonic()
    status: dict[str, Any] = {}
    while time.monotonic() - t0 < 90:  # the cut, then the model's first transcription
        status = await chair.ok("GET", "/api/transcription")
        if not status.get("running") or status.get("done", 0) + status.get("failed", 0) >= 1:
            break
        await asyncio.sleep(0.5)
    return {"errors": dict(run.errors), "transcription": status,
            "seconds": round(time.monotonic() - t0, 1)}


async def _step(tab: Tablet, cid: int, kind: str, **fields: Any) -> dict[str, Any] | None:
    """One command, sent again (up to 10 times) while it meets a version it had not seen."""
    ack = None
    for _ in range(10):
        ack = await tab.command(cid, kind, **fields)
        if not ack or ack.get("ok") or ack.get("error", {}).get("code") != "version_conflict":
            return ack
        await asyncio.sleep(0.02)
    return ack


async def _clear_floor(mod: Tablet, cid: int) -> None:
    """Nobody on the floor: the turn called or speaking when the day stopped is closed."""
    for _ in range(5):
        cur = mod.staff["state"].get("current_turn_id")
        turn = mod.turns().get(cur) if cur else None
        if turn is None:
            return
        if turn["status"] == "called":
            await _step(mod, cid, "skip", turn_id=cur, reason="Không có mặt")
        elif turn["status"] == "paused":
            await _step(mod, cid, "resume", turn_id=cur)
        else:
            await _step(mod, cid, "end", turn_id=cur)


async def _cycle(desk: Tablet, mod: Tablet, cid: int, n: int, pause: float, hold: float) -> None:
    """One person more in the line, the next one called, speaking ``hold`` s, done."""
    await _step(desk, cid, "register_turn", display_name=f"Trần Thị Xen {n}",
                hamlet=f"Thôn {n % 9 + 1}", topic=f"Kiến nghị xen kẽ số {n}")
    await asyncio.sleep(pause)
    await _step(mod, cid, "call_next")
    await asyncio.sleep(pause)
    cur = mod.staff["state"].get("current_turn_id")
    if cur:
        await _step(mod, cid, "start", turn_id=cur)
        await asyncio.sleep(hold)
        await _step(mod, cid, "end", turn_id=cur)
    await asyncio.sleep(pause)


async def alternate(base: str, admin: Http, mod_cookie: str, chair_cookie: str, late_cid: int,
                    cycles: int, pause: float, hold: float) -> dict[str, Any]:
    """The same commands on the day's conference and on a fresh one, a cycle on each in
    turn (register, call_next, start, end): both are timed in the same minutes, so a
    machine that runs slower or faster for a while weighs on both alike, and what is left
    between them is what the day's length costs."""
    conf = await admin.ok("POST", "/api/conferences", {
        "title": "Hội nghị mới, so sánh", "starts_at": "2026-12-19T07:30",
        "venue": "Hội trường UBND xã", "format": "in_person"})
    deadline = time.monotonic() + 600
    runs = {"late": Run(10**6, deadline), "fresh": Run(10**6, deadline)}
    tabs: dict[str, tuple[int, Tablet, Tablet]] = {}
    for name, cid in (("late", late_cid), ("fresh", conf["id"])):
        mod, desk = Tablet(f"{name}-moderator", runs[name]), Tablet(f"{name}-chair", runs[name])
        await mod.connect(base, mod_cookie, cid)
        await desk.connect(base, chair_cookie, cid)
        tabs[name] = (cid, mod, desk)
    try:
        await _clear_floor(tabs["late"][1], late_cid)
        # the same line in both: the fresh conference gets as many people waiting
        cid, mod, desk = tabs["fresh"]
        waiting = len(tabs["late"][1].staff["order"])
        for n in range(waiting):
            await _step(desk, cid, "register_turn", display_name=f"Lê Văn Chờ {n}",
                        hamlet=f"Thôn {n % 9 + 1}")
        for run in runs.values():
            run.acks.clear()
            run.applied.clear()
        for i in range(cycles):
            for name in (("late", "fresh") if i % 2 == 0 else ("fresh", "late")):
                cid, mod, desk = tabs[name]
                await _cycle(desk, mod, cid, i, pause, hold)
    finally:
        for _, mod, desk in tabs.values():
            await mod.sio.disconnect()
            await desk.sio.disconnect()
    out: dict[str, Any] = {"cycles_each": cycles}
    for name, run in runs.items():
        acks = [d for _, d, _ in run.acks]
        out[f"{name}_applied"] = len(acks)
        out[f"{name}_p50_ms"] = percentile(acks, 50)
        out[f"{name}_p95_ms"] = percentile(acks, 95)
        out[f"{name}_p50_by_type_ms"] = {
            kind: percentile([d for _, d, k in run.acks if k == kind], 50)
            for kind in sorted(run.applied)}
        out[f"{name}_errors"] = dict(run.errors)
    if out["late_p50_ms"] and out["fresh_p50_ms"]:
        out["late_over_fresh_p50"] = round(out["late_p50_ms"] / out["fresh_p50_ms"], 2)
    spans = [(t0, t0 + d / 1000) for run in runs.values() for t0, d, _ in run.acks]
    out["span"] = (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None
    return out


async def day(base: str, pid: int, commands: int, pause: float, hold: float,
              deadline: float, cycles: int) -> dict[str, Any]:
    admin, chair, mod = Http(base), Http(base), Http(base)
    out: dict[str, Any] = {}
    try:
        await admin.login("bench")
        for username, name, role in (("dieuhanh", "Vũ Thị Điều Hành", "moderator"),
                                     ("chutri", "Ngô Văn Chủ Trì", "chair")):
            await admin.ok("POST", "/api/users", {"username": username, "full_name": name,
                                                  "role": role, "password": PASSWORD})
        await chair.login("chutri")
        await mod.login("dieuhanh")
        out["broadcast_on_air"] = (await mod.ok("POST", "/api/broadcast/on-air",
                                                {"on_air": True, "chime": False}))["on_air"]
        log("warm-up turn (recording cut, speech model, transcript) ...")
        out["warm_up"] = await warm_up(base, admin, chair, mod.cookie())
        await asyncio.sleep(2.0)
        out["rss_start_mb"] = rss_mb(pid)
        log(f"warm-up done: {out['warm_up']}; server RSS {out['rss_start_mb']} MB")

        conf = await admin.ok("POST", "/api/conferences", {
            "title": "Hội nghị đối thoại cả ngày", "starts_at": "2026-12-18T07:30",
            "venue": "Hội trường UBND xã", "format": "in_person"})
        cid = conf["id"]
        run = Run(commands, deadline)
        run.server_pid = pid
        run.mark_cpu()
        moderator, secretary = Tablet("moderator", run), Tablet("chair", run)
        await moderator.connect(base, mod.cookie(), cid)
        await secretary.connect(base, chair.cookie(), cid)
        stop = asyncio.Event()
        t0 = time.monotonic()
        writer = asyncio.create_task(write_transcripts(chair, run, stop))
        try:
            await asyncio.gather(floor(moderator, cid, pause, hold),
                                 desk(secretary, cid, pause))
        finally:
            stop.set()
            await asyncio.wait_for(writer, 300)
            for tab in (moderator, secretary):
                await tab.sio.disconnect()
        out["commands_s"] = round(time.monotonic() - t0, 1)
        out["rss_end_mb"] = rss_mb(pid)
        # the last turn's audio being cut at this instant (counted apart, not as growth)
        out["rss_end_one_shot_mb"] = rss_mb(pid, one_shot=True)
        if cycles:
            log(f"the day's conference and a fresh one, {cycles} cycles each in turn ...")
            out["alternate"] = await alternate(base, admin, mod.cookie(), chair.cookie(), cid,
                                               cycles, pause, hold)
        # what the server still has to do: cut and transcribe the last turns
        drain0 = time.monotonic()
        status: dict[str, Any] = {}
        while time.monotonic() - drain0 < 120 and time.monotonic() < deadline + 30:
            status = await chair.ok("GET", "/api/transcription")
            if not status.get("running") or (not status.get("backlog") and not status.get("current")):
                break
            await asyncio.sleep(1.0)
        await asyncio.sleep(2.0)
        out["rss_after_drain_mb"] = rss_mb(pid)
        out["rss_peak_mb"] = rss_mb(pid, "VmHWM")
        out["drain_s"] = round(time.monotonic() - drain0, 1)
        out["transcription"] = {k: status.get(k) for k in ("engine", "done", "failed",
                                                            "backlog", "error")}
        recordings = await chair.ok("GET", f"/api/conferences/{cid}/recordings")
        queue = await chair.ok("GET", f"/api/conferences/{cid}/queue")
        broadcast = await chair.ok("GET", "/api/broadcast")
        out["recordings"] = len(recordings)
        out["turns"] = dict(Counter(t["status"] for t in queue["state"]["turns"]))
        out["queue_version"] = queue["version"]
        out["recorder"] = {k: broadcast.get("recorder", {}).get(k)
                           for k in ("state", "segments", "recorded_s", "last_error")}
        out["run"] = run
    finally:
        for h in (admin, chair, mod):
            await h.close()
    return out


def cpu_per_command(marks: list[tuple[int, float, float, float]]) -> dict[str, Any]:
    rows = []
    for (n0, s0, w0, c0), (n1, s1, w1, c1) in zip(marks, marks[1:], strict=False):
        if n1 > n0:
            rows.append([round((x1 - x0) * 1000 / (n1 - n0), 2)
                         for x0, x1 in ((s0, s1), (w0, w1), (c0, c1))])
    if not rows:
        return {}
    return {"server_cpu_ms_per_command_first_last": [rows[0][0], rows[-1][0]],
            "server_cpu_ms_per_command_by_100": [r[0] for r in rows],
            "workers_cpu_ms_per_command_by_100": [r[1] for r in rows],
            "client_cpu_ms_per_command_by_100": [r[2] for r in rows]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--commands", type=int, default=2000)
    ap.add_argument("--db", default=None, help="database URL (default: SQLite in a temp folder)")
    ap.add_argument("--pause", type=float, default=0.03, help="each moderator's pause (s)")
    ap.add_argument("--hold", type=float, default=0.3, help="seconds of speech per turn")
    ap.add_argument("--cycles", type=int, default=25,
                    help="after the day: cycles of 4 commands on its conference and on a "
                         "fresh one, in turn (0: none)")
    ap.add_argument("--acks-out", default=None, metavar="FILE",
                    help="also write each applied command of the day as a JSON line: "
                         "seconds since the first, acknowledgement ms, type")
    ap.add_argument("--no-captions", action="store_true",
                    help="serve without live captions (to tell their share of the load)")
    args = ap.parse_args(argv)
    if not 200 <= args.commands <= 20000:
        ap.error("--commands 200..20000")
    if not 0 <= args.cycles <= 500:
        ap.error("--cycles 0..500")
    t_wall = time.monotonic()
    deadline = t_wall + DEADLINE_S
    commit = subprocess.run(["git", "log", "-1", "--format=%h"], cwd=REPO_ROOT,
                            capture_output=True, text=True).stdout.strip() or None
    out: dict[str, Any] = {"commands": args.commands, "commit": commit,
                           "load_avg_before": [round(x, 2) for x in os.getloadavg()],
                           "db": "postgresql" if args.db else "sqlite",
                           "captions": not args.no_captions}
    failure = None
    probe = Probe()
    with tempfile.TemporaryDirectory(prefix="long-day-") as tmp:
        proc = None
        try:
            proc, base = start_server(Path(tmp), args.db,
                                      extra=("--no-captions",) if args.no_captions else ())
            log(f"server {base} pid {proc.pid}")
            with probe:
                got = asyncio.run(day(base, proc.pid, args.commands, args.pause, args.hold,
                                      deadline, args.cycles))
            out.update(got)
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"[:2000]
            log(f"run failed: {failure}")
        finally:
            if proc is not None:
                out["server_exited"] = proc.poll()
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                server_log = (Path(tmp) / "server.log").read_text(errors="replace")
                out["server_log_errors"] = server_log.count(" ERROR ")
    run: Run | None = out.pop("run", None)
    if run is not None:
        ordered = sorted(run.acks)
        acks = [d for _, d, _ in ordered]
        if args.acks_out:
            with open(args.acks_out, "w") as f:
                for t0, d, k in ordered:
                    f.write(json.dumps([round(t0 - ordered[0][0], 3), round(d, 2), k]) + "\n")
        fifth = len(ordered) // 5
        # each command type's p50 in the first and the last fifth of the day: the same
        # work early and late, whatever the mix of types in a stretch
        by_kind = {kind: [percentile([d for _, d, k in part if k == kind], 50)
                          for part in (ordered[:fifth], ordered[-fifth:])]
                   for kind in sorted(run.applied)}
        first, last = acks[:100], acks[-100:]
        p50_first, p50_last = percentile(first, 50), percentile(last, 50)

        def window(part: list[tuple[float, float, str]]) -> tuple[float, float]:
            return part[0][0], max(t0 + d / 1000 for t0, d, _ in part)

        tenth = max(len(ordered) // 10, 1)
        speed = {
            "first100_ms": probe.median(*window(ordered[:100])) if ordered else None,
            "last100_ms": probe.median(*window(ordered[-100:])) if ordered else None,
            "by_tenth_ms": [probe.median(*window(ordered[i * tenth:(i + 1) * tenth]))
                            for i in range(10) if ordered[i * tenth:(i + 1) * tenth]],
            **probe.spread()}
        alt = out.get("alternate")
        if alt and alt.get("span"):
            speed["alternate_ms"] = probe.median(*alt.pop("span"))
        # the CPU time of one fixed unit of work (bench/machine_speed.py) while each
        # stretch ran: the machine's own speed, which the acknowledgements follow too
        out["machine_unit_cpu"] = speed
        out.update({
            "sent": run.sent, "applied": len(acks), "applied_by_type": dict(run.applied),
            "conflicts_retried": run.conflicts,
            "first100_p50_ms": p50_first, "first100_p95_ms": percentile(first, 95),
            "last100_p50_ms": p50_last, "last100_p95_ms": percentile(last, 95),
            "last_over_first_p50": round(p50_last / p50_first, 2)
            if p50_first and p50_last else None,
            "all_p50_ms": percentile(acks, 50), "all_p99_ms": percentile(acks, 99),
            "max_ms": round(max(acks), 1) if acks else None,
            # p50 of each tenth of the run, in order: a trend, or noise from the machine
            "p50_by_tenth_ms": [percentile(acks[i * len(acks) // 10:(i + 1) * len(acks) // 10],
                                           50) for i in range(10)],
            # CPU milliseconds per applied command over each stretch of 100 (first and
            # last stretches, and the whole series): what the work costs whatever the load
            **cpu_per_command(run.cpu_marks),
            "p50_by_type_first_last_fifth_ms": by_kind,
            "transcripts_written": run.transcripts,
            "transcript_conflicts_retried": run.transcript_conflicts,
            "transcript_p50_ms": percentile(run.transcript_ms, 50),
            "errors": sum(run.errors.values()), "errors_by_kind": dict(run.errors),
            "stopped_by_deadline": run.sent < run.budget,
        })
    if out.get("rss_start_mb") and out.get("rss_end_mb"):
        out["rss_growth_mb"] = round(out["rss_end_mb"] - out["rss_start_mb"], 1)
        if out.get("rss_after_drain_mb"):
            out["rss_growth_after_drain_mb"] = round(
                out["rss_after_drain_mb"] - out["rss_start_mb"], 1)
    out["wall_s"] = round(time.monotonic() - t_wall, 1)
    out["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    out["goals"] = {"last_over_first_p50_max": GOAL_RATIO, "rss_growth_mb_max": GOAL_GROWTH_MB,
                    "errors": 0}
    if run is not None:
        ratio, growth = out.get("last_over_first_p50"), out.get("rss_growth_mb")
        out["goals_met"] = {"last_over_first_p50_max": ratio is not None and ratio <= GOAL_RATIO,
                            "rss_growth_mb_max": growth is not None and growth < GOAL_GROWTH_MB,
                            "errors": out["errors"] == 0}
    if failure:
        out["failure"] = failure
    print(json.dumps(out, ensure_ascii=False))
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
