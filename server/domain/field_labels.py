"""The Vietnamese name of every field a person or device may send, in one table.

A refused input names its fields with these ("Nội dung phát biểu: tối đa 1000 ký tự."),
whichever edge it came through (the pydantic models of the actions and endpoints, the
checks of whole numbers, the queue's rules); the table is also served to the tablet
(GET /api/catalogue, ``field_labels``) for the rare field its form has no label for.
tests/server/test_field_labels.py checks that every field of every input model is here.
"""

from __future__ import annotations

from typing import Any

from server.domain import phases

_PLAN = "Thời gian dự kiến (phút) phần"

FIELD_LABELS: dict[str, str] = {
    # the whole input, when no field is named
    "body": "Dữ liệu",
    # conferences
    "title": "Tên", "starts_at": "Thời gian bắt đầu", "ends_at": "Thời gian kết thúc",
    "venue": "Địa điểm", "format": "Hình thức", "online_url": "Đường dẫn trực tuyến",
    "chair_name": "Chủ trì", "front_name": "Phối hợp", "council_name": "Đồng chủ trì",
    "content": "Nội dung", "purpose": "Mục đích", "how_to_attend": "Cách thức tham gia",
    "status": "Trạng thái", "conference_id": "Hội nghị", "year": "Năm",
    "aside": "Lượt hoãn / vắng mặt",
    # invitations, check-in
    "full_name": "Họ và tên", "display_name": "Họ và tên", "salutation": "Cách xưng hô",
    "kind": "Thành phần", "position": "Chức vụ, đơn vị", "hamlet": "Thôn, bon, tổ dân phố",
    "phone": "Điện thoại", "invited": "Được mời", "checked_in": "Điểm danh",
    "consent_full_name": "Đồng ý công khai họ tên", "participant_id": "Người được mời",
    # petitions and answers
    "raised_by": "Người kiến nghị", "field_id": "Lĩnh vực", "authority": "Cơ quan có thẩm quyền",
    "competence": "Thẩm quyền giải quyết", "petition_id": "Kiến nghị",
    "petition_ids": "Kiến nghị", "source": "Nguồn", "needs_review": "Cần xem lại",
    "answered_by": "Người trả lời", "outcome": "Kết quả", "unit": "Đơn vị", "due_date": "Hạn",
    "text": "Nội dung", "answers": "Trả lời",
    # the speaking queue
    "topic": "Nội dung phát biểu", "language": "Tiếng", "needs_interpreter": "Cần phiên dịch",
    "reason": "Lý do", "official_name": "Người trả lời", "turn_id": "Lượt phát biểu",
    "person_key": "Người phát biểu", "command_id": "Mã lệnh", "type": "Loại lệnh",
    "base_version": "Lần thay đổi", "new_index": "Vị trí mới", "seconds": "Số giây",
    "phase": "Phần của hội nghị", "settings": "Quy tắc phát biểu",
    "speaking_seconds": "Thời gian phát biểu mỗi lượt (giây)",
    "warning_seconds": "Báo sắp hết giờ trước (giây)",
    "max_turns_per_person": "Số lượt tối đa của mỗi người",
    "first_timers_first": "Ưu tiên người phát biểu lần đầu",
    "interpreter_extra_seconds": "Thời gian thêm khi có phiên dịch (giây)",
    "answer_seconds": "Thời gian trả lời của lãnh đạo (giây)",
    "require_approval_for_self_registration": "Đăng ký qua điện thoại phải được duyệt",
    "hamlet_budget_seconds": "Tổng thời gian phát biểu của mỗi thôn (giây)",
    "registrations_open": "Nhận đăng ký", "minutes": "Thời gian dự kiến các phần",
    "phase_minutes": "Thời gian dự kiến các phần",
    # accounts, devices, the commune
    "username": "Tên đăng nhập", "password": "Mật khẩu", "old_password": "Mật khẩu hiện tại",
    "new_password": "Mật khẩu mới", "role": "Vai trò", "active": "Đang dùng", "name": "Tên",
    "code": "Mã", "user_id": "Tài khoản", "device_id": "Thiết bị",
    "issuing_body": "Cơ quan ban hành", "body_code": "Ký hiệu cơ quan", "place_name": "Địa danh",
    "province": "Tỉnh", "higher_authority": "Cấp trên", "rule_profile": "Bộ quy tắc thời hạn",
    "retention_days": "Thời hạn lưu bản ghi âm", "drafting_units": "Mã đơn vị soạn thảo",
    "chairman_name": "Chủ tịch", "secretary_name": "Thư ký", "secretary_title": "Chức vụ thư ký",
    "secretary": "Thư ký",
    # documents, dispatches, bulletins, recordings
    "document_id": "Văn bản", "base_revision": "Lần sửa", "issued_on": "Ngày ban hành",
    "recipient": "Nơi nhận", "channel": "Hình thức gửi", "note": "Ghi chú",
    "play_at": "Giờ phát", "file": "Tệp âm thanh", "bulletin_id": "Bản tin",
    "recording_id": "Bản ghi", "recording": "Bản ghi",
    # the broadcast
    "enabled": "Bật", "muted": "Tắt tiếng", "on_air": "Phát sóng", "chime": "Chuông báo",
    # the calendar
    "date": "Ngày", "days_off": "Ngày nghỉ thêm", "working_days": "Ngày làm việc bù",
    "holidays": "Ngày lễ mới", "overrides": "Điều chỉnh lịch", "facts": "Sự kiện",
    "days": "Ngày nghỉ riêng của xã",
    "on": "Ngày", "from_": "Từ ngày", "to": "Đến ngày", "all": "Tất cả",
    # live captions
    "show_when_muted": "Hiện phụ đề khi tắt tiếng", "terms": "Từ ngữ riêng của xã",
    "hidden": "Ẩn phụ đề",
    # printing, file formats
    "paper": "Khổ giấy", "version": "Phiên bản dữ liệu",
    # mail settings
    "host": "Máy chủ thư", "port": "Cổng", "starttls": "Mã hóa STARTTLS", "sender": "Người gửi",
    "user": "Tài khoản thư",
    # searching and the audit log
    "q": "Từ khóa", "date_from": "Từ ngày", "date_to": "Đến ngày", "actor": "Người thực hiện",
    "action": "Loại thao tác",
    # where a name means something else in one input (the model's name first)
    "ParticipantIn.title": "Chức vụ, đơn vị", "ParticipantPatch.title": "Chức vụ, đơn vị",
    # the phases, one by one (minutes.opinions, phase_minutes.opinions)
    **{p: label for p, label in phases.LABELS.items()},
    **{f"minutes.{p}": f"{_PLAN} “{label}”" for p, label in phases.LABELS.items()},
    **{f"phase_minutes.{p}": f"{_PLAN} “{label}”" for p, label in phases.LABELS.items()},
}


