"""Official documents: their kinds and statuses, and the ways a document is sent, with
the Vietnamese label of each value."""

from __future__ import annotations

from enum import StrEnum


class DocumentKind(StrEnum):
    CONCLUSION = "conclusion"
    REPLY = "reply"
    REPORT = "report"
    INVITATION = "invitation"
    ANNOUNCEMENT = "announcement"
    MINUTES = "minutes"


DOCUMENT_KIND_LABELS: dict[DocumentKind, str] = {
    DocumentKind.CONCLUSION: "Thông báo kết luận",
    DocumentKind.REPLY: "Văn bản trả lời (vụ việc cần xác minh)",
    DocumentKind.REPORT: "Báo cáo lên cấp trên",
    DocumentKind.INVITATION: "Giấy mời",
    DocumentKind.ANNOUNCEMENT: "Thông báo tổ chức hội nghị",
    DocumentKind.MINUTES: "Biên bản",
}


class DocumentStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"  # numbered and frozen


DOCUMENT_STATUS_LABELS: dict[DocumentStatus, str] = {
    DocumentStatus.DRAFT: "Bản nháp",
    DocumentStatus.ISSUED: "Đã ban hành",
}


class DispatchChannel(StrEnum):
    PAPER = "paper"
    HAND = "hand"
    EMAIL = "email"
    POST = "post"
    POSTED = "posted"  # put up on the commune's notice board
    RADIO = "radio"
    WEB = "web"
    OTHER = "other"


CHANNEL_LABELS: dict[DispatchChannel, str] = {
    DispatchChannel.PAPER: "Văn bản giấy",
    DispatchChannel.HAND: "Giao tận tay",
    DispatchChannel.EMAIL: "Thư điện tử",
    DispatchChannel.POST: "Bưu điện",
    DispatchChannel.POSTED: "Niêm yết",
    DispatchChannel.RADIO: "Truyền thanh",
    DispatchChannel.WEB: "Cổng thông tin",
    DispatchChannel.OTHER: "Khác",
}
