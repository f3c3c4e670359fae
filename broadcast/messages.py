"""User-facing status texts (Vietnamese, shown on the moderator tablet), keyed by stable codes."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "no_sound_card": "Không có card âm thanh trên máy chủ nên không thu được tiếng: {detail}",
    "no_output_card": "Không có card âm thanh để phát ra loa (line-out): {detail}",
    "device_not_found": "Không tìm thấy thiết bị âm thanh “{device}”",
    "pyaudio_missing": "Chưa cài PyAudio nên không dùng được card âm thanh",
    "file_missing": "Không tìm thấy tệp âm thanh: {path}",
    "file_unreadable": "ffmpeg không đọc được tệp âm thanh {path}: {detail}",
    "file_finished": "Đã phát hết tệp âm thanh",
    "source_failed": "Nguồn âm thanh bị lỗi: {detail}",
    "encoder_down": "Bộ mã hoá ffmpeg đang khởi động lại",
    "off_air": "Đang tắt phát thanh",
    "muted": "Đang tắt tiếng",
    "live": "Đang phát trực tiếp",
}


def message(code: str, **kwargs: object) -> str:
    return MESSAGES[code].format(**kwargs)
