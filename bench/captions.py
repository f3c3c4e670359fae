"""Live captions on this machine: real voices played through the server's `file:` audio
source in real time, as speaking turns, with the broadcast on air and a loudspeaker relay
(a real `doithoai relay` process) playing; a socket.io client of the public room times the
captions. Prints one JSON line last.

    .venv/bin/python bench/captions.py --data ../shared/testdata/speech-vi
    .venv/bin/python bench/captions.py --data ../shared/testdata/speech-vi --cpu-hogs 1
    .venv/bin/python bench/captions.py --data ../shared/testdata/speech-vi --names

The server runs in this process, its garbage collector set as `doithoai serve` sets it.
The recordings of ``--data`` (``transcripts.tsv``: file, tab, text) are joined into one
programme: a lead-in, then each recording followed by ``--gap`` seconds of faint noise; the
source loops it. The benchmark watches the captured frames (a tap on the broadcast), so it
knows when each recording's speech starts and ends on the server's clock; turns start and
end in the gaps (``--per-turn`` recordings per turn) for ``--passes`` passes.

Figures: the delay from the end of each utterance to its final caption at the client, the
delay from the start of speech to its first caption line (a partial word), the WER of the
final captions against the references (the normalisation of bench/asr.py), the relay's
under-runs and the longest stall of the server's event loop (which sends the relay its
audio), the CPU share of the server process (with this benchmark's client in it), of
the recogniser process and of the relay, and the captions' mode changes.

``--names`` measures the commune vocabulary instead (no server): see docs/captions.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import PASSWORD, free_port, load_transcripts, log, percentile  # noqa: E402

from broadcast.cpuload import cpu_hogs, load_average  # noqa: E402
from broadcast.gc_pauses import quiet_collector  # noqa: E402
from server.asr.audio import SAMPLE_RATE, convert_to_wav16k, read_wav, write_wav  # noqa: E402
from server.asr.metrics import normalize_for_wer, word_error_rate  # noqa: E402

FRAME_S = 0.02


def speech_span(samples: np.ndarray, rate: int) -> tuple[float, float]:
    """First and last 20 ms frame louder than -40 dBFS: where the speech is in a clip."""
    n = rate // 50
    frames = samples[: len(samples) // n * n].astype(np.float64).reshape(-1, n)
    loud = np.nonzero(np.sqrt(np.mean(frames * frames, axis=1)) > 328)[0]
    if len(loud) == 0:
        return 0.0, len(samples) / rate
    return loud[0] * n / rate, (loud[-1] + 1) * n / rate


def programme(rows: list[tuple[Path, str]], work: Path, lead: float, gap: float
              ) -> tuple[Path, list[dict[str, Any]], float]:
    """One WAV: lead-in, each clip, a gap after each; where each clip's speech lies."""
    rng = np.random.default_rng(7)
    pieces = [rng.normal(0, 16, int(lead * SAMPLE_RATE)).astype(np.int16)]
    position = lead
    clips = []
    for index, (path, text) in enumerate(rows):
        wav = work / f"clip{index}.wav"
        convert_to_wav16k(path, wav)
        samples, _ = read_wav(wav)
        start, end = speech_span(samples, SAMPLE_RATE)
        clips.append({"index": index, "text": text, "start": position + start,
                      "end": position + end, "clip_end": position + len(samples) / SAMPLE_RATE})
        pieces.append(samples)
        position += len(samples) / SAMPLE_RATE
        pieces.append(rng.normal(0, 16, int(gap * SAMPLE_RATE)).astype(np.int16))
        position += gap
    out = work / "programme.wav"
    write_wav(out, np.concatenate(pieces))
    return out, clips, position


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(data: Path, passes: int, per_turn: int, gap: float, hogs: int,
              captions_on: bool = True) -> dict[str, Any]:
    with cpu_hogs(hogs) as pids:
        if hogs:
            log(f"{hogs} busy-loop processes: {pids}")
        return await _run(data, passes, per_turn, gap, hogs, captions_on)


