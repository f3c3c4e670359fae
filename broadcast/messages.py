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
    "device_lost": "Mất thiết bị thu âm “{device}” ({detail}); đang chờ thiết bị trở lại",
    "stream_stopped": "luồng thu âm bị ngắt",
    "no_callbacks": "thiết bị không gửi âm thanh trong {seconds:g} giây",
    "recording_gap": "Bản ghi âm bị gián đoạn từ {time} vì mất thiết bị thu âm; "
                     "sẽ ghi tiếp khi thiết bị trở lại.",
    "encoder_down": "Bộ mã hoá ffmpeg đang khởi động lại",
    "off_air": "Đang tắt phát thanh",
    "muted": "Đang tắt tiếng",
    "live": "Đang phát trực tiếp",
}


def message(code: str, **kwargs: object) -> str:
    return MESSAGES[code].format(**kwargs)
