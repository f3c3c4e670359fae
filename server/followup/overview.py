"""The higher level's overview across communes: conferences held per commune in a
year, petitions by field and state, the share handled on time; CSV and XLSX. Also the
data of a conference's public results page. Both read each petition's state and dates
from its lifecycle (server/domain/petition_lifecycle.py), as the documents and the
deadline board do."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from server.domain import petition_lifecycle as lifecycle
from server.domain.calendar import WorkCalendar
from server.domain.names import public_name
from server.domain.rule_profiles import PetitionOutcome, RuleProfile
from server.followup.records import CommuneRecord, ConferenceRecord
from server.followup.state import STATE_LABELS, STATES


def conclusion_due(rec: ConferenceRecord, profile: RuleProfile, cal: WorkCalendar) -> date:
    """The day the conference's conclusion notice is due (the lifecycle's rule)."""
    return lifecycle.conclusion_due(rec.day, profile, cal)


def held(rec: ConferenceRecord, today: date) -> bool:
    """Held: marked held/closed, or its day has passed (and it was not cancelled)."""
    return rec.conference.status in ("held", "closed") or rec.day < today


def commune_overview(record: CommuneRecord, profile: RuleProfile, cal: WorkCalendar,
                     today: date) -> dict[str, Any]:
    states: Counter[str] = Counter()
    fields: dict[str, Counter[str]] = {}
    on_time = counted = 0
    for rec in record.conferences:
        for p in rec.petitions:
            d = p.dates(profile, cal)
            states[d.state] += 1
            fields.setdefault(p.petition.field.name, Counter())[d.state] += 1
            t = lifecycle.timeliness(d, today, p.first_answer_on, p.reply_sent_on)
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


def results_data(rec: ConferenceRecord, profile: RuleProfile, cal: WorkCalendar) -> dict[str, Any]:
    """What the public results page shows of a conference: each petition (public name,
    field, what was asked, state, conclusion, unit, dates) and the count by state, in the
    order and with the dates of the conclusion notice. No phone number, no participant."""
    items = []
    by_state: Counter[str] = Counter()
    for i, p in enumerate(rec.petitions, start=1):
        pet, ans = p.petition, p.latest
        d = p.dates(profile, cal)
        by_state[d.state] += 1
        handled = d.outcome in (PetitionOutcome.ASSIGNED, PetitionOutcome.NEEDS_VERIFICATION,
                                PetitionOutcome.FORWARDED)
        items.append({
            "n": i, "petition_id": pet.id,
            "who": public_name(pet.raised_by, pet.hamlet, pet.consent_full_name),
            "field": pet.field.name, "content": pet.content, "state": d.state,
            "state_label": STATE_LABELS[d.state], "conclusion": ans.text if ans else "",
            "unit": ans.unit if ans and handled else "",
            "due": d.due,  # the unit's date, or the day the verification's result is promised
            "written_reply_due": d.written_reply_due,
        })
    return {"items": items, "total": len(items),
            "by_state": {s: by_state[s] for s in STATES},
            "summary": [(STATE_LABELS[s], by_state[s]) for s in STATES if by_state[s]]}


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

