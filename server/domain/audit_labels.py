"""The Vietnamese name of every kind of action the audit log records, in one table.

The audit log keeps stable codes ("queue.call_next", "petition.create"); people read
these names instead: the audit page (served as GET /api/catalogue, ``audit_actions`` and
``audit_groups``, and filtered by group), and the log's CSV export beside the code.
Every code written to the log (``ACTIONS``) and every action module (server/actions/, by
its ``name``; ``ACTION_NAMES`` when it writes another code) has a name here: tests/server/test_audit_labels.py fails for one that does not.
"""

from __future__ import annotations

# The kinds of action, by the start of their code (the audit page's filter is a prefix).
GROUPS: dict[str, str] = {
    "session.": "Đăng nhập", "user.": "Tài khoản", "conference.": "Hội nghị",
    "queue.": "Hàng đợi phát biểu", "participant.": "Khách mời, điểm danh",
    "petition.": "Kiến nghị", "answer.": "Trả lời kiến nghị", "document.": "Văn bản",
    "broadcast.": "Phát thanh", "bulletin.": "Bản tin",
    "recording.": "Bản ghi âm", "device.": "Thiết bị", "field.": "Lĩnh vực",
    "commune.": "Thông tin xã", "calendar.": "Lịch làm việc", "settings.": "Cài đặt",
    "reminder.": "Nhắc hạn", "export.": "Xuất biên bản", "transcript.": "Ghi lời phát biểu",
    "captions.": "Phụ đề trực tiếp",
}

# Each queue command, as "queue.<type>" (server/domain/queue_commands.py COMMAND_TYPES).
QUEUE_COMMANDS: dict[str, str] = {
    "update_settings": "Đổi quy tắc phát biểu", "close_list": "Đóng danh sách đăng ký",
    "open_list": "Mở lại danh sách đăng ký", "set_phase": "Chuyển phần hội nghị",
    "register_turn": "Đăng ký phát biểu", "approve_turn": "Duyệt đăng ký",
    "reject_turn": "Từ chối đăng ký", "call_next": "Mời người tiếp theo",
    "call_turn": "Mời phát biểu", "start": "Bắt đầu phát biểu", "pause": "Tạm dừng",
    "resume": "Tiếp tục", "end": "Kết thúc lượt", "skip": "Vắng mặt", "withdraw": "Rút đăng ký",
    "defer": "Hoãn lượt", "requeue": "Đưa lại vào hàng", "move": "Đổi thứ tự",
    "add_answer_turn": "Thêm lượt trả lời", "link_petition": "Gắn kiến nghị",
    "extend_time": "Thêm giờ", "undo": "Hoàn tác",
}

# A bulletin's end, as "bulletin.<status>" (server/followup/bulletins.py STATUSES).
BULLETIN_ENDS: dict[str, str] = {
    "scheduled": "Bản tin chờ phát", "playing": "Bản tin đang phát", "played": "Đã phát bản tin",
    "failed": "Phát bản tin không thành công", "cancelled": "Đã hủy bản tin",
}

# Each code the log holds (what the audit page shows and filters by).
ACTIONS: dict[str, str] = {
    # logging in, accounts
    "session.login": "Đăng nhập", "user.add": "Thêm tài khoản", "user.update": "Sửa tài khoản",
    "user.change_password": "Đổi mật khẩu",
    # conferences
    "conference.create": "Thêm hội nghị", "conference.update": "Sửa hội nghị",
    "conference.announce": "Thông báo hội nghị", "conference.set_status": "Đổi trạng thái hội nghị",
    # invitations, check-in
    "participant.add": "Thêm khách mời", "participant.update": "Sửa khách mời",
    "participant.remove": "Xóa khách mời", "participant.check_in": "Điểm danh",
    "participant.undo_check_in": "Bỏ điểm danh",
    # petitions, answers
    "petition.create": "Ghi kiến nghị", "petition.update": "Sửa kiến nghị",
    "petition.write_opinion": "Ý kiến bằng văn bản", "answer.create": "Ghi trả lời",
    "field.add": "Thêm lĩnh vực", "field.update": "Sửa lĩnh vực",
    # the queue
    **{f"queue.{k}": f"Hàng đợi: {v}" for k, v in QUEUE_COMMANDS.items()},
    # documents
    "document.draft": "Soạn văn bản",
    "document.edit": "Sửa văn bản", "document.issue": "Ban hành văn bản",
    "document.discard": "Xóa bản nháp",
    "document.dispatch": "Ghi nhận gửi văn bản",
    "export.minutes": "Xuất biên bản",
    # the broadcast, bulletins, recordings
    "broadcast.on_air": "Bật, tắt phát thanh", "broadcast.mute": "Tắt, mở tiếng",
    "broadcast.auto_mute": "Tự tắt tiếng giữa các lượt",
    "bulletin.create": "Thêm bản tin", "bulletin.cancel": "Hủy bản tin",
    "bulletin.play_now": "Phát bản tin ngay",
    **{f"bulletin.{k}": v for k, v in BULLETIN_ENDS.items()},
    "recording.listen": "Nghe bản ghi âm", "recording.turn": "Ghi âm lượt phát biểu",
    "recording.expire": "Xóa bản ghi âm hết hạn lưu",
    # transcripts
    "transcript.machine_draft": "Bản nháp nhận dạng tiếng nói",
    "transcript.edit": "Sửa lời phát biểu",
    "transcript.confirm": "Xác nhận lời phát biểu",
    # live captions
    "captions.hide": "Ẩn, hiện phụ đề của lượt", "captions.settings": "Đổi cài đặt phụ đề",
    "captions.vocabulary": "Sửa từ ngữ riêng cho phụ đề",
    # devices, the commune, the calendar, settings, reminders
    "device.add": "Cấp mã thiết bị", "device.revoke": "Thu hồi mã thiết bị",
    "commune.create": "Tạo thông tin xã", "commune.update": "Sửa thông tin xã",
    "calendar.update": "Sửa lịch làm việc", "calendar.local": "Sửa ngày nghỉ riêng của xã",
    "settings.smtp": "Đặt máy chủ thư",
    "settings.smtp_delete": "Xóa máy chủ thư", "reminder.send_now": "Gửi nhắc hạn ngay",
    "reminder.email": "Gửi thư nhắc hạn", "reminder.email_failed": "Gửi thư nhắc hạn không được",
}


# The actions (server/actions/, by ``name``) whose name is not the code they write: the
# queue's one action writes "queue.<command>", the others a code of their own.
ACTION_NAMES: dict[str, str] = {
    "queue.command": "Lệnh hàng đợi",
    "conference.set_phase_plan": "Đặt thời gian dự kiến các phần",
    "answer.add": "Ghi trả lời", "document.create_draft": "Soạn văn bản",
    "document.delete": "Xóa bản nháp", "dispatch.add": "Ghi nhận gửi văn bản",
    "broadcast.set_on_air": "Bật, tắt phát thanh", "broadcast.set_muted": "Tắt, mở tiếng",
    "broadcast.set_auto_mute": "Tự tắt tiếng giữa các lượt", "calendar.put": "Sửa lịch làm việc",
    "calendar.put_local": "Sửa ngày nghỉ riêng của xã",
    "settings.put_smtp": "Đặt máy chủ thư", "settings.delete_smtp": "Xóa máy chủ thư",
    "reminders.send_now": "Gửi nhắc hạn ngay", "transcript.put": "Ghi lời phát biểu",
}


def action_label(code: str) -> str:
    """The Vietnamese name of a code in the log, or of an action; the code itself when it
    has none."""
    return ACTIONS.get(code) or ACTION_NAMES.get(code) or code