async def _run(data: Path, passes: int, per_turn: int, gap: float, hogs: int,
               captions_on: bool) -> dict[str, Any]:
    import aiohttp
    import socketio
    from aiohttp import web
    from sqlalchemy import select

    from server.app import Config, create_app
    from server.auth import hash_password
    from server.db.models import User
    from server.keys import BROADCAST, CAPTIONS, SESSIONMAKER

    work = Path(tempfile.mkdtemp(prefix="doithoai-captions-"))
    rows = load_transcripts(data)
    wav, clips, length = programme(rows, work, lead=1.0, gap=gap)
    log(f"programme: {len(clips)} recordings, {length:.1f} s a pass, {passes} passes")
    app = create_app(Config(data_dir=work / "data", audio_source=f"file:{wav}",
                            captions=captions_on))
    runner = web.AppRunner(app)
    await runner.setup()
    quiet_collector()  # as `doithoai serve` does once started (broadcast/gc_pauses.py)
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    async with app[SESSIONMAKER]() as db, db.begin():
        admin = (await db.execute(select(User).where(User.username == "admin"))).scalar_one()
        admin.password_hash = hash_password(PASSWORD)

    # frames[i]: when the source's i-th frame (programme position i x 20 ms) was captured;
    # the frames it played before the tap was added (start-up, logging in) have no time
    frames: list[float] = []
    svc = app[BROADCAST]
    source = svc.source

    def tap(_frame: bytes) -> None:
        index = source.frames - 1  # the source counted this frame before handing it on
        if index > len(frames):
            frames.extend([float("nan")] * (index - len(frames)))
        frames.append(time.monotonic())

    untap = svc.add_tap(tap)
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    csrf = ""

    async def call(method: str, path: str, body: Any = None) -> Any:
        async with http.request(method, base + path, json=body,
                                headers={"X-CSRF-Token": csrf}) as resp:
            answer = await resp.json()
            if resp.status >= 300:
                raise RuntimeError(f"{method} {path}: {resp.status} {answer}")
            return answer

    login = await call("POST", "/api/session", {"username": "admin", "password": PASSWORD})
    csrf = login["csrf_token"]
    conf = await call("POST", "/api/conferences", {
        "title": "Đo phụ đề", "starts_at": "2026-12-18T08:00", "venue": "Hội trường"})
    cid = conf["id"]
    slug = (await call("GET", f"/api/conferences/{cid}/registration"))["url"].rsplit("/", 1)[1]
    device = await call("POST", "/api/devices", {"name": "Loa đo phụ đề", "kind": "relay"})
    relay = subprocess.Popen(
        [sys.executable, "-m", "broadcast.cli", "relay", "--server", base, "--token",
         device["token"], "--name", "bench-relay", "--source", "http", "--output",
         str(work / "relay.wav"), "--report-interval", "1"],
        cwd=str(REPO), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    await call("POST", "/api/broadcast/on-air", {"on_air": True, "chime": False})

    lines: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    phone = socketio.AsyncClient(reconnection=False)
    phone.on("captions:line", lambda d: lines.append({**d, "t": time.monotonic()}))
    phone.on("captions:state", lambda d: states.append({**d, "t": time.monotonic()}))
    await phone.connect(base, auth={"follow": slug}, transports=["websocket"])
    await phone.call("join", {"conference_id": cid})

    async def queue(kind: str, **kw: Any) -> None:
        q = await call("GET", f"/api/conferences/{cid}/queue")
        await call("POST", f"/api/conferences/{cid}/queue/commands",
                   {"type": kind, "command_id": uuid.uuid4().hex,
                    "base_version": q["version"], **kw})

    def position() -> float:
        """The programme's position (s) of the last captured frame, over all passes."""
        return len(frames) * FRAME_S

    async def until(pos: float) -> None:
        while position() < pos:
            await asyncio.sleep(0.01)

    def wall(pos: float) -> float:
        """When the frame holding programme position ``pos`` was captured."""
        return frames[min(len(frames) - 1, int(pos / FRAME_S))]

    # wait for the capture to start, then play whole passes from the next loop start
    while not frames:
        await asyncio.sleep(0.05)
    first_pass = int(position() // length) + 1
    captions = app[CAPTIONS]
    spoken: list[dict[str, Any]] = []  # each clip occurrence inside a turn
    turns: list[dict[str, Any]] = []
    worker_cpu0 = None
    relay_cpu0 = cpu_seconds(relay.pid)
    async def call_next() -> str:
        """Register the next speaker and call them to the microphone (the recogniser starts
        loading then, as in the hall)."""
        q = await call("GET", f"/api/conferences/{cid}/queue")
        command = {"type": "register_turn", "command_id": uuid.uuid4().hex,
                   "base_version": q["version"], "display_name": f"Người nói {len(turns) + 1}",
                   "hamlet": "Thôn 1"}
        await call("POST", f"/api/conferences/{cid}/queue/commands", command)
        await queue("call_turn", turn_id=command["command_id"], reason="đo")
        return command["command_id"]

    def underruns() -> int:
        report = next((r for r in svc.status()["relays"] if r["name"] == "bench-relay"), {})
        return int(report.get("underruns") or 0)

    stalls: list[float] = []  # how late the server's event loop woke, measured passes only

    async def watch_loop() -> None:
        """The audio to the relays goes out on the server's event loop: how long it stood."""
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.005)
            stalls.append(time.monotonic() - t - 0.005)

    turn_id = await call_next()
    await until(first_pass * length - 0.5)
    underruns0 = underruns()
    watcher = asyncio.create_task(watch_loop())
    cpu0 = {"server": os.times(), "at": time.monotonic()}
    for p in range(first_pass, first_pass + passes):
        offset = p * length
        for k in range(0, len(clips), per_turn):
            group = clips[k:k + per_turn]
            await until(offset + group[0]["start"] - min(0.8, gap / 2))
            await queue("start", turn_id=turn_id)
            if worker_cpu0 is None and captions.worker is not None:
                await captions.worker.ready.wait()
                worker_cpu0 = (captions.worker.pid, cpu_seconds(captions.worker.pid))
            for clip in group:
                spoken.append({**clip, "turn_id": turn_id, "pos_start": offset + clip["start"],
                               "pos_end": offset + clip["end"]})
            await until(offset + group[-1]["clip_end"] + gap * 0.75)
            await queue("end", turn_id=turn_id)
            turns.append({"turn_id": turn_id, "refs": [c["text"] for c in group]})
            log(f"  turn {len(turns)} ended; captions {captions.status()}")
            turn_id = await call_next()
    await asyncio.sleep(2.5)  # the last finals and the relay's last report
    wall_s = time.monotonic() - cpu0["at"]
    t1 = os.times()
    server_cpu = (t1.user + t1.system) - (cpu0["server"].user + cpu0["server"].system)
    worker_cpu = (cpu_seconds(worker_cpu0[0]) - worker_cpu0[1]) if worker_cpu0 else None
    relay_cpu = cpu_seconds(relay.pid) - relay_cpu0
    relay_report = next((r for r in svc.status()["relays"] if r["name"] == "bench-relay"), {})
    relay_underruns = underruns() - underruns0
    watcher.cancel()
    load = load_average()
    captions_status = captions.status()
    relay.terminate()
    relay.wait(10)
    untap()
    await phone.disconnect()
    await http.close()
    await runner.cleanup()

    # ---- figures -----------------------------------------------------------------------
    finals = [line for line in lines if line["final"]]
    end_delays, first_delays, missing = [], [], 0
    for i, u in enumerate(spoken):
        ended = wall(u["pos_end"])
        began = wall(u["pos_start"])
        nxt = wall(spoken[i + 1]["pos_start"]) if i + 1 < len(spoken) else float("inf")
        after = [f for f in finals if f["turn_id"] == u["turn_id"] and ended <= f["t"] < nxt]
        if after:
            end_delays.append(after[0]["t"] - ended)
        else:
            missing += 1
        seen_before = {line["seq"] for line in lines if line["t"] < began}
        fresh = [line for line in lines if line["t"] >= began and line["seq"] not in seen_before
                 and line["turn_id"] == u["turn_id"]]
        if fresh:
            first_delays.append(fresh[0]["t"] - began)
    refs = [" ".join(t["refs"]) for t in turns]
    hyps = [" ".join(f["text"] for f in finals if f["turn_id"] == t["turn_id"]) for t in turns]
    for ref, hyp in zip(refs, hyps, strict=True):
        log(f"  ref: {normalize_for_wer(ref)}\n  hyp: {normalize_for_wer(hyp)}")
    modes: list[str] = []
    for s in states:
        if not modes or modes[-1] != s["mode"]:
            modes.append(s["mode"])

    def r(x: float | None, nd: int = 2) -> float | None:
        return None if x is None else round(x, nd)

    return {
        "utterances": len(spoken), "turns": len(turns),
        "final_delay_median_s": r(statistics.median(end_delays)) if end_delays else None,
        "final_delay_max_s": r(max(end_delays)) if end_delays else None,
        "final_delay_p90_s": r(percentile(end_delays, 90)),
        "utterances_without_final": missing,
        "first_partial_delay_median_s": r(statistics.median(first_delays)) if first_delays
        else None,
        "first_partial_delay_max_s": r(max(first_delays)) if first_delays else None,
        "wer": r(word_error_rate(refs, hyps), 3),
        "relay_underruns": relay_underruns, "captions": captions_on,
        # the longest wait of the server's event loop (which sends the relays their audio)
        "server_loop_stall_max_ms": r(max(stalls, default=0.0) * 1000, 1),
        "server_loop_stalls_over_50ms": sum(1 for x in stalls if x > 0.05),
        "relay_connected": relay_report.get("connected"),
        "server_cpu_share": r(server_cpu / wall_s, 3),
        "recogniser_cpu_share": r(worker_cpu / wall_s, 3) if worker_cpu is not None else None,
        "relay_cpu_share": r(relay_cpu / wall_s, 3),
        "modes_seen": modes, "dropped_audio_s": captions_status["dropped_s"],
        "wall_s": r(wall_s, 1), "cpu_hogs": hogs, "cores": os.cpu_count(),
        "load_average": load,
        "goals": {"final_delay_median_s": 1.5, "final_delay_max_s": 3.0,
                  "first_partial_delay_median_s": 1.0, "wer": 0.12, "relay_underruns": 0},
    }


# ---- the commune vocabulary ----------------------------------------------------------------

# How a recogniser writes local names it does not know: tones lost or changed, syllables of
# minority-language names respelled in Vietnamese, lower case. Written by hand from what the
# engine does with the real voices (it keeps syllables, loses or changes tones and spelling);
# they test the correction, not the engine.
NAME_CASES = [
    ("ông y niê kđăm ở buôn đăk rơ hỏi về đất rẫy", "Y Niê Kdăm", "Buôn Đăk Rơ"),
    ("bà h mai ê ban kiến nghị sửa cầu suối đá bàn", "H Mai Êban", "Suối Đá Bàn"),
    ("kính thưa ông nguyễn văn thương chủ tịch xã ea tiêu", "Nguyễn Văn Thưởng", "Ea Tiêu"),
    ("bà con bon bu đa hỏi về điện", "Bon Bu Dăr", None),
    ("thôn tân lặp xin làm đường bê tông", "Thôn Tân Lập", None),
    ("ông a ma hiếu ở buôn cư kuin", "Ama Hiếu", "Buôn Cư Kuin"),
    ("chị lê thị hoà ở tổ dân phố ba", "Lê Thị Hòa", None),
    ("anh rơ châm thuyên thôn đăk sú", "Rơ Châm Thuyên", "Thôn Đăk Sú"),
    ("đồng chí trần quốc vượng phó chủ tịch", "Trần Quốc Vượng", None),
    ("bà con buôn ma thuột nhỏ", "Buôn Ma Thuột", None),
]
VOCABULARY = sorted({t for _, a, b in NAME_CASES for t in (a, b) if t}
                    | {"Nguyễn Thị Hoa", "Thôn Tân Hòa", "Buôn Đôn", "Ea Súp", "Đăk Mil"})
# Ordinary sentences with no name: the correction must leave them alone.
PLAIN = [
    "đề nghị xã sửa con đường từ thôn ba ra chợ",
    "bà con hỏi bao giờ có điện ở khu tái định cư",
    "xin hỏi về tiền đền bù đất làm đường",
]


def name_wer(ref_names: list[str], hyp: str) -> tuple[int, int]:
    """(name words wrong, name words) of ``hyp``: each name's words must appear, as written
    (case and diacritics included), in order."""
    wrong = total = 0
    for name in ref_names:
        words = name.split()
        total += len(words)
        if name not in hyp:
            wrong += len(words)
    return wrong, total


def names(data: Path | None) -> dict[str, Any]:
    from server.domain.captions import correct

    def score(texts: list[str]) -> float:
        wrong = total = 0
        for (_, *expected), text in zip(NAME_CASES, texts, strict=True):
            w, t = name_wer([e for e in expected if e], text)
            wrong, total = wrong + w, total + t
        return round(wrong / total, 3)

    heard = [h for h, *_ in NAME_CASES]
    fixed = [correct(h, VOCABULARY) for h in heard]
    for h, f in zip(heard, fixed, strict=True):
        log(f"  {h}\n   -> {f}")
    plain_changed = sum(correct(s, VOCABULARY) != s for s in PLAIN)
    result: dict[str, Any] = {
        "names_cases": len(NAME_CASES), "vocabulary_terms": len(VOCABULARY),
        "name_word_error_without": score(heard), "name_word_error_with": score(fixed),
        "plain_sentences_changed": plain_changed,
    }
    if data is not None:
        # the real voices: the WER of the recogniser's text with and without the vocabulary
        import vietasr

        from server.asr.numbers import write_numbers

        rows = load_transcripts(data)
        pipeline = vietasr.Pipeline.preset("transcribe")
        refs, raw = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for i, (path, text) in enumerate(rows):
                wav = Path(tmp) / f"{i}.wav"
                convert_to_wav16k(path, wav)
                samples, _ = read_wav(wav)
                session = pipeline.stream(sample_rate=SAMPLE_RATE)
                session.accept(samples.astype("<i2").tobytes() + bytes(SAMPLE_RATE))
                raw.append(write_numbers(" ".join(session.final().text.split())))
                refs.append(text)
        result["voices_wer_without"] = round(word_error_rate(refs, raw), 3)
        result["voices_wer_with"] = round(word_error_rate(
            refs, [correct(t, VOCABULARY) for t in raw]), 3)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO / ".." / "shared" / "testdata" / "speech-vi",
                    help="folder with transcripts.tsv and the recordings it names")
    ap.add_argument("--passes", type=int, default=2, help="times the programme is played")
    ap.add_argument("--per-turn", type=int, default=3, help="recordings in one speaking turn")
    ap.add_argument("--gap", type=float, default=2.0, help="seconds between recordings")
    ap.add_argument("--cpu-hogs", type=int, default=0,
                    help="run N busy-loop processes beside the server, recogniser and relay")
    ap.add_argument("--no-captions", action="store_true",
                    help="the same run with the captions off (the relay's baseline)")
    ap.add_argument("--names", action="store_true",
                    help="measure the commune vocabulary's correction of names instead")
    args = ap.parse_args()
    if not (args.data / "transcripts.tsv").is_file():
        raise SystemExit(f"{args.data}: no transcripts.tsv")
    if args.names:
        result = names(args.data)
    else:
        result = asyncio.run(run(args.data, args.passes, args.per_turn, args.gap, args.cpu_hogs,
                                 not args.no_captions))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
