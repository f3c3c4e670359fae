"""`doithoai relay ...`: the loudspeaker relay command (also `python -m broadcast.cli relay ...`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

from .gc_pauses import quiet_collector
from .relay import SOURCE_KINDS, Relay


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "relay", help="loudspeaker relay: pull the live broadcast and play it",
        description="Kéo luồng phát thanh trực tiếp của hội nghị và phát ra loa (hoặc ghi tệp WAV), "
                    "tự kết nối lại, báo tình trạng về máy chủ vài giây một lần.")
    p.add_argument("--server", required=True, help="conference server URL, e.g. http://192.168.1.10:8080")
    p.add_argument("--token", required=True, help="device token issued by the server")
    p.add_argument("--name", required=True, help='relay name shown to the moderator, e.g. "Cụm loa thôn 3"')
    p.add_argument("--source", nargs="+", metavar="KIND [URL]", default=["http"],
                   help=f"stream to pull: one of {', '.join(SOURCE_KINDS)}, optionally followed by its URL "
                        "(default: the server's /live.opus; rtp: the server's /live.sdp)")
    p.add_argument("--output", default=None,
                   help="sound card (index or part of its name) or FILE.wav; default: default sound card")
    p.add_argument("--jitter-ms", type=int, default=None,
                   help="jitter buffer target in ms (default: 30 for rtp, 60 for http and icecast)")
    p.add_argument("--max-jitter-ms", type=int, default=None,
                   help="how far underruns (stalls of the link or the machine) may raise the "
                        "jitter buffer, in ms (default: 400)")
    p.add_argument("--report-interval", type=float, default=3.0, help="seconds between health reports")
    p.set_defaults(func=run_relay)


def run_relay(args: argparse.Namespace) -> int:
    source = list(args.source)
    if len(source) > 2 or source[0] not in SOURCE_KINDS:
        print(f"--source: expected KIND [URL] with KIND in {', '.join(SOURCE_KINDS)}", file=sys.stderr)
        return 2
    try:
        relay = Relay(args.server, args.token, args.name, source=source[0],
                      source_url=source[1] if len(source) == 2 else None, output=args.output,
                      jitter_ms=args.jitter_ms, max_jitter_ms=args.max_jitter_ms,
                      report_interval=args.report_interval)
    except ValueError as exc:
        print(f"relay: {exc}", file=sys.stderr)
        return 2

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await relay.run(stop)

    quiet_collector()  # no long collector pause under the playback (gc_pauses.py)
    asyncio.run(main())
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="doithoai")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
