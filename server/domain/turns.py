"""Speaking turns: kinds, statuses and sources with their Vietnamese labels.

The values themselves are the queue's (server/domain/queue_model.py) and so are the
status labels (server/domain/queue.py): this module only gathers them, for the database,
the schemas and the catalogue, and adds the labels the queue does not need."""

from __future__ import annotations

from server.domain.queue import STATUS_LABELS as STATUS_LABELS
from server.domain.queue_model import (
    ANSWER,
    CITIZEN,
    DESK,
    QR,
)
from server.domain.queue_model import KINDS as KINDS
from server.domain.queue_model import SOURCES as SOURCES
from server.domain.queue_model import STATUSES as STATUSES

KIND_LABELS: dict[str, str] = {
    CITIZEN: "Người dân phát biểu",
    ANSWER: "Trả lời kiến nghị",
}

SOURCE_LABELS: dict[str, str] = {
    DESK: "Đăng ký tại bàn thư ký",
    QR: "Đăng ký qua điện thoại",
}

__all__ = ["KINDS", "KIND_LABELS", "SOURCES", "SOURCE_LABELS", "STATUSES", "STATUS_LABELS"]
