"""Mouth-to-loudspeaker delay of the broadcast, per transport, in one run on this machine.

A click train (irregular spacing) is the conference's audio source. The server records what it
captured with wall-clock times; three relays (real `doithoai relay` processes) pull the built-in
HTTP mount, RTP and a local icecast2, and write what they would play to WAV files with the
wall-clock time of their first sample. The delay is found by cross-correlating 2 s windows of the
captured audio with the relays' output. Prints one JSON line last.

    .venv/bin/python bench/audio_latency.py [--seconds 20]
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

from broadcast.analysis import delay_by_xcorr, read_wav  # noqa: E402
from broadcast.audio import SAMPLE_RATE, to_pcm  # noqa: E402
from broadcast.icecast_local import LocalIcecast  # noqa: E402
from broadcast.recorder import wav_header  # noqa: E402
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


async def main(seconds: float, jitter_ms: int) -> dict:
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
            "--name", f"bench-{kind}", "--output", str(work / f"{kind}.wav"), "--source", *src, "--jitter-ms", str(jitter_ms),
            cwd=str(REPO), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(REPO)})
    t_start = time.time()
    await asyncio.sleep(seconds)
    t_end = time.time()
    for p in procs.values():
        p.send_signal(signal.SIGINT)
    for p in procs.values():
        await p.wait()
    ref, ref_start = captured_timeline(svc)
    relays = {r["name"]: r for r in svc.status()["relays"]}
    await svc.stop()
    await runner.cleanup()
    ice.stop()
    result: dict = {}
    print(f"work dir {work}", file=sys.stderr)
    for kind in sources:
        wav = work / f"{kind}.wav"
        out, _ = read_wav(wav)
        out_start = json.loads(Path(f"{wav}.json").read_text())["started_at"]
        d = delays(ref, ref_start, out, out_start, t_start + 3.0, t_end - 0.2)
        print(f"{kind}: {len(d)} windows, delays ms {[round(v, 1) for v in d]}, "
              f"relay restarts {relays.get(f'bench-{kind}', {}).get('restarts')}", file=sys.stderr)
        result[f"{kind}_median_ms"] = round(statistics.median(d), 1) if d else None
        result[f"{kind}_windows"] = len(d)
    result.update(relay_jitter_ms=jitter_ms, seconds=seconds, goal_http_ms=150, goal_rtp_ms=60)
    return result


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--jitter-ms", type=int, default=60, help="relays' jitter buffer target")
    args = ap.parse_args()
    print(json.dumps(asyncio.run(main(args.seconds, args.jitter_ms))))
