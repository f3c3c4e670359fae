"""PCM playback on a sound card output via PyAudio (callback mode) from a JitterBuffer."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from .audio import FRAME_SAMPLES, SAMPLE_RATE, SAMPLE_WIDTH
from .jitter import JitterBuffer
from .messages import message

# PortAudio's initialise/terminate are not thread-safe: every open and close in this process
# (capture source, line-out, relay player) goes through this lock.
PORTAUDIO_LOCK = threading.Lock()


def close_portaudio(stream: Any, pa: Any) -> None:
    """Stop and close a PortAudio stream and its instance, ignoring a device already gone.
    Call with PORTAUDIO_LOCK held: PortAudio's open and close are not thread-safe."""
    if stream is not None:
        with contextlib.suppress(Exception):
            stream.stop_stream()
        with contextlib.suppress(Exception):
            stream.close()
    if pa is not None:
        with contextlib.suppress(Exception):
            pa.terminate()


class OutputDeviceError(RuntimeError):
    pass


def resolve_output_device(pa: Any, device: str | None) -> int:
    outputs = []
    for i in range(pa.get_device_count()):
        info = pa.get_device_info_by_index(i)
        if int(info.get("maxOutputChannels", 0)) > 0:
            outputs.append((i, str(info.get("name", ""))))
    if not outputs:
        raise OutputDeviceError(message("no_output_card", detail="PortAudio thấy 0 thiết bị phát"))
    if device is None or device == "default":
        try:
            return int(pa.get_default_output_device_info()["index"])
        except Exception:
            return outputs[0][0]
    if device.isdigit() and any(i == int(device) for i, _ in outputs):
        return int(device)
    for i, name in outputs:
        if device.lower() in name.lower():
            return i
    raise OutputDeviceError(message("device_not_found", device=device))


# Frames per PortAudio callback on output: 40 ms, so the device holds about 80 ms (two
# periods) and a callback that is late by a busy machine's stall still finds room; the jitter
# buffer in front rides out the longer stalls. Measured with PulseAudio: 960 frames gave 40 ms.
OUTPUT_FRAMES = 2 * FRAME_SAMPLES
PA_OUTPUT_UNDERFLOW = 4  # paOutputUnderflow: the device played silence, the callback was late


class PyAudioPlayer:
    """Opens the output stream (blocking: call from a thread) and plays from `buffer`.
    `underflows` counts the device's own underruns (callbacks too late to be played)."""

    def __init__(self, buffer: JitterBuffer, device: str | None, pyaudio_module: Any = None) -> None:
        self.buffer = buffer
        self.device = device
        self._mod = pyaudio_module
        self._pa: Any = None
        self._stream: Any = None
        self.device_name: str | None = None
        self.underflows = 0

    def open(self) -> None:
        with PORTAUDIO_LOCK:
            self._open()

    def _open(self) -> None:
        mod = self._mod
        if mod is None:
            try:
                import pyaudio as mod  # noqa: PLC0415
            except ImportError as exc:
                raise OutputDeviceError(message("pyaudio_missing")) from exc
        self._pa = pa = mod.PyAudio()
        try:
            index = resolve_output_device(pa, self.device)
            self.device_name = str(pa.get_device_info_by_index(index).get("name"))
            cont = getattr(mod, "paContinue", 0)
            underflow = getattr(mod, "paOutputUnderflow", PA_OUTPUT_UNDERFLOW)

            def callback(in_data: Any, frame_count: int, time_info: Any, status: int) -> tuple[bytes, int]:
                if status & underflow:
                    self.underflows += 1
                return self.buffer.pull(frame_count * SAMPLE_WIDTH), cont

            self._stream = pa.open(format=mod.paInt16, channels=1, rate=SAMPLE_RATE, output=True,
                                   output_device_index=index, frames_per_buffer=OUTPUT_FRAMES,
                                   stream_callback=callback)
            self._stream.start_stream()
        except OutputDeviceError:
            self._close()
            raise
        except Exception as exc:
            self._close()
            raise OutputDeviceError(message("no_output_card", detail=str(exc))) from exc

    def is_active(self) -> bool:
        return bool(self._stream is not None and self._stream.is_active())

    def close(self) -> None:
        with PORTAUDIO_LOCK:
            self._close()

    def _close(self) -> None:
        stream, pa = self._stream, self._pa
        self._stream = self._pa = None
        close_portaudio(stream, pa)
