"""Tables of the follow-up part: the record of e-mail reminders already sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models import Base, utcnow
from server.domain import limits


class ReminderLog(Base):
    """One reminder sent (or being sent) for one deadline on one day.

    The unique key makes "the same reminder at most once a day" a database rule,
    so two senders running at once cannot both send it.
    """

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("commune_id", "day", "item_key", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    item_key: Mapped[str] = mapped_column(String(limits.REMINDER_KEY))  # "conference:3:..."
    channel: Mapped[str] = mapped_column(String(limits.CODE), default="email")
    status: Mapped[str] = mapped_column(String(limits.CODE), default="sending")  # sending | sent
    recipients: Mapped[str] = mapped_column(String(limits.REMINDER_RECIPIENTS), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
