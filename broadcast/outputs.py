"""Broadcast outputs, each supervised on its own (restarted with backoff, state visible):

* `IcecastOutput`: pushes the Ogg/Opus stream to an Icecast mount (ffmpeg, stream copy).
* `RtpOutput`: forwards the encoder's Opus RTP packets to a unicast or multicast address
  (a plain UDP socket in the server: no extra process, no extra delay) and serves its SDP.
* `LineOutOutput`: plays the programme on the local sound card (PyAudio), e.g. to an FM
  transmitter's line input.

The Icecast output re-muxes the hub's Ogg/Opus pages (no second encode): it subscribes to the
`/live.opus` mount like a listener, getting the headers first.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import ffmpeg

from .hub import Mount
from .jitter import JitterBuffer
from .opus_rtp import RtpPacket, RtpRewriter, opus_sdp
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
        # no `-fflags nobuffer`: with a tiny probe size it keeps one page back in ffmpeg 5.1
        inp = ffmpeg.input("pipe:0", format="ogg", probesize=32, analyzeduration=0)
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


class RtpOutput(Supervised):
    """Sends the encoder's Opus packets (rewritten by one shared `RtpRewriter`, so the stream
    stays continuous across encoder restarts) to one RTP target. A send error (no route,
    interface gone) puts this output in backoff and it reopens its socket; the other outputs
    and the recording never notice."""

    kind = "rtp"

    def __init__(self, target: str, sdp_path: Path, **kw: Any) -> None:
        self.host, self.port, self.ttl = parse_rtp_target(target)
        self.sdp_path = Path(sdp_path)
        kw.setdefault("initial_backoff", 0.5)
        kw.setdefault("max_backoff", 15.0)
        super().__init__(f"rtp://{self.host}:{self.port}", **kw)
        self.packets_sent = 0
        self.bytes_sent = 0
        self.packets_dropped = 0
        self._sock: socket.socket | None = None
        self._failed: asyncio.Future[str] | None = None

    @property
    def multicast(self) -> bool:
        return ipaddress.ip_address(self.host).is_multicast

    def sdp(self) -> str:
        return opus_sdp(self.host, self.port, ttl=self.ttl, multicast=self.multicast)

    def send(self, datagram: bytes) -> None:
        sock = self._sock
        if sock is None:
            self.packets_dropped += 1
            return
        try:
            sock.sendto(datagram, (self.host, self.port))
        except (BlockingIOError, InterruptedError):
            self.packets_dropped += 1  # the kernel queue is full: drop, like a lossy network
            return
        except OSError as exc:
            self.packets_dropped += 1
            if exc.errno in (errno.ECONNREFUSED,):
                return  # an ICMP "port unreachable" from the last packet: nobody listens yet
            if self._failed is not None and not self._failed.done():
                self._failed.set_result(f"{type(exc).__name__}: {exc}")
            self._sock = None
            sock.close()
            return
        self.packets_sent += 1
        self.bytes_sent += len(datagram)

    async def run_once(self) -> None:
        self._failed = asyncio.get_running_loop().create_future()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            if self.multicast:
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, self.ttl)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
            self.sdp_path.parent.mkdir(parents=True, exist_ok=True)
            self.sdp_path.write_text(self.sdp(), encoding="utf-8")
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self.mark_running()
        reason = await self._failed
        raise RuntimeError(f"RTP send to {self.host}:{self.port} failed: {reason}")

    async def cleanup(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def status(self) -> dict[str, Any]:
        st = super().status()
        st.update(host=self.host, port=self.port, multicast=self.multicast,
                  sdp_file=str(self.sdp_path), packets_sent=self.packets_sent,
                  bytes_sent=self.bytes_sent, packets_dropped=self.packets_dropped)
        return st


class RtpFanout:
    """The encoder's RTP packets → every RtpOutput, through one rewriter."""

    def __init__(self, outputs: list[RtpOutput]) -> None:
        self.outputs = outputs
        self.rewriter = RtpRewriter()

    def new_run(self) -> None:
        self.rewriter.new_run()

    def __call__(self, pkt: RtpPacket) -> None:
        if not self.outputs:
            return
        datagram = self.rewriter.rewrite(pkt)
        if datagram is None:
            return
        for out in self.outputs:
            out.send(datagram)


LINE_OUT_MAX_JITTER_MS = 300


class LineOutOutput(Supervised):
    """The programme on the local sound card's output (fails cleanly without a card)."""

    kind = "line_out"

    def __init__(self, device: str | None, *, pyaudio_module: Any = None, jitter_ms: int = 60,
                 **kw: Any) -> None:
        kw.setdefault("initial_backoff", 2.0)
        kw.setdefault("max_backoff", 30.0)
        super().__init__(f"line-out:{device or 'default'}", **kw)
        self.device = device
        # The server's own stalls (a busy machine) raise the buffer the same way as a relay's.
        top = max(jitter_ms, LINE_OUT_MAX_JITTER_MS)
        self.buffer = JitterBuffer(target_ms=jitter_ms, max_target_ms=top, max_ms=top + 200)
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
        buf = self.buffer.status()
        st.update(device=self.player.device_name, underruns=buf["underruns"],
                  underruns_1min=buf["underruns_1min"], buffer_target_ms=buf["target_ms"],
                  device_underflows=self.player.underflows)
        return st
