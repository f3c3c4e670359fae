"""Mouth-to-loudspeaker delay of the broadcast, per transport, in one run on this machine.

A click train (irregular spacing) is the conference's audio source. The server records what it
captured with wall-clock times; three relays (real `doithoai relay` processes) pull the built-in
HTTP mount, RTP and a local icecast2, and write what they would play to WAV files with the
wall-clock time of their first sample. The delay is found by cross-correlating 2 s windows of the
captured audio with the relays' output. Prints one JSON line last.

`--cpu-hogs N` runs N busy-loop processes beside everything (server, encoder, relays) for the
whole run: the delay then includes what the relays' buffers grew to, and each relay's
underruns (with its buffer target, the silence they cost and the audio dropped to resync) are
reported, with the load average at the end of the run.

    .venv/bin/python bench/audio_latency.py [--seconds 20] [--jitter-ms N]   # N: all relays
    .venv/bin/python bench/audio_latency.py --cpu-hogs 2   # the same with 2 busy-loop processes
    .venv/bin/python bench/audio_latency.py --stages      # where the time goes, stage by stage
    .venv/bin/python bench/audio_latency.py --encoder-variants   # ffmpeg input/output flags

`--stages` runs the relays inside this process (HTTP and RTP) and times each click where it can
be seen: the source hands the frame to the encoder's stdin, the Opus packet carrying the frame's
last sample comes back from the encoder, the mount publishes its Ogg page, the relay's decoder
delivers the click's PCM, and the relay plays it (WAV timeline).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from common import log, percentile  # noqa: E402

from broadcast.analysis import delay_by_xcorr, read_wav  # noqa: E402
from broadcast.audio import SAMPLE_RATE, to_pcm  # noqa: E402
from broadcast.cpuload import cpu_hogs, load_average  # noqa: E402
from broadcast.icecast_local import LocalIcecast  # noqa: E402
from broadcast.recorder import wav_header  # noqa: E402
from broadcast.relay import Relay  # noqa: E402
from broadcast.service import BroadcastService  # noqa: E402

TOKEN = "bench-token"
WINDOW_S = 2.0
MAX_DELAY_S = 3.0


def free_port(kind: int = socket.SOCK_STREAM, even: bool = False) -> int:
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if not even or port % 2 == 0:
            return port


def click_train(path: Path, seconds: float = 8.0, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    x = np.zeros(int(seconds * SAMPLE_RATE))
    n = int(0.005 * SAMPLE_RATE)
    burst = 0.8 * np.hanning(n) * np.sin(2 * np.pi * 2000 * np.arange(n) / SAMPLE_RATE)
    t = 0.1
    while t < seconds - 0.1:
        i = int(t * SAMPLE_RATE)
        x[i : i + n] = burst
        t += rng.uniform(0.2, 0.6)
    pcm = to_pcm(x)
    path.write_bytes(wav_header(len(pcm)) + pcm)


def captured_timeline(svc: BroadcastService) -> tuple[np.ndarray, float]:
    rec = svc.recorder
    rec.flush()
    seg = rec.segments[-1]
    x, _ = read_wav(rec.folder / seg.file)
    return x, seg.start


def delays(ref: np.ndarray, ref_start: float, out: np.ndarray, out_start: float,
           t_from: float, t_to: float) -> list[float]:
    result = []
    t = t_from
    while t + WINDOW_S + MAX_DELAY_S <= t_to:
        a = int((t - ref_start) * SAMPLE_RATE)
        b = int((t - out_start) * SAMPLE_RATE)
        r = ref[a : a + int(WINDOW_S * SAMPLE_RATE)]
        o = out[b : b + int((WINDOW_S + MAX_DELAY_S) * SAMPLE_RATE)]
        if len(r) and len(o) and np.abs(r).max() > 0.1 and np.abs(o).max() > 0.05:
            result.append(delay_by_xcorr(r, o, SAMPLE_RATE, MAX_DELAY_S) * 1000.0)
        t += WINDOW_S
    return result


async def main(seconds: float, jitter_ms: int | None, hogs: int = 0) -> dict:
    with cpu_hogs(hogs) as pids:
        if hogs:
            log(f"{hogs} busy-loop processes: {pids}")
        return await _relay_delays(seconds, jitter_ms, hogs)


async def _relay_delays(seconds: float, jitter_ms: int | None, hogs: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="doithoai-latency-"))
    clicks = work / "clicks.wav"
    click_train(clicks)
    ice = LocalIcecast(free_port(), "bench-pw")
    ice.start()
    rtp_port = free_port(socket.SOCK_DGRAM, even=True)

    async def authorize(token: str) -> bool:
        return token == TOKEN

    svc = BroadcastService(f"file:{clicks}", work / "data", icecast_urls=[ice.source_url("live.opus")],
                           rtp_targets=[f"127.0.0.1:{rtp_port}"], authorize_device=authorize)
    app = web.Application()
    svc.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await svc.start()
    await svc.set_on_air(True, chime=False)
    server = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if svc.icecast[0].state == "running" and svc.rtp[0].state == "running":
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    sources = {"http": ["http"], "rtp": ["rtp"], "icecast": ["icecast", f"{ice.url}/live.opus"]}
    procs = {}
    for kind, src in sources.items():
        procs[kind] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "broadcast.cli", "relay", "--server", server, "--token", TOKEN,
            "--name", f"bench-{kind}", "--output", str(work / f"{kind}.wav"), "--source", *src,
            "--report-interval", "1",
            *(["--jitter-ms", str(jitter_ms)] if jitter_ms is not None else []),
            cwd=str(REPO), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(REPO)})
    log(f"3 relays (http, rtp, icecast) started; running {seconds:g} s")
    t_start = time.time()
    for done in range(int(seconds)):
        await asyncio.sleep(1.0)
        if (done + 1) % 5 == 0:
            under = {r["name"][6:]: r.get("underruns") for r in svc.status()["relays"]}
            log(f"  {done + 1} s: underruns {under}, load {load_average()}")
    await asyncio.sleep(seconds - int(seconds))
    t_end = time.time()
    load = load_average()
    for p in procs.values():
        p.send_signal(signal.SIGINT)
    for p in procs.values():
        await p.wait()
    ref, ref_start = captured_timeline(svc)
    relays = {r["name"]: r for r in svc.status()["relays"]}  # each relay's last report
    await svc.stop()
    await runner.cleanup()
    ice.stop()
    result: dict = {}
    log(f"work dir {work}")
    for kind in sources:
        wav = work / f"{kind}.wav"
        out, _ = read_wav(wav)
        out_start = json.loads(Path(f"{wav}.json").read_text())["started_at"]
        d = delays(ref, ref_start, out, out_start, t_start + 3.0, t_end - 0.2)
        rep = relays.get(f"bench-{kind}", {})
        log(f"{kind}: {len(d)} windows, delays ms {[round(v, 1) for v in d]}, relay restarts "
            f"{rep.get('restarts')}, underruns {rep.get('underruns')}, buffer target "
            f"{rep.get('target_ms')} ms")
        result[f"{kind}_median_ms"] = round(statistics.median(d), 1) if d else None
        p95 = percentile(d, 95)
        result[f"{kind}_p95_ms"] = round(p95, 1) if p95 is not None else None
        result[f"{kind}_windows"] = len(d)
        result[f"{kind}_underruns"] = rep.get("underruns")
        result[f"{kind}_target_ms"] = rep.get("target_ms")
        result[f"{kind}_silence_ms"] = rep.get("silence_ms")
        result[f"{kind}_dropped_ms"] = rep.get("dropped_ms")
    result.update(relay_jitter_ms=jitter_ms or "default (rtp 30, http/icecast 60)", seconds=seconds,
                  cpu_hogs=hogs, goal_http_ms=150, goal_rtp_ms=60, load_average=load)
    return result


# -- ffmpeg encoder variants -------------------------------------------------------------------
async def encoder_variant(args: list[str], mode: str, seconds: float = 6.0) -> float:
    """Median ms from writing a 20 ms PCM frame to ffmpeg's stdin to the output unit (Ogg page
    or RTP packet) carrying that frame's last encoded sample (libopus look-ahead: 120 samples)."""
    from broadcast.containers import OggPageSplitter  # noqa: PLC0415
    from broadcast.opus_rtp import parse_rtp  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    arrivals: list[tuple[int, float]] = []  # input samples covered, time
    sock = None
    out = "pipe:1"
    if mode == "rtp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        out = f"rtp://127.0.0.1:{sock.getsockname()[1]}"
        first: list[int] = []

        def on_read() -> None:
            while True:
                try:
                    d = sock.recv(2000)
                except BlockingIOError:
                    return
                pkt = parse_rtp(d)
                if pkt is None:
                    continue
                first[:] = first or [pkt.timestamp]
                arrivals.append((pkt.timestamp - first[0] + 960 - 120, time.time()))

        loop.add_reader(sock.fileno(), on_read)
    cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", *args, "-c:a", "libopus",
           "-b:a", "48k", "-application", "lowdelay", "-frame_duration", "20"]
    cmd += (["-f", "ogg", "-page_duration", "20000", "-flush_packets", "1"] if mode == "ogg"
            else ["-f", "rtp"]) + [out]
    proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.DEVNULL)

    async def read_ogg() -> None:
        sp = OggPageSplitter()
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(65536):
            t = time.time()
            arrivals.extend((p.granule - 120, t) for p in sp.feed(chunk) if p.granule > 0)

    reader = asyncio.create_task(read_ogg())
    writes: list[tuple[int, float]] = []
    t0, n = time.monotonic(), 0
    assert proc.stdin is not None
    while time.monotonic() - t0 < seconds:
        n += 1
        proc.stdin.write(bytes(1920))
        writes.append((n * 960, time.time()))
        await asyncio.sleep(max(0.0, t0 + n * 0.02 - time.monotonic()))
    await asyncio.sleep(0.3)
    proc.kill()
    await proc.wait()
    reader.cancel()
    if sock is not None:
        loop.remove_reader(sock.fileno())
        sock.close()
    ws = np.array([w[0] for w in writes])
    d = [(t - writes[k][1]) * 1000.0 for s, t in arrivals[20:]
         if (k := int(np.searchsorted(ws, s))) < len(writes)]
    return round(statistics.median(d), 1)


