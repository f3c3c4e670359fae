"""The one ffmpeg encoder process of a broadcast: PCM on stdin → Opus packets over RTP to the
server itself (127.0.0.1) and MP3 on stdout. Its command line is built with ffmpeg-python; it
is supervised (restarted with backoff if it dies) and its stderr is always drained.

Each Opus packet reaches the server the moment ffmpeg has encoded it. The server wraps it in its
own Ogg page for the `/live.opus` mount (`on_opus` gets Ogg bytes: header pages at the start of
each run, then one page per packet) and hands the RTP packet to the RTP outputs (`on_rtp`).

Two ffmpeg 5.1 details measured on this machine set the command line (see docs/broadcast.md):
* `-fflags nobuffer` together with a tiny probe size makes ffmpeg keep one input packet until
  the next one arrives: +20 ms. It is not used.
* The raw PCM demuxer reads packets of 1024 samples, which do not line up with the 960-sample
  (20 ms) frames written to it: up to one more frame of waiting. Declaring the input as 24 kHz
  makes it read exactly 960 samples per packet (its packet size is rate/25 below 1024
  samples); `asetrate=48000` then restores the true rate without touching a sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from typing import Any

import ffmpeg

from .audio import CHANNELS, SAMPLE_RATE
from .opus_rtp import OPUS_PAYLOAD_TYPE, OggOpusWriter, RtpPacket, parse_rtp
from .supervise import Supervised, drain_stream, kill_process

ChunkSink = Callable[[bytes], None]
PacketSink = Callable[[RtpPacket], None]
MAX_STDIN_BACKLOG = SAMPLE_RATE * 2  # bytes: one second of PCM stuck in front of ffmpeg
DECLARED_INPUT_RATE = SAMPLE_RATE // 2  # see the module doc: 960-sample input packets
RTP_RECV_BUFFER = 1 << 20


def encoder_command(rtp_port: int, *, opus_bitrate: str = "48k", mp3_bitrate: str = "64k",
                    ffmpeg_bin: str = "ffmpeg") -> list[str]:
    """ffmpeg: s16le 48 kHz mono on stdin → low-delay Opus (20 ms frames) over RTP to
    127.0.0.1:`rtp_port` and MP3 (no ID3/Xing header, so any byte position after a frame is a
    valid start) on stdout."""
    inp = ffmpeg.input("pipe:0", format="s16le", ar=DECLARED_INPUT_RATE, ac=CHANNELS,
                       probesize=32, analyzeduration=0)
    split = inp.filter("asetrate", SAMPLE_RATE).filter_multi_output("asplit", 2)
    opus = split[0].output(f"rtp://127.0.0.1:{rtp_port}?pkt_size=1200", format="rtp",
                           acodec="libopus", audio_bitrate=opus_bitrate, application="lowdelay",
                           frame_duration=20, payload_type=OPUS_PAYLOAD_TYPE)
    mp3 = split[1].output("pipe:1", format="mp3", acodec="libmp3lame", audio_bitrate=mp3_bitrate,
                          write_xing=0, id3v2_version=0, flush_packets=1)
    stream = ffmpeg.merge_outputs(opus, mp3).global_args("-hide_banner", "-nostdin", "-nostats",
                                                         "-loglevel", "error")
    return ffmpeg.compile(stream, cmd=ffmpeg_bin)


def bind_rtp_pair() -> tuple[socket.socket, socket.socket]:
    """Two UDP sockets on 127.0.0.1, an even port for RTP and the next one for ffmpeg's RTCP."""
    for _ in range(100):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind(("127.0.0.1", 0))
        port = rtp.getsockname()[1]
        if port % 2 == 0 and port < 65534:
            rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                rtcp.bind(("127.0.0.1", port + 1))
            except OSError:
                rtcp.close()
                rtp.close()
                continue
            rtp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RTP_RECV_BUFFER)
            rtp.setblocking(False)
            rtcp.setblocking(False)
            return rtp, rtcp
        rtp.close()
    raise RuntimeError("no free UDP port pair on 127.0.0.1 for the encoder")


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self.sink = sink

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.sink(data)


