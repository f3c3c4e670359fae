"""The one ffmpeg encoder process of a broadcast: PCM on stdin → Ogg/Opus on stdout and MP3
on a second pipe. Its command line is built with ffmpeg-python; it is supervised (restarted
with backoff if it dies) and its stderr is always drained."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from typing import Any

import ffmpeg

from .audio import CHANNELS, SAMPLE_RATE
from .supervise import Supervised, drain_stream, kill_process

ChunkSink = Callable[[bytes], None]
MAX_STDIN_BACKLOG = SAMPLE_RATE * 2  # bytes: one second of PCM stuck in front of ffmpeg


def encoder_command(mp3_fd: int, *, opus_bitrate: str = "48k", mp3_bitrate: str = "64k",
                    ffmpeg_bin: str = "ffmpeg") -> list[str]:
    """ffmpeg: s16le 48 kHz mono on stdin → low-delay Ogg/Opus (20 ms pages) on stdout and
    MP3 (no ID3/Xing header, so any byte position after a frame is a valid start) on `mp3_fd`."""
    inp = ffmpeg.input("pipe:0", format="s16le", ar=SAMPLE_RATE, ac=CHANNELS,
                       fflags="nobuffer", probesize=32, analyzeduration=0)
    opus = inp.output("pipe:1", format="ogg", acodec="libopus", audio_bitrate=opus_bitrate,
                      application="lowdelay", frame_duration=20, page_duration=20000,
                      flush_packets=1)
    mp3 = inp.output(f"pipe:{mp3_fd}", format="mp3", acodec="libmp3lame", audio_bitrate=mp3_bitrate,
                     write_xing=0, id3v2_version=0, flush_packets=1)
    stream = ffmpeg.merge_outputs(opus, mp3).global_args("-hide_banner", "-nostdin", "-nostats",
                                                         "-loglevel", "error")
    return ffmpeg.compile(stream, cmd=ffmpeg_bin)


class Encoder(Supervised):
    kind = "encoder"

    def __init__(self, on_opus: ChunkSink, on_mp3: ChunkSink, *, opus_bitrate: str = "48k",
                 mp3_bitrate: str = "64k", **kw: Any) -> None:
        kw.setdefault("initial_backoff", 0.1)
        kw.setdefault("max_backoff", 5.0)
        super().__init__("ffmpeg", **kw)
        self.on_opus = on_opus
        self.on_mp3 = on_mp3
        self.opus_bitrate = opus_bitrate
        self.mp3_bitrate = mp3_bitrate
        self.proc: asyncio.subprocess.Process | None = None
        self.dropped_frames = 0
        self.stderr_tail: list[str] = []
        self._mp3_transport: asyncio.BaseTransport | None = None

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

    async def run_once(self) -> None:
        loop = asyncio.get_running_loop()
        r_fd, w_fd = os.pipe()
        try:
            self.proc = proc = await asyncio.create_subprocess_exec(
                *encoder_command(w_fd, opus_bitrate=self.opus_bitrate, mp3_bitrate=self.mp3_bitrate),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, pass_fds=(w_fd,))
        except BaseException:
            os.close(r_fd)
            raise
        finally:
            os.close(w_fd)
        mp3_reader = asyncio.StreamReader(limit=1 << 20)
        self._mp3_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(mp3_reader), os.fdopen(r_fd, "rb", buffering=0))
        assert proc.stdout is not None
        stderr_task = asyncio.create_task(drain_stream(proc.stderr))

        async def pump(reader: asyncio.StreamReader, sink: ChunkSink) -> None:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                if self.state != "running":
                    self.mark_running()
                sink(chunk)

        pumps = [asyncio.create_task(pump(proc.stdout, self.on_opus)),
                 asyncio.create_task(pump(mp3_reader, self.on_mp3))]
        try:
            rc = await proc.wait()
            await asyncio.wait(pumps, timeout=1.0)
            self.stderr_tail = await asyncio.wait_for(stderr_task, 1.0)
        finally:
            for t in pumps + [stderr_task]:
                t.cancel()
        detail = self.stderr_tail[-1] if self.stderr_tail else ""
        raise RuntimeError(f"ffmpeg encoder exited with code {rc}" + (f": {detail}" if detail else ""))

    async def cleanup(self) -> None:
        proc, self.proc = self.proc, None
        await kill_process(proc)
        tr, self._mp3_transport = self._mp3_transport, None
        if tr is not None:
            tr.close()

    def status(self) -> dict[str, Any]:
        st = super().status()
        st.update(pid=self.pid, dropped_frames=self.dropped_frames)
        return st