async def encoder_variants() -> dict:
    pcm48 = ["-f", "s16le", "-ar", "48000", "-ac", "1", "-i", "pipe:0"]
    pcm24 = ["-f", "s16le", "-ar", "24000", "-ac", "1", "-i", "pipe:0", "-af", "asetrate=48000"]
    nobuf = ["-fflags", "nobuffer", "-probesize", "32", "-analyzeduration", "0"]
    probe = ["-probesize", "32", "-analyzeduration", "0"]
    variants = {
        "ogg_nobuffer_48k_ms": (nobuf + pcm48, "ogg"),  # the command line before
        "ogg_48k_ms": (probe + pcm48, "ogg"),
        "ogg_24k_asetrate_ms": (probe + pcm24, "ogg"),
        "rtp_nobuffer_48k_ms": (nobuf + pcm48, "rtp"),
        "rtp_48k_ms": (probe + pcm48, "rtp"),
        "rtp_24k_asetrate_ms": (probe + pcm24, "rtp"),  # the command line now
    }
    result = {name: await encoder_variant(a, mode) for name, (a, mode) in variants.items()}
    result["load_average"] = load_average()
    return result


# -- stage by stage -----------------------------------------------------------------------------
def click_onsets(x: np.ndarray, threshold: float = 0.1, quiet_s: float = 0.1) -> list[int]:
    """Sample index of each click: first sample above threshold after at least quiet_s."""
    idx = np.flatnonzero(np.abs(x) >= threshold)
    out: list[int] = []
    last = -(10**9)
    for i in idx:
        if i - last > quiet_s * SAMPLE_RATE:
            out.append(int(i))
        last = i
    return out