class Encoder(Supervised):
    kind = "encoder"

    def __init__(self, on_opus: ChunkSink, on_mp3: ChunkSink, *, on_rtp: PacketSink | None = None,
                 on_run_start: Callable[[], None] | None = None, opus_bitrate: str = "48k",
                 mp3_bitrate: str = "64k", **kw: Any) -> None:
        kw.setdefault("initial_backoff", 0.1)
        kw.setdefault("max_backoff", 5.0)
        super().__init__("ffmpeg", **kw)
        self.on_opus = on_opus
        self.on_mp3 = on_mp3
        self.on_rtp = on_rtp
        self.on_run_start = on_run_start
        self.opus_bitrate = opus_bitrate
        self.mp3_bitrate = mp3_bitrate
        self.proc: asyncio.subprocess.Process | None = None
        self.dropped_frames = 0
        self.opus_packets = 0
        self.bad_packets = 0
        self.stderr_tail: list[str] = []
        self._transports: list[asyncio.BaseTransport] = []
        self._ogg = OggOpusWriter()
        self._run_started = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.returncode is None else None

    def write(self, pcm: bytes) -> None:
        """Feed PCM; dropped (and counted) when no encoder is running."""
        proc = self.proc
        if proc is None or proc.returncode is not None or proc.stdin is None:
            self.dropped_frames += 1
            return
        transport = proc.stdin.transport
        if transport.is_closing():
            self.dropped_frames += 1
            return
        if transport.get_write_buffer_size() > MAX_STDIN_BACKLOG:  # type: ignore[attr-defined]
            self.dropped_frames += 1
            self.record_error("ffmpeg is not reading its input: killed")
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            return
        proc.stdin.write(pcm)

    def _on_datagram(self, data: bytes) -> None:
        pkt = parse_rtp(data)
        if pkt is None or pkt.payload_type != OPUS_PAYLOAD_TYPE:
            self.bad_packets += 1
            return
        if not self._run_started:
            self._run_started = True
            if self.on_run_start is not None:
                self.on_run_start()
            self.on_opus(self._ogg.start())
            if self.state != "running":
                self.mark_running()
        page = self._ogg.packet(pkt.payload, pkt.timestamp)
        if page is None:
            self.bad_packets += 1
            return
        self.opus_packets += 1
        self.on_opus(page)
        if self.on_rtp is not None:
            self.on_rtp(pkt)

    async def run_once(self) -> None:
        loop = asyncio.get_running_loop()
        rtp_sock, rtcp_sock = bind_rtp_pair()
        self._run_started = False
        try:
            tr, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self._on_datagram),
                                                        sock=rtp_sock)
            self._transports.append(tr)
            tr2, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(lambda _d: None),
                                                         sock=rtcp_sock)
            self._transports.append(tr2)
        except BaseException:
            rtp_sock.close()
            rtcp_sock.close()
            raise
        port = rtp_sock.getsockname()[1]
        self.proc = proc = await asyncio.create_subprocess_exec(
            *encoder_command(port, opus_bitrate=self.opus_bitrate, mp3_bitrate=self.mp3_bitrate),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        assert proc.stdout is not None
        stderr_task = asyncio.create_task(drain_stream(proc.stderr))

        async def pump(reader: asyncio.StreamReader, sink: ChunkSink) -> None:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                sink(chunk)

        mp3_pump = asyncio.create_task(pump(proc.stdout, self.on_mp3))
        try:
            rc = await proc.wait()
            await asyncio.wait([mp3_pump], timeout=1.0)
            self.stderr_tail = await asyncio.wait_for(stderr_task, 1.0)
        finally:
            for t in (mp3_pump, stderr_task):
                t.cancel()
        detail = self.stderr_tail[-1] if self.stderr_tail else ""
        raise RuntimeError(f"ffmpeg encoder exited with code {rc}" + (f": {detail}" if detail else ""))

    async def cleanup(self) -> None:
        proc, self.proc = self.proc, None
        await kill_process(proc)
        transports, self._transports = self._transports, []
        for tr in transports:
            tr.close()

    def status(self) -> dict[str, Any]:
        st = super().status()
        st.update(pid=self.pid, dropped_frames=self.dropped_frames, opus_packets=self.opus_packets)
        return st
