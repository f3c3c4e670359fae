"""Broadcast outputs, each supervised on its own (restarted with backoff, state visible):

* `IcecastOutput`: pushes the Ogg/Opus stream to an Icecast mount (ffmpeg, stream copy).
* `RtpOutput`: sends Opus over RTP to a unicast or multicast address and writes its SDP.
* `LineOutOutput`: plays the programme on the local sound card (PyAudio), e.g. to an FM
  transmitter's line input.

Icecast and RTP outputs re-mux the hub's Ogg/Opus pages (no second encode): they subscribe to
the `/live.opus` mount like a listener, getting the headers first.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import ffmpeg

from .hub import Mount
from .jitter import JitterBuffer
from .pyaudio_out import PyAudioPlayer
from .supervise import Supervised, drain_stream, kill_process

MAX_STDIN_BACKLOG = 64 * 1024
SETTLE_S = 1.0  # an ffmpeg output still alive after this long is considered running


def parse_icecast_url(url: str) -> tuple[str, str]:
    """Validate icecast://user:pw@host:port/mount; return (url for ffmpeg, url with password hidden)."""
    parts = urlsplit(url)
    if parts.scheme != "icecast":
        raise ValueError(f"Icecast URL {mask_url(url)!r} must start with icecast://")
    if not parts.hostname or not parts.port:
        raise ValueError(f"Icecast URL {mask_url(url)!r} needs a host and a port")
    if not parts.path or parts.path == "/":
        raise ValueError(f"Icecast URL {mask_url(url)!r} needs a mount, e.g. /hoinghi.opus")
    if not parts.password:
        raise ValueError(f"Icecast URL {mask_url(url)!r} needs source:PASSWORD@")
    return url, mask_url(url)


def mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_rtp_target(target: str) -> tuple[str, int, int]:
    """`rtp://HOST:PORT[?ttl=N]` or `HOST:PORT` → (host, port, ttl). RTP needs an even port."""
    text = target if "://" in target else f"rtp://{target}"
    parts = urlsplit(text)
    if parts.scheme != "rtp" or not parts.hostname or parts.port is None:
        raise ValueError(f"RTP target {target!r}: expected rtp://HOST:PORT or HOST:PORT")
    try:
        ipaddress.ip_address(parts.hostname)
    except ValueError:
        raise ValueError(f"RTP target {target!r}: host must be an IP address") from None
    if parts.port % 2:
        raise ValueError(f"RTP target {target!r}: the port must be even (RTCP uses port+1)")
    ttl = 1
    for kv in filter(None, parts.query.split("&")):
        k, _, v = kv.partition("=")
        if k == "ttl":
            if not v.isdigit() or not 1 <= int(v) <= 255:
                raise ValueError(f"RTP target {target!r}: ttl must be 1..255")
            ttl = int(v)
    return parts.hostname, parts.port, ttl


