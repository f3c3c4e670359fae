"""BroadcastService: the facade the conference server uses.

capture (source) → 20 ms PCM frames → recorder (always), level meter, taps (e.g. speech
recognition) → programme (on air / muted / chime) → ffmpeg encoder → hub mounts
(/live.opus, /live.mp3) → listeners, relays, Icecast and RTP outputs; the programme also
goes to the sound card line-out when configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web

from server.api.errors import status_of
from server.api.registry import read_json
from server.domain.errors import DomainError, Forbidden, Unauthenticated

from .audio import FRAME_BYTES, SILENCE_FRAME, chime_pcm, dbfs
from .bulletin import BulletinPlayback
from .disk import Reserve, parse_reserve
from .encoder import Encoder
from .hub import Mount
from .messages import message
from .outputs import (
    IcecastOutput,
    LineOutOutput,
    RtpFanout,
    RtpOutput,
    parse_icecast_url,
    parse_rtp_target,
)
from .recorder import Recorder
from .relays import relay_health, validate_report
from .sources import Source, make_source
from .spec import parse_source_spec

log = logging.getLogger(__name__)
LEVEL_WINDOW_FRAMES = 10  # 200 ms → five meter updates per second
NOTIFY_MIN_INTERVAL_S = 0.2


class BroadcastService:
    def __init__(self, source_spec: str, data_dir: Path, *, icecast_urls: list[str] = [],  # noqa: B006
                 rtp_targets: list[str] = [],  # noqa: B006
                 line_out: str | None = None,
                 on_change: Callable[[dict], None] | None = None,
                 authorize_device: Callable[[str], Awaitable[bool]] | None = None,
                 pyaudio_module: Any = None, chime: bool = True,
                 segment_seconds: float = 600.0,
                 hub_max_buffer_bytes: int | None = None,
                 disk_reserve: Reserve | str | None = None) -> None:
        """``disk_reserve``: free space the recording leaves on its filesystem ("200MB", "2%";
        None: the larger of 200 MB and 2 %), see broadcast/disk.py."""
        self.spec = parse_source_spec(source_spec)  # ValueError with a clear reason
        reserve = (disk_reserve if isinstance(disk_reserve, Reserve)
                   else parse_reserve(disk_reserve))
        for url in icecast_urls:
            parse_icecast_url(url)
        for target in rtp_targets:
            parse_rtp_target(target)
        self.data_dir = Path(data_dir)
        self._on_change = on_change
        self._authorize = authorize_device
        self.chime_enabled = chime
        self.on_air = False
        self.muted = False
        self.auto_mute_between_turns = False
        self.in_turn = False
        self._chime: bytes = b""
        self._chime_pos = 0
        mount_kw: dict[str, Any] = {"unavailable_reason": self.no_live_audio_reason}
        if hub_max_buffer_bytes is not None:
            mount_kw["max_buffer_bytes"] = hub_max_buffer_bytes
        self.opus = Mount("/live.opus", "audio/ogg", "ogg", **mount_kw)
        self.mp3 = Mount("/live.mp3", "audio/mpeg", "mp3", **mount_kw)
        self._recorder = Recorder(self.data_dir / "recording", segment_seconds=segment_seconds,
                                  disk_reserve=reserve)
        self.source: Source = make_source(self.spec, self._on_frame, on_change=self._source_changed,
                                          **({"pyaudio_module": pyaudio_module}
                                             if self.spec.kind == "pyaudio" else {}))
        self.icecast = [IcecastOutput(u, self.opus, on_change=self._changed) for u in icecast_urls]
        self.rtp = [RtpOutput(t, self.data_dir / "broadcast" / f"live-{i}.sdp",
                              on_change=self._changed) for i, t in enumerate(rtp_targets)]
        self.rtp_fanout = RtpFanout(self.rtp)
        self.encoder = Encoder(self.opus.feed, self.mp3.feed, on_rtp=self.rtp_fanout,
                               on_run_start=self.rtp_fanout.new_run, on_change=self._changed)
        self.line_out = (LineOutOutput(line_out if line_out != "default" else None,
                                       pyaudio_module=pyaudio_module, on_change=self._changed)
                         if line_out is not None else None)
        self.level: dict[str, Any] = {"rms_dbfs": None, "peak_dbfs": None, "at": None}
        self._level_sumsq = 0.0
        self._level_peak = 0
        self._level_n = 0
        self._level_frames = 0
        self.taps: list[Callable[[bytes], None]] = []
        self._source_ran = False  # the source has delivered audio once (a failure is then a gap)
        self.relays: dict[str, dict[str, Any]] = {}
        self._last_notify = 0.0
        self._notify_handle: asyncio.TimerHandle | None = None
        self.started = False
        self.bulletin: BulletinPlayback | None = None  # the one playing now
        self.last_bulletin: dict[str, Any] | None = None
        self._bulletin_lock: asyncio.Lock | None = None
        self._bulletins_waiting = 0
        self._saved_live: dict[str, bool] | None = None  # on air / muted to return to
        self._bulletin_on_air = False  # the bulletin (not the live source) feeds the programme

    # -- life cycle ------------------------------------------------------------------------------
    @property
    def outputs(self) -> list[Any]:
        return [*self.icecast, *self.rtp, *([self.line_out] if self.line_out else [])]

    async def start(self) -> None:
        """Start everything; never fails because an audio device or an output is missing."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.encoder.start()
        for out in self.outputs:
            out.start()
        self.source.start()
        self.started = True
        self._changed()

    async def stop(self) -> None:
        self.started = False
        if self.bulletin is not None:
            self.bulletin.stop()
        await self.source.stop()
        for out in self.outputs:
            await out.stop()
        await self.encoder.stop()
        self.opus.close_all()
        self.mp3.close_all()
        self._recorder.close()
        if self._notify_handle is not None:
            self._notify_handle.cancel()

    @property
    def recorder(self) -> Recorder:
        return self._recorder

    # -- the frame path --------------------------------------------------------------------------
    def _on_frame(self, frame: bytes) -> None:
        if len(frame) != FRAME_BYTES:
            return
        recorder_state = self._recorder.state
        self._recorder.write(frame, time.time())
        if self._recorder.state != recorder_state:
            self._changed()  # e.g. stopped near the disk reserve: the tablets say so at once
        self._meter(frame)
        for tap in self.taps:
            try:
                tap(frame)
            except Exception:
                log.exception("audio tap failed")
        if self._bulletin_on_air:
            return  # a bulletin is on air: it feeds the encoder itself; the hall is still recorded
        self._emit_programme(self._programme(frame))

    def _emit_programme(self, programme: bytes) -> None:
        self.encoder.write(programme)
        if self.line_out is not None:
            self.line_out.push(programme)

    def _programme(self, frame: bytes) -> bytes:
        if self._chime_pos < len(self._chime):
            out = self._chime[self._chime_pos : self._chime_pos + FRAME_BYTES]
            self._chime_pos += FRAME_BYTES
            if self._chime_pos >= len(self._chime):
                self._changed()
            return out
        if not self.on_air or self.muted:
            return SILENCE_FRAME
        return frame

    def _meter(self, frame: bytes) -> None:
        x = np.frombuffer(frame, dtype="<i2")
        xf = x.astype(np.float64)
        self._level_sumsq += float(np.dot(xf, xf))
        self._level_n += len(x)
        self._level_peak = max(self._level_peak, int(np.max(np.abs(x.astype(np.int32)))))
        self._level_frames += 1
        if self._level_frames >= LEVEL_WINDOW_FRAMES:
            rms = math.sqrt(self._level_sumsq / max(1, self._level_n)) / 32768.0
            self.level = {"rms_dbfs": round(dbfs(rms), 1),
                          "peak_dbfs": round(dbfs(self._level_peak / 32768.0), 1),
                          "at": datetime.now(UTC).isoformat()}
            self._level_sumsq, self._level_peak, self._level_n, self._level_frames = 0.0, 0, 0, 0
            self._changed()

    def _source_changed(self) -> None:
        """The capture started, failed or came back. A running source that fails (its device
        went away) leaves a marked gap in the recording, and the meter shows no level."""
        src = self.source
        if src.state == "running":
            self._recorder.capture_resumed()
        elif src.state == "backoff" and src.error_code is not None and self._source_ran:
            self._recorder.capture_lost(src.error_code, src.last_error)
            self.level = {"rms_dbfs": None, "peak_dbfs": None, "at": None}
            self._level_sumsq, self._level_peak, self._level_n, self._level_frames = 0.0, 0, 0, 0
        self._source_ran = self._source_ran or src.state == "running"
        self._changed()

    def add_tap(self, callback: Callable[[bytes], None]) -> Callable[[], None]:
        """Receive every captured 20 ms frame (48 kHz mono s16le); returns an unsubscribe."""
        self.taps.append(callback)
        return lambda: self.taps.remove(callback) if callback in self.taps else None

    # -- control ---------------------------------------------------------------------------------
    @property
    def chime_playing(self) -> bool:
        return self._chime_pos < len(self._chime)

    async def set_on_air(self, on_air: bool, *, chime: bool | None = None) -> None:
        """Go on/off air; going on air plays a short chime first (unless chime=False).
        During a bulletin: going off air stops the bulletin; going on air takes effect after it."""
        if self._saved_live is not None:
            self._saved_live["on_air"] = bool(on_air)
            if not on_air and self.bulletin is not None:
                self.bulletin.stop()
            self._changed()
            return
        if on_air and not self.on_air and (self.chime_enabled if chime is None else chime):
            self._chime, self._chime_pos = chime_pcm(), 0
        if not on_air:
            self._chime, self._chime_pos = b"", 0
        self.on_air = bool(on_air)
        self._changed()

    def _set_live_muted(self, muted: bool) -> None:
        if self._saved_live is not None:
            self._saved_live["muted"] = muted  # applies when the bulletin is over
        else:
            self.muted = muted

    async def set_muted(self, muted: bool) -> None:
        self._set_live_muted(bool(muted))
        self._changed()

    async def set_auto_mute_between_turns(self, enabled: bool) -> None:
        self.auto_mute_between_turns = bool(enabled)
        if enabled:
            self._set_live_muted(not self.in_turn)
        self._changed()

    async def turn_started(self) -> None:
        """Tell the broadcast a speaking turn began (unmutes when auto-mute is on)."""
        self.in_turn = True
        if self.auto_mute_between_turns:
            self._set_live_muted(False)
        self._changed()

    async def turn_ended(self) -> None:
        """Tell the broadcast a speaking turn ended (mutes when auto-mute is on)."""
        self.in_turn = False
        if self.auto_mute_between_turns:
            self._set_live_muted(True)
        self._changed()

    # -- bulletins ----------------------------------------------------------------------------------
    async def play_file(self, path: Path | str, *, title: str | None = None,
                        chime: bool | None = None) -> dict[str, Any]:
        """Play a recorded bulletin (any file ffmpeg reads) through every output in real time.

        Bulletins queue: a second call waits for the first. The broadcast goes on air for it
        (chime first, unless chime=False), the live source is not broadcast meanwhile (the
        recorder keeps recording the hall; the bulletin itself is not mixed into that
        recording), and the previous on-air/mute state comes back after it. Returns the
        bulletin's final status (`state`: played, stopped or failed, with `error`)."""
        if self._bulletin_lock is None:
            self._bulletin_lock = asyncio.Lock()
        playback = BulletinPlayback(path, title)
        self._bulletins_waiting += 1
        self._changed()
        try:
            async with self._bulletin_lock:
                self._bulletins_waiting -= 1
                if not self.started:
                    playback._end("failed", "Phát thanh chưa khởi động")
                    return playback.status()
                self._saved_live = {"on_air": self.on_air, "muted": self.muted}
                self.bulletin = playback  # on air when its first frame is ready (_take_programme)
                self._changed()
                lead = chime_pcm() if (self.chime_enabled if chime is None else chime) else b""
                progress = asyncio.get_running_loop().call_later(1.0, self._bulletin_tick)
                try:
                    await playback.run(self._emit_programme, lead_in=lead,
                                       on_first_frame=self._take_programme)
                except Exception as exc:  # a bulletin never takes the broadcast down
                    log.exception("bulletin %s failed", playback.path)
                    playback._end("failed", f"{type(exc).__name__}: {exc}")
                finally:
                    progress.cancel()
                    self._bulletin_on_air = False
                    saved, self._saved_live = self._saved_live, None
                    self.bulletin = None
                    self.on_air, self.muted = saved["on_air"], saved["muted"]
                    self.last_bulletin = playback.status()
                    self._changed()
                return playback.status()
        finally:
            if self._bulletins_waiting and playback.state == "queued":
                self._bulletins_waiting -= 1

    def _take_programme(self) -> None:
        """The bulletin's first frame is ready: it goes on air in place of the live source."""
        self._bulletin_on_air = True
        self.on_air, self.muted = True, False
        self._chime, self._chime_pos = b"", 0
        self._changed()

    def _bulletin_tick(self) -> None:
        """Progress for the tablets once a second while a bulletin plays."""
        if self.bulletin is None:
            return
        self._changed()
        asyncio.get_running_loop().call_later(1.0, self._bulletin_tick)

    def stop_bulletin(self) -> bool:
        """Stop the bulletin playing now (the live state comes back); False if none plays."""
        if self.bulletin is None:
            return False
        self.bulletin.stop()
        return True

    # -- status ------------------------------------------------------------------------------------
    def no_live_audio_reason(self) -> str | None:
        """Why listeners get no live audio right now, or None when audio flows."""
        src = self.source
        if not self.started:
            return "Phát thanh chưa khởi động"
        if src.state != "running":
            return src.last_error or message("source_failed", detail=src.state)
        if self.encoder.state != "running":
            return self.encoder.last_error or message("encoder_down")
        return None

    def relay_list(self) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        out = []
        for name, rec in sorted(self.relays.items()):
            color, reason = relay_health(rec["report"], rec["received_at"], now)
            out.append({**rec["report"], "name": name, "last_report_at": rec["received_at"].isoformat(),
                        "health": color, "health_reason": reason, "device": rec.get("device")})
        return out

    def status(self) -> dict[str, Any]:
        reason = self.no_live_audio_reason()
        return {
            "source": self.source.status(),
            "live_audio": reason is None,
            "no_live_audio_reason": reason,
            "on_air": self.on_air,
            "muted": self.muted,
            "auto_mute_between_turns": self.auto_mute_between_turns,
            "chime_playing": self.chime_playing,
            "bulletin": self.bulletin.status() if self.bulletin is not None else None,
            "bulletins_waiting": self._bulletins_waiting,
            "last_bulletin": self.last_bulletin,
            "level": dict(self.level),
            "encoder": self.encoder.status(),
            "outputs": [o.status() for o in self.outputs],
            "listeners": {m.path: len(m.listeners) for m in (self.opus, self.mp3)},
            "mounts": {m.path: m.status() for m in (self.opus, self.mp3)},
            "relays": self.relay_list(),
            "recorder": self._recorder.status(),
        }

    def _changed(self) -> None:
        """Tell on_change (at most five times a second; a late change is sent after the pause)."""
        if self._on_change is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        now = time.monotonic()
        wait = self._last_notify + NOTIFY_MIN_INTERVAL_S - now
        if wait <= 0:
            self._notify()
        elif self._notify_handle is None:
            self._notify_handle = loop.call_later(wait, self._notify)

    def _notify(self) -> None:
        self._notify_handle = None
        self._last_notify = time.monotonic()
        if self._on_change is not None:
            try:
                self._on_change(self.status())
            except Exception:
                log.exception("broadcast on_change callback failed")

    # -- HTTP --------------------------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/live.opus", self.opus.handle)
        app.router.add_get("/live.mp3", self.mp3.handle)
        if self.rtp:
            app.router.add_get("/live.sdp", self._handle_sdp)
        app.router.add_post("/api/relays/report", self._handle_relay_report)

    async def _handle_sdp(self, request: web.Request) -> web.Response:
        if not self.rtp:
            return web.json_response({"error": "no_sdp", "message": "Không có luồng RTP"},
                                     status=404)
        return web.Response(text=self.rtp[0].sdp(), content_type="application/sdp",
                            headers={"Cache-Control": "no-cache"})

    async def _handle_relay_report(self, request: web.Request) -> web.Response:
        """POST /api/relays/report: refusals in the API's one error shape (see _refuse)."""
        try:
            report = await self._read_relay_report(request)
        except DomainError as exc:
            return _refuse(exc)
        self.relays[report["name"]] = {"report": report, "received_at": datetime.now(UTC),
                                       "device": request.remote}
        self._changed()
        return web.json_response({"ok": True})

    async def _read_relay_report(self, request: web.Request) -> dict[str, Any]:
        auth = request.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("device_token_missing",
                                  "Thiếu mã thiết bị của cụm loa (Authorization: Bearer …).")
        allowed = False
        if self._authorize is not None:
            with contextlib.suppress(Exception):
                allowed = bool(await self._authorize(token.strip()))
        if not allowed:
            raise Forbidden("device_token_invalid",
                            "Mã thiết bị không hợp lệ, đã bị thu hồi hoặc không phải của cụm loa.")
        return validate_report(await read_json(request))


def _refuse(exc: DomainError) -> web.Response:
    """A refused request answered like the rest of the API: the error kind's status
    (server/api/errors.py) and ``{"error": {"code", "message"[, "fields"]}}``."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.kind == "unauthenticated" else None
    return web.json_response(exc.body(), status=status_of(exc), headers=headers)