def match(ref: list[float], seen: list[float], max_s: float = 1.0) -> list[float]:
    """Delay (ms) from each reference time to the first later observation within max_s."""
    out = []
    j = 0
    for t in ref:
        while j < len(seen) and seen[j] < t - 0.005:
            j += 1
        if j < len(seen) and seen[j] - t <= max_s:
            out.append((seen[j] - t) * 1000.0)
    return out


async def stages(seconds: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix="doithoai-stages-"))
    clicks = work / "clicks.wav"
    click_train(clicks)
    rtp_port = free_port(socket.SOCK_DGRAM, even=True)

    async def authorize(token: str) -> bool:
        return token == TOKEN

    svc = BroadcastService(f"file:{clicks}", work / "data", rtp_targets=[f"127.0.0.1:{rtp_port}"],
                           authorize_device=authorize)
    writes: list[tuple[int, float, float]] = []  # samples written so far, emitted at, written at
    emitted = [0.0]
    inner_on_frame = svc._on_frame

    def on_frame(frame: bytes) -> None:
        emitted[0] = time.time()
        inner_on_frame(frame)

    svc.source.sink = on_frame
    enc_write = svc.encoder.write
    total = [0]

    def write(pcm: bytes) -> None:
        enc_write(pcm)
        total[0] += len(pcm) // 2
        writes.append((total[0], emitted[0], time.time()))

    svc.encoder.write = write  # type: ignore[method-assign]
    packets: list[tuple[int, float]] = []  # RTP timestamp, arrival
    fanout = svc.encoder.on_rtp

    def on_rtp(pkt) -> None:  # noqa: ANN001
        packets.append((pkt.timestamp, time.time()))
        if fanout is not None:
            fanout(pkt)

    svc.encoder.on_rtp = on_rtp
    pages: list[float] = []
    feed = svc.encoder.on_opus

    def on_opus(data: bytes) -> None:
        feed(data)
        pages.append(time.time())

    svc.encoder.on_opus = on_opus
    app = web.Application()
    svc.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await svc.start()
    await svc.set_on_air(True, chime=False)
    for _ in range(100):
        if svc.rtp[0].state == "running" and svc.encoder.state == "running":
            break
        await asyncio.sleep(0.1)
    server = f"http://127.0.0.1:{port}"
    relays = {kind: Relay(server, TOKEN, f"stage-{kind}", source=kind, output=str(work / f"{kind}.wav"))
              for kind in ("http", "rtp")}
    arrivals: dict[str, list[tuple[int, float]]] = {k: [] for k in relays}
    pcm: dict[str, list[bytes]] = {k: [] for k in relays}
    for kind, relay in relays.items():
        inner = relay.on_pcm

        def on_pcm(chunk: bytes, kind: str = kind, inner=inner) -> None:  # noqa: ANN001
            inner(chunk)
            pcm[kind].append(chunk)
            arrivals[kind].append((sum(len(c) for c in pcm[kind]) // 2, time.time()))

        relay.on_pcm = on_pcm  # type: ignore[method-assign]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in relays.values()]
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    ref, ref_start = captured_timeline(svc)
    await svc.stop()
    await runner.cleanup()

    # Reference: click onsets on the capture timeline (the recorder's wall clock).
    t_ref = [ref_start + i / SAMPLE_RATE for i in click_onsets(ref)]
    t_ref = [t for t in t_ref if t > writes[0][1] + 3.0]  # after every relay settled
    # 1. capture → encoder stdin: the frame holding each click, from emission to the write.
    w_samples = np.array([w[0] for w in writes])
    w_emit = np.array([w[1] for w in writes])
    to_stdin = [(w[2] - w[1]) * 1000.0 for w in writes[50:]]
    # 2. encoder: stdin write of the frame → the RTP packet holding that frame's last input
    # sample (libopus looks 120 samples ahead, so it is the next frame's packet).
    ts0 = packets[0][0]
    enc = []
    for ts, t in packets[50:]:
        last_input = (ts - ts0) + 960 - 120  # input samples covered so far
        k = int(np.searchsorted(w_samples, last_input))
        if k < len(writes):
            enc.append((t - writes[k][2]) * 1000.0)
    result: dict = {
        "capture_to_encoder_stdin_ms": round(statistics.median(to_stdin), 2),
        "encoder_ms": round(statistics.median(enc), 1),
        "hub_page_after_packet_ms": round(statistics.median(
            [(p - q) * 1000.0 for p, q in zip(pages[-len(packets) + 10:], [t for _, t in packets[10:]],
                                             strict=False)]), 2),
    }
    # 3. relay input and 4. relay output, per transport, against the capture of each click.
    for kind in relays:
        x = np.frombuffer(b"".join(pcm[kind]), dtype="<i2").astype(np.float64) / 32768.0
        counts = np.array([a[0] for a in arrivals[kind]])
        times = [a[1] for a in arrivals[kind]]
        seen_in = [times[min(int(np.searchsorted(counts, i + 1)), len(times) - 1)]
                   for i in click_onsets(x)]
        out, _ = read_wav(work / f"{kind}.wav")
        start = json.loads(Path(f"{work / kind}.wav.json").read_text())["started_at"]
        seen_out = [start + i / SAMPLE_RATE for i in click_onsets(out)]
        d_in, d_out = match(t_ref, seen_in), match(t_ref, seen_out)
        result[f"{kind}_relay_input_ms"] = round(statistics.median(d_in), 1) if d_in else None
        result[f"{kind}_played_ms"] = round(statistics.median(d_out), 1) if d_out else None
        result[f"{kind}_jitter_target_ms"] = relays[kind].jitter_ms
        result[f"{kind}_clicks"] = len(d_out)
        result[f"{kind}_underruns"] = relays[kind].buffer.underruns
    log(f"work dir {work}; {len(w_emit)} frames")
    result.update(seconds=seconds, load_average=load_average())
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--jitter-ms", type=int, default=None,
                    help="one jitter buffer target for all relays (default: each transport's own)")
    ap.add_argument("--cpu-hogs", type=int, default=0, metavar="N",
                    help="run N busy-loop processes beside the server and the relays")
    ap.add_argument("--stages", action="store_true", help="time each stage (relays in-process)")
    ap.add_argument("--encoder-variants", action="store_true",
                    help="time ffmpeg alone with several input flags and outputs")
    args = ap.parse_args()
    if args.encoder_variants:
        print(json.dumps(asyncio.run(encoder_variants())))
    elif args.stages:
        print(json.dumps(asyncio.run(stages(args.seconds))))
    else:
        print(json.dumps(asyncio.run(main(args.seconds, args.jitter_ms, args.cpu_hogs))))
