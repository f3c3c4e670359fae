"""The minutes as a numbered, issued document built from the record: time and place, chairs
with titles and the Front's representative, the secretary's own name and title,
attendance from the check-in list, each turn under its part of the run-of-show, every
petition with its state from the one lifecycle, the conclusions. Read back from the
DOCX (python-docx) and from the PDF (LibreOffice, then pdftotext).

A real SQLite file at the newest schema; rows written with the models.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import unicodedata
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from server.db.models import (
    Answer,
    Document,
    Participant,
    Petition,
    SpeakingTurn,
    TranscriptSegment,
    TurnPetition,
)
from server.documents import to_pdf
from server.documents.model import Person
from server.followup import documents_db as docs
from server.followup import minutes
from server.followup.records import load_commune
from tests.documents.test_agreement import AT, CAL, PROFILE, _conference, _docx_text, db  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _at(minutes_after: int) -> datetime:
    return AT + timedelta(minutes=minutes_after)


async def _record(db):  # noqa: F811
    commune, conf, ids = await _conference(db)
    conf.chair_name = "Nguyễn Văn Chủ"
    conf.council_name = "Phạm Thị Hội"
    conf.front_name = "Vũ Văn Mặt"
    conf.ends_at = _at(180)
    # the check-in list: 3 invited (2 came), 1 citizen not invited who checked in
    db.add_all([
        Participant(conference_id=conf.id, full_name="Đỗ Văn Mời", kind="delegate", invited=True),
        Participant(conference_id=conf.id, full_name="Bùi Thị Dân", kind="citizen", invited=False,
                    checked_in_at=_at(5)),
    ])
    speaker = Participant(conference_id=conf.id, full_name="Lê Văn Cường", salutation="Ông",
                          kind="citizen_rep", hamlet="Thôn 1", invited=True, checked_in_at=_at(2))
    db.add(speaker)
    await db.flush()
    turns = [
        SpeakingTurn(id="t1", conference_id=conf.id, participant_id=speaker.id, kind="citizen",
                     display_name="Lê Văn Cường", hamlet="Thôn 1", topic="Quy hoạch khu dân cư thôn 1",
                     status="done", started_at=_at(30), ended_at=_at(34)),
        SpeakingTurn(id="t2", conference_id=conf.id, kind="citizen", display_name="Trần Thị Bình",
                     hamlet="Thôn 1", topic="", status="done", started_at=_at(40), ended_at=_at(43)),
        SpeakingTurn(id="t3", conference_id=conf.id, kind="answer", display_name="Nguyễn Văn Chủ",
                     topic="Trả lời về quy hoạch", status="done", started_at=_at(120), ended_at=_at(125)),
        SpeakingTurn(id="t4", conference_id=conf.id, kind="citizen", display_name="Người Chờ",
                     status="waiting"),  # never spoke: not in the minutes
    ]
    db.add_all(turns)
    await db.flush()
    db.add_all([
        TranscriptSegment(turn_id="t1", text="Tôi đề nghị xã công khai bản đồ quy hoạch khu dân cư thôn 1",
                          origin="human", confirmed=True),
        TranscriptSegment(turn_id="t2", machine_text="đường liên thôn ba xuống cấp nhiều ổ gà",
                          origin="machine"),
        TurnPetition(turn_id="t1", petition_id=ids["answered"]),
        TurnPetition(turn_id="t2", petition_id=ids["assigned"]),
    ])
    answered = await db.get(Petition, ids["answered"])
    db.add(Answer(petition_id=answered.id, turn_id="t3", answered_by="Nguyễn Văn Chủ",
                  outcome="answered", text="Bản đồ quy hoạch được niêm yết tại nhà văn hóa thôn 1",
                  created_at=_at(124)))
    await db.flush()
    return commune, conf, ids


PHASES = (("opening", _at(0)), ("opinions", _at(20)), ("answers", _at(110)), ("conclusion", _at(150)))


SECRETARY = Person("Hà Thị Thư", "Công chức Văn phòng - Thống kê")


async def _draft(db, phases=PHASES, secretary=SECRETARY):  # noqa: F811
    commune, conf, ids = await _record(db)
    rec = (await load_commune(db, commune.id, conference_ids=[conf.id])).conferences[0]
    info = await docs.conference_info(db, conf, commune)
    mrec = await minutes.load_minutes_record(db, conf, rec)
    return commune, conf, ids, minutes.draft_minutes(rec, mrec, commune, info, PROFILE, CAL, phases,
                                                      secretary)


async def test_minutes_from_the_record_read_back(db):  # noqa: F811
    commune, conf, ids, draft = await _draft(db)
    text = _docx_text(draft.doc)
    lines = text.splitlines()
    for expected in (
        "BIÊN BẢN",
        "Thời gian: từ 08 giờ 00 phút, thứ Sáu, ngày 13/02/2026 đến 11 giờ 00 phút.",
        "Địa điểm: Hội trường UBND xã Đức An; hình thức trực tiếp.",
        "Chủ trì: Nguyễn Văn Chủ - Chủ tịch Ủy ban nhân dân xã; Phạm Thị Hội - đại diện Thường trực "
        "Hội đồng nhân dân xã; Vũ Văn Mặt - đại diện Ủy ban Mặt trận Tổ quốc Việt Nam xã.",
        "Thư ký: Hà Thị Thư - Công chức Văn phòng - Thống kê.",
        # invited: Trần Văn Nam (default invited, checked in), Đỗ Văn Mời (absent), Lê Văn Cường
        "Số người được mời: 03 người; có mặt 02 người.",
        "Thành phần tham dự theo danh sách điểm danh: 01 đại biểu; 01 đại diện Nhân dân các thôn, "
        "tổ dân phố; 01 người dân; tổng số 03 người.",
        "1. Trao đổi, đối thoại về đất đai.",
        "Hội nghị có 03 lượt phát biểu:",
        "1. Khai mạc, báo cáo (từ 08 giờ 00 phút)",
        "Không có lượt phát biểu.",
        "2. Nhân dân phát biểu ý kiến (từ 08 giờ 20 phút)",
        "Lượt 01 (08 giờ 30 phút): ông Lê Văn Cường, thôn 1 - lĩnh vực đất đai",
        "Nội dung: Quy hoạch khu dân cư thôn 1.",
        "Ý kiến: Tôi đề nghị xã công khai bản đồ quy hoạch khu dân cư thôn 1.",
        "Lượt 02 (08 giờ 40 phút): Trần Thị Bình, thôn 1 - lĩnh vực giao thông, đường sá",
        "Ý kiến: [bản nháp máy, chưa kiểm tra] đường liên thôn ba xuống cấp nhiều ổ gà.",
        "3. Lãnh đạo trả lời (từ 09 giờ 50 phút)",
        "Lượt 03 (10 giờ 00 phút): Nguyễn Văn Chủ",
        "Trả lời (Nguyễn Văn Chủ): Bản đồ quy hoạch được niêm yết tại nhà văn hóa thôn 1.",
        "4. Chủ tọa kết luận (từ 10 giờ 30 phút)",
        "IV. Ý KIẾN, KIẾN NGHỊ CỦA NHÂN DÂN VÀ KẾT LUẬN CỦA CHỦ TRÌ",
        "Hội nghị nhận được 06 ý kiến, kiến nghị của Nhân dân, gồm: lĩnh vực đất đai: 03 ý kiến; "
        "lĩnh vực giao thông, đường sá: 02 ý kiến; lĩnh vực môi trường: 01 ý kiến.",
        # the minutes are internal: full names, whatever was consented for the public
        "2. Kiến nghị của bà Trần Thị Bình, thôn 1 (lĩnh vực giao thông, đường sá): Đường liên thôn 3 "
        "xuống cấp.",
        "Tình trạng: Đã giao đơn vị giải quyết.",
        "Tình trạng: Đang kiểm tra, xác minh.",
        # the petition without a conclusion is there, with its state
        "5. Kiến nghị của bà Lò Thị Mai, thôn 1 (lĩnh vực môi trường): Khói từ lò đốt rác gần khu dân cư.",
        "Tình trạng: Chưa có kết luận.",
        "Kết luận: Hội nghị chưa kết luận nội dung này; Ủy ban nhân dân xã tiếp tục xem xét và trả lời "
        "bằng văn bản cho công dân.",
        "Tình trạng: Đã giải quyết xong.",
        "Hội nghị kết thúc vào lúc 11 giờ 00 phút cùng ngày. Biên bản được lập thành 02 bản có giá trị "
        "như nhau./.",
        "THƯ KÝ",
        "CHỦ TRÌ",
        "Hà Thị Thư",
    ):
        assert expected in lines, (expected, text)
    assert re.search(r"Số:\s+/BB-UBND", text)  # a draft: the number is left blank
    assert "Người Chờ" not in text  # never spoke
    assert "Quản trị viên" not in text
    assert any("bản nháp máy" in n for n in draft.notes)
    assert any("chưa có kết luận" in n for n in draft.notes)
    assert text.index("2. Nhân dân phát biểu") < text.index("Lượt 01") < text.index("3. Lãnh đạo trả lời") \
        < text.index("Lượt 03")


async def test_minutes_without_phases_or_secretary(db):  # noqa: F811
    commune, conf, ids, draft = await _draft(db, phases=(), secretary=None)
    text = _docx_text(dataclasses.replace(
        draft.doc, conference=dataclasses.replace(draft.doc.conference, secretary=Person("Hà Thị Thư"))))
    assert "Khai mạc, báo cáo" not in text and "Lượt 01 (08 giờ 30 phút)" in text
    # no secretary typed and none before: the draft says so and cannot be issued as it is
    assert draft.doc.conference.secretary.name == ""
    assert docs.problems(draft.doc)[0]["code"] == "document.no_secretary"
    assert any("thư ký" in n for n in draft.notes)


def _pdftext(pdf) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", out))


async def test_minutes_numbered_issued_and_read_back_from_pdf(db, tmp_path):  # noqa: F811
    commune, conf, ids, draft = await _draft(db)
    d = Document(commune_id=commune.id, conference_id=conf.id, kind="minutes", year=2026,
                 status="draft", content=docs.content_of(draft))
    db.add(d)
    await db.flush()
    draft_pdf = to_pdf(docs.docx_path(d, tmp_path))
    assert "DỰ THẢO" in _pdftext(draft_pdf)
    await docs.issue(db, d, commune, date(2026, 2, 20), today=date(2026, 3, 1))
    assert d.status == "issued" and d.number == "01/BB-UBND"
    pdf = to_pdf(docs.docx_path(d, tmp_path))
    text = _pdftext(pdf)
    assert "DỰ THẢO" not in text
    for needle in ("Số: 01/BB-UBND", "Đức An, ngày 20 tháng 02 năm 2026", "BIÊN BẢN",
                   "Thư ký: Hà Thị Thư - Công chức Văn phòng - Thống kê.",
                   "Số người được mời: 03 người; có mặt 02 người.",
                   "Lượt 01 (08 giờ 30 phút): ông Lê Văn Cường, thôn 1 - lĩnh vực đất đai",
                   "Tình trạng: Chưa có kết luận.", "THƯ KÝ", "CHỦ TRÌ"):
        assert needle in text, needle
    # the secretary is remembered for the commune's next minutes
    assert (await minutes.last_secretary(db, commune.id)) == Person("Hà Thị Thư",
                                                                    "Công chức Văn phòng - Thống kê")
    stored = (await db.execute(select(Document).where(Document.id == d.id))).scalar_one()
    assert stored.content["doc"]["header"]["number"] == 1