class RemuxOutput(Supervised):
    """An ffmpeg process reading the Ogg/Opus stream on stdin and copying it somewhere."""

    def __init__(self, name: str, mount: Mount, **kw: Any) -> None:
        kw.setdefault("initial_backoff", 0.5)
        kw.setdefault("max_backoff", 15.0)
        super().__init__(name, **kw)
        self.mount = mount
        self.proc: asyncio.subprocess.Process | None = None
        self.bytes_sent = 0
        self.stderr_tail: list[str] = []

    def output_args(self) -> tuple[str, dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def command(self) -> list[str]:
        target, opts = self.output_args()
        inp = ffmpeg.input("pipe:0", format="ogg", fflags="nobuffer", probesize=32,
                           analyzeduration=0)
        out = inp.output(target, acodec="copy", **opts)
        return ffmpeg.compile(out.global_args("-hide_banner", "-nostdin", "-nostats",
                                              "-loglevel", "error", "-y"))

    async def run_once(self) -> None:
        await self.mount.wait_ready()  # the stream headers must go first
        self.proc = proc = await asyncio.create_subprocess_exec(
            *self.command(), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        assert proc.stdin is not None
        stdin = proc.stdin
        stderr_task = asyncio.create_task(drain_stream(proc.stderr))

        def feed(unit: bytes) -> bool:
            if proc.returncode is not None or stdin.transport.is_closing():
                return False
            if stdin.transport.get_write_buffer_size() > MAX_STDIN_BACKLOG:  # type: ignore[attr-defined]
                self.record_error("ffmpeg output is not keeping up: restarted")
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                return False
            stdin.write(unit)
            self.bytes_sent += len(unit)
            return True

        sink = self.mount.add_sink(self.name, feed)
        try:
            try:
                rc = await asyncio.wait_for(asyncio.shield(proc.wait()), SETTLE_S)
            except TimeoutError:
                self.mark_running()
                rc = await proc.wait()
            self.stderr_tail = await asyncio.wait_for(stderr_task, 1.0)
        finally:
            self.mount.remove_sink(sink)
            stderr_task.cancel()
        detail = self.stderr_tail[-1] if self.stderr_tail else ""
        raise RuntimeError(f"ffmpeg exited with code {rc}" + (f": {detail}" if detail else ""))

    async def cleanup(self) -> None:
        proc, self.proc = self.proc, None
        await kill_process(proc)

    def status(self) -> dict[str, Any]:
        st = super().status()
        st.update(bytes_sent=self.bytes_sent)
        return st


class IcecastOutput(RemuxOutput):
    kind = "icecast"

    def __init__(self, url: str, mount: Mount, **kw: Any) -> None:
        self.url, masked = parse_icecast_url(url)
        super().__init__(masked, mount, **kw)

    def output_args(self) -> tuple[str, dict[str, Any]]:
        return self.url, {"format": "ogg", "content_type": "application/ogg",
                          "page_duration": 20000, "flush_packets": 1,
                          "ice_name": "Hội nghị đối thoại với nhân dân"}


class RtpOutput(RemuxOutput):
    kind = "rtp"

    def __init__(self, target: str, mount: Mount, sdp_path: Path, **kw: Any) -> None:
        self.host, self.port, self.ttl = parse_rtp_target(target)
        self.sdp_path = Path(sdp_path)
        super().__init__(f"rtp://{self.host}:{self.port}", mount, **kw)

    @property
    def multicast(self) -> bool:
        return ipaddress.ip_address(self.host).is_multicast

    def output_args(self) -> tuple[str, dict[str, Any]]:
        query = f"?ttl={self.ttl}&pkt_size=1200" if self.multicast else "?pkt_size=1200"
        return (f"rtp://{self.host}:{self.port}{query}",
                {"format": "rtp", "sdp_file": str(self.sdp_path), "flush_packets": 1})

    async def run_once(self) -> None:
        self.sdp_path.parent.mkdir(parents=True, exist_ok=True)
        await super().run_once()

    def sdp(self) -> str | None:
        try:
            return self.sdp_path.read_text(encoding="utf-8")
        except OSError:
            return None

    def status(self) -> dict[str, Any]:
        st = super().status()
        st.update(host=self.host, port=self.port, multicast=self.multicast, sdp_file=str(self.sdp_path))
        return st


class LineOutOutput(Supervised):
    """The programme on the local sound card's output (fails cleanly without a card)."""

    kind = "line_out"

    def __init__(self, device: str | None, *, pyaudio_module: Any = None, jitter_ms: int = 60,
                 **kw: Any) -> None:
        kw.setdefault("initial_backoff", 2.0)
        kw.setdefault("max_backoff", 30.0)
        super().__init__(f"line-out:{device or 'default'}", **kw)
        self.device = device
        self.buffer = JitterBuffer(target_ms=jitter_ms, max_ms=max(300, jitter_ms * 4))
        self.player = PyAudioPlayer(self.buffer, device, pyaudio_module)
        self._open = False

    def push(self, pcm: bytes) -> None:
        if self._open:
            self.buffer.push(pcm)

    async def run_once(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.player.open)
        self._open = True
        self.mark_running()
        started = time.monotonic()
        while self.player.is_active():
            await asyncio.sleep(0.5)
        raise RuntimeError(f"sound card output stopped after {time.monotonic() - started:.1f} s")

    async def cleanup(self) -> None:
        self._open = False
        self.buffer.clear()
        await asyncio.get_running_loop().run_in_executor(None, self.player.close)

    def status(self) -> dict[str, Any]:
        st = super().status()
        st.update(device=self.player.device_name, underruns=self.buffer.underruns)
        return st
