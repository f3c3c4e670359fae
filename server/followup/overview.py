"""The higher level's overview across communes: conferences held per commune in a
year, petitions by field and state, the share handled on time; CSV and XLSX."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from server.domain.calendar import WorkCalendar
from server.domain.deadlines import deadlines_for_conference
from server.domain.rule_profiles import RuleProfile
from server.followup.documents_db import verification_due
from server.followup.records import CommuneRecord, ConferenceRecord
from server.followup.state import STATE_LABELS, STATES, petition_timeliness


def conclusion_due(rec: ConferenceRecord, profile: RuleProfile, cal: WorkCalendar) -> date:
    """The conference's first deadline after it (the conclusion notice, or the results)."""
    after = [d for d in deadlines_for_conference(rec.day, profile, cal, rec.day)
             if d.anchor == "after_conference"]
    return after[0].due if after else rec.day


def held(rec: ConferenceRecord, today: date) -> bool:
    """Held: marked held/closed, or its day has passed (and it was not cancelled)."""
    return rec.conference.status in ("held", "closed") or rec.day < today


def commune_overview(record: CommuneRecord, profile: RuleProfile, cal: WorkCalendar,
                     today: date) -> dict[str, Any]:
    states: Counter[str] = Counter()
    fields: dict[str, Counter[str]] = {}
    on_time = counted = 0
    for rec in record.conferences:
        due = conclusion_due(rec, profile, cal)
        for p in rec.petitions:
            state = p.state
            states[state] += 1
            fields.setdefault(p.petition.field.name, Counter())[state] += 1
            latest = p.latest
            t = petition_timeliness(
                state, due, today, p.first_answer_on,
                assigned_due=max(latest.due_date, rec.day)
                if latest and latest.outcome == "assigned" and latest.due_date else None,
                resolved_on=p.resolved_on,
                verification_due=verification_due(p, rec.day, profile, cal)
                if state == "verifying" or (latest and latest.outcome == "verifying") else None,
                reply_sent_on=p.reply_sent_on)
            if t.counted:
                counted += 1
                on_time += t.on_time
    total = sum(states.values())
    return {
        "commune_id": record.commune.id, "commune": record.commune.name,
        "province": record.commune.province,
        "conferences_planned": len(record.conferences),
        "conferences_held": sum(1 for r in record.conferences if held(r, today)),
        "petitions": total, "by_state": {s: states[s] for s in STATES},
        "by_field": {f: {s: c[s] for s in STATES} | {"total": sum(c.values())}
                     for f, c in sorted(fields.items())},
        "on_time": on_time, "counted": counted,
        "on_time_share": round(on_time / counted, 4) if counted else None,
    }


def overview(rows: list[dict[str, Any]], year: int) -> dict[str, Any]:
    fields: dict[str, Counter[str]] = {}
    for r in rows:
        for f, c in r["by_field"].items():
            fields.setdefault(f, Counter()).update({s: c[s] for s in STATES})
    on_time = sum(r["on_time"] for r in rows)
    counted = sum(r["counted"] for r in rows)
    return {
        "year": year, "states": {s: STATE_LABELS[s] for s in STATES}, "communes": rows,
        "fields": [{"field": f, "total": sum(c.values()), "by_state": {s: c[s] for s in STATES}}
                   for f, c in sorted(fields.items())],
        "totals": {
            "communes": len(rows), "conferences_held": sum(r["conferences_held"] for r in rows),
            "conferences_planned": sum(r["conferences_planned"] for r in rows),
            "petitions": sum(r["petitions"] for r in rows), "on_time": on_time, "counted": counted,
            "on_time_share": round(on_time / counted, 4) if counted else None,
        },
    }


HEADERS = ["Xã, phường", "Năm", "Hội nghị đã tổ chức", "Hội nghị trong kế hoạch", "Tổng số kiến nghị",
           *[STATE_LABELS[s] for s in STATES], "Xử lý đúng hạn", "Đã đến hạn hoặc đã xử lý",
           "Tỷ lệ đúng hạn (%)"]


def _share(r: dict[str, Any]) -> float | str:
    return round(r["on_time_share"] * 100, 1) if r["on_time_share"] is not None else ""


def table(data: dict[str, Any]) -> list[list[Any]]:
    return [[r["commune"], data["year"], r["conferences_held"], r["conferences_planned"],
             r["petitions"], *[r["by_state"][s] for s in STATES], r["on_time"], r["counted"],
             _share(r)] for r in data["communes"]]


FIELD_HEADERS = ["Xã, phường", "Lĩnh vực", "Tổng số", *[STATE_LABELS[s] for s in STATES]]


def field_table(data: dict[str, Any]) -> list[list[Any]]:
    return [[r["commune"], f, c["total"], *[c[s] for s in STATES]]
            for r in data["communes"] for f, c in r["by_field"].items()]


def to_csv(data: dict[str, Any]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Vietnamese text correctly."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    w.writerows(table(data))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(data: dict[str, Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    for title, headers, rows in ((None, HEADERS, table(data)),
                                 ("Theo lĩnh vực", FIELD_HEADERS, field_table(data))):
        if title:
            ws = wb.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            ws.append(row)
        for i, h in enumerate(headers, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(h) + 2))
        ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

