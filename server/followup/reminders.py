"""Deadline reminders by e-mail, when the commune configured SMTP (Setting "smtp").

``send_due_reminders(app, today)`` e-mails each commune the deadlines that are due
soon, due today or overdue, at most once a day for each: what was sent is recorded
(table ``reminder_log``) and the record is claimed before sending, so two runs at
once (the daily task and a click on "send now") do not both send it. A failed send
releases its claim, so the next run tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from aiohttp import web
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from server.commands import audit
from server.db.models import Commune, Setting
from server.domain.local_time import local_date
from server.followup.deadlines_view import BoardItem, board
from server.followup.models import ReminderLog
from server.followup.records import calendar_of, load_commune
from server.keys import EXECUTOR, REMINDER_FIRST_CHECK_S, REMINDER_TASK, RULES

log = logging.getLogger("doithoai.reminders")
SETTING_KEY = "smtp"
REMINDER_HOUR = 7  # local time: the daily run sends from 07:00
CHECK_EVERY_S = 1800
FIRST_CHECK_AFTER_S = 60
SMTP_TIMEOUT_S = 20


@dataclass
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = ""
    to: list[str] = field(default_factory=list)
    starttls: bool = False
    user: str = ""
    password: str = ""

    @classmethod
    def from_setting(cls, value: dict[str, Any]) -> SmtpConfig:
        return cls(host=value["host"], port=int(value.get("port", 25)), sender=value["from"],
                   to=list(value.get("to", [])), starttls=bool(value.get("starttls", False)),
                   user=value.get("user", "") or "", password=value.get("password", "") or "")


def compose(config: SmtpConfig, commune: Commune, items: list[BoardItem], today: date) -> EmailMessage:
    msg = EmailMessage()
    n = len(items)
    msg["Subject"] = f"[Đối Thoại] {commune.name}: {n} thời hạn cần xử lý ({today:%d/%m/%Y})"
    msg["From"] = formataddr(("Đối Thoại", config.sender))
    msg["To"] = ", ".join(config.to)
    msg["Message-ID"] = make_msgid(domain="doithoai.local")
    lines = [f"Các thời hạn sau hội nghị đối thoại của {commune.name} cần xử lý "
             f"(tính đến ngày {today:%d/%m/%Y}):", ""]
    for i, item in enumerate(items, start=1):
        d = item.deadline
        where = item.subject or item.conference_title
        lines.append(f"{i}. [{d.status_label}] {d.label} — hạn {d.due:%d/%m/%Y}")
        if where:
            lines.append(f"   {where}")
        if item.conference_id:
            lines.append(f"   Xem: /#/c/{item.conference_id}/followup")
    lines += ["", "Mỗi thời hạn chỉ được nhắc một lần mỗi ngày. Bảng theo dõi: /#/deadlines"]
    msg.set_content("\n".join(lines), charset="utf-8")
    return msg


def send_message(config: SmtpConfig, msg: EmailMessage) -> None:
    """Blocking: run it in a thread."""
    with smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_S) as smtp:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password)
        smtp.send_message(msg, from_addr=config.sender, to_addrs=config.to)


async def _claim(app: web.Application, commune_id: int, today: date, items: list[BoardItem],
                 recipients: str) -> list[BoardItem]:
    """Record the reminders about to be sent; the ones already recorded today are skipped."""
    claimed: list[BoardItem] = []
    async with app[EXECUTOR].unit() as unit:
        db = unit.db
        for item in items:
            try:
                async with db.begin_nested():
                    db.add(ReminderLog(commune_id=commune_id, day=today, item_key=item.item_key,
                                       channel="email", status="sending", recipients=recipients[:1000]))
                    await db.flush()
                claimed.append(item)
            except IntegrityError:
                continue
    return claimed


async def _settle(app: web.Application, commune_id: int, today: date, keys: list[str], ok: bool,
                  detail: str) -> None:
    async with app[EXECUTOR].unit() as unit:
        db = unit.db
        where = (ReminderLog.commune_id == commune_id, ReminderLog.day == today,
                 ReminderLog.channel == "email", ReminderLog.item_key.in_(keys))
        if ok:
            await db.execute(update(ReminderLog).where(*where).values(
                status="sent", sent_at=datetime.now(UTC)))
        else:
            await db.execute(delete(ReminderLog).where(*where))
        audit.record(db, "system:reminders", "reminder.email" if ok else "reminder.email_failed",
                     "commune", commune_id, after={"day": today.isoformat(), "items": keys},
                     reason=detail[:500], commune_id=commune_id)


async def send_due_reminders(app: web.Application, today: date | None = None,
                             commune_ids: list[int] | None = None) -> dict[int, dict[str, Any]]:
    """E-mail each commune with SMTP configured (or only ``commune_ids``) its pending
    deadlines not yet reminded today.

    Returns per commune id: {"sent": n, "already": m, "error": message or None}.
    """
    today = today or local_date(datetime.now(UTC))
    rules = app[RULES]
    result: dict[int, dict[str, Any]] = {}
    async with app[EXECUTOR].reading() as db:
        q = select(Setting).where(Setting.key == SETTING_KEY)
        if commune_ids is not None:
            q = q.where(Setting.commune_id.in_(commune_ids))
        settings = list((await db.execute(q)).scalars())
    for setting in settings:
        cid = setting.commune_id
        try:
            config = SmtpConfig.from_setting(setting.value)
        except (KeyError, TypeError, ValueError) as exc:
            result[cid] = {"sent": 0, "already": 0, "error": f"Cấu hình SMTP không đầy đủ: {exc}"}
            continue
        if not config.to:
            result[cid] = {"sent": 0, "already": 0, "error": "Chưa có địa chỉ nhận nhắc việc."}
            continue
        async with app[EXECUTOR].reading() as db:
            record = await load_commune(db, cid)
            items = board(record, rules.profile(record.commune.rule_profile),
                          await calendar_of(db, rules.calendar(), cid), today)
        claimed = await _claim(app, cid, today, items, ", ".join(config.to))
        entry = {"sent": 0, "already": len(items) - len(claimed), "error": None}
        result[cid] = entry
        if not claimed:
            continue
        keys = [i.item_key for i in claimed]
        msg = compose(config, record.commune, claimed, today)
        try:
            await asyncio.to_thread(send_message, config, msg)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("reminder e-mail for commune %s failed: %s", cid, exc)
            entry["error"] = f"Gửi thư không được: {exc}"
            await _settle(app, cid, today, keys, False, str(exc))
            continue
        entry["sent"] = len(claimed)
        await _settle(app, cid, today, keys, True, f"{len(keys)} thời hạn, gửi tới {', '.join(config.to)}")
    return result


async def _loop(app: web.Application) -> None:
    await asyncio.sleep(app.get(REMINDER_FIRST_CHECK_S, FIRST_CHECK_AFTER_S))
    while True:
        try:
            from server.domain.local_time import LOCAL_TZ

            now = datetime.now(LOCAL_TZ)
            if now.hour >= REMINDER_HOUR:
                await send_due_reminders(app, now.date())
        except asyncio.CancelledError:
            raise
        except Exception:  # a bad day must not stop tomorrow's reminders
            log.exception("daily reminders failed")
        await asyncio.sleep(CHECK_EVERY_S)


async def daily_reminders(app: web.Application) -> AsyncIterator[None]:
    """Background job (cleanup_ctx): the daily e-mail reminders, stopped on shutdown."""
    task = asyncio.create_task(_loop(app), name="deadline-reminders")
    app[REMINDER_TASK] = task
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