def label(loc: Any, model: str | None = None) -> str:
    """The Vietnamese name of a field given by its place in the input: a name, a dotted
    path ("settings.speaking_seconds") or pydantic's tuple (("petition_ids", 0)). The
    input model's own name for it first ("ParticipantIn.title"), then the whole path, else
    its last named part, else its first; "Dữ liệu" when none is known."""
    parts = [str(p) for p in loc] if isinstance(loc, tuple | list) else str(loc).split(".")
    parts = [p for p in parts if p]
    if not parts:
        return FIELD_LABELS["body"]
    named = [p for p in parts if not p.isdigit()]
    own = [f"{model}.{'.'.join(named)}"] if model else []
    for key in (*own, ".".join(parts), ".".join(named), *reversed(named), parts[0]):
        if key in FIELD_LABELS:
            return FIELD_LABELS[key]
    return FIELD_LABELS["body"]


def sentence(fields: list[dict[str, str]]) -> str:
    """One message naming each wrong field: "Nội dung phát biểu: tối đa 1000 ký tự." Each
    field is {"field", "label"?, "message"}; the message as it stands beside its field
    ("Tối đa 1000 ký tự.") is put after the name in lower case."""
    out = []
    for f in fields:
        name = f.get("label") or label(f.get("field", ""))
        msg = str(f.get("message", "")).strip()
        if msg[:1].isupper() and not msg[1:2].isupper():
            msg = msg[:1].lower() + msg[1:]
        out.append(f"{name}: {msg if msg.endswith('.') else msg + '.'}")
    return " ".join(out)


def labelled(fields: list[dict[str, str]]) -> list[dict[str, str]]:
    """The fields with their Vietnamese ``label`` added (what the error response carries)."""
    return [{**f, "label": f.get("label") or label(f.get("field", ""))} for f in fields]
