"""One conference, every view of it: the conclusion notice, the report to the higher level,
the overview, the public results and the deadline board count the same petitions and
print the same dates. Also: numbering from the database, and migration 0008's backfill.

A real SQLite file, brought to the newest schema by the migrations; rows written with the
models, as the actions write them.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from alembic import command
from docx import Document as read_docx
from sqlalchemy import select, text

from server.db.models import (
    Answer,
    Commune,
    Conference,
    Document,
    Participant,
    Petition,
    PetitionField,
)
from server.db.session import alembic_config, make_engine, migrate, session_factory
from server.documents import build
from server.domain import petition_lifecycle as lifecycle
from server.domain.calendar import calendar_from
from server.domain.errors import Invalid
from server.domain.rule_profiles import get_profile
from server.followup import documents_db as docs
from server.followup.deadlines_view import conference_items
from server.followup.overview import commune_overview, results_data
from server.followup.records import load_commune

PROFILE = get_profile("cong-van-457")
CAL = calendar_from()
DAY = date(2026, 2, 13)  # Friday before Tết 2026
AT = datetime(2026, 2, 13, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
TODAY = date(2026, 6, 1)


def _docx_text(data) -> str:
    buf = io.BytesIO()
    build(data).save(buf)
    d = read_docx(io.BytesIO(buf.getvalue()))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [p.text for row in t.rows for c in row.cells for p in c.paragraphs]
    return "\n".join(parts)


@pytest.fixture
async def db(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'agreement.sqlite3'}")
    await migrate(engine)
    async with session_factory(engine)() as session:
        yield session
    await engine.dispose()


async def _conference(db) -> tuple[Commune, Conference, dict[str, int]]:
    commune = Commune(name="Xã Đức An", issuing_body="ỦY BAN NHÂN DÂN XÃ ĐỨC AN", body_code="UBND",
                      place_name="Đức An", province="Lâm Đồng", chairman_name="Nguyễn Văn Chủ",
                      higher_authority="Ủy ban nhân dân tỉnh Lâm Đồng",
                      drafting_units={"default": "VP", "reply": "ĐC"})
    db.add(commune)
    await db.flush()
    for pos, (code, name) in enumerate((("land", "Đất đai"), ("roads", "Giao thông, đường sá"),
                                        ("environment", "Môi trường"))):
        db.add(PetitionField(commune_id=commune.id, code=code, name=name, position=pos))
    conf = Conference(commune_id=commune.id, year=2026, title="Hội nghị đối thoại với Nhân dân năm 2026",
                      starts_at=AT, venue="Hội trường UBND xã Đức An", public_slug="dong-thuan",
                      content="Trao đổi, đối thoại về đất đai; giao thông nông thôn", status="held")
    db.add(conf)
    await db.flush()
    db.add(Participant(conference_id=conf.id, full_name="Trần Văn Nam", salutation="Ông",
                       kind="delegate", title="Trưởng thôn 3", hamlet="Thôn 3", checked_in_at=AT))
    fields = {f.code: f.id for f in (await db.execute(select(PetitionField).where(
        PetitionField.commune_id == commune.id))).scalars()}
    specs = [  # key, name, salutation, consent, field, content, outcome, unit, typed due, status
        ("answered", "Lê Văn Cường", "Ông", True, "land", "Đề nghị làm rõ quy hoạch khu dân cư thôn 1",
         "answered", "", None, "answered"),
        ("assigned", "Trần Thị Bình", "Bà", False, "roads", "Đường liên thôn 3 xuống cấp",
         "assigned", "Công chức Địa chính - Xây dựng", date(2026, 3, 20), "assigned"),
        # the chairman promised the result beyond the written reply's 30 working days (03/04)
        ("verifying", "Hoàng Văn Đông", "Ông", False, "land", "Tranh chấp ranh giới đất với hộ liền kề",
         "verifying", "Công chức Địa chính - Xây dựng", date(2026, 5, 29), "verifying"),
        ("forwarded", "Y Bih Niê", "", False, "land", "Đề nghị cấp giấy chứng nhận quyền sử dụng đất",
         "forwarded", "Sở Nông nghiệp và Môi trường tỉnh Lâm Đồng", None, "forwarded"),
        ("open", "Lò Thị Mai", "Bà", False, "environment", "Khói từ lò đốt rác gần khu dân cư",
         None, "", None, "open"),
        ("resolved", "Đinh Văn Tư", "Ông", False, "roads", "Đèn đường thôn 2 bị hỏng",
         "assigned", "Công chức Địa chính - Xây dựng", date(2026, 3, 10), "resolved"),
    ]
    ids = {}
    for key, name, sal, consent, field, content, outcome, unit, due, status in specs:
        p = Petition(commune_id=commune.id, conference_id=conf.id, raised_by=name, salutation=sal,
                     consent_full_name=consent, hamlet="Thôn 1", field_id=fields[field], content=content,
                     source="during", created_at=AT)
        db.add(p)
        await db.flush()
        if outcome:
            db.add(Answer(petition_id=p.id, answered_by="Nguyễn Văn Chủ", outcome=outcome, unit=unit,
                          due_date=due, text="Tiếp thu, giải quyết theo quy định.", created_at=AT))
        if status == "resolved":
            p.resolved_on = date(2026, 3, 9)
        p.status = status
        ids[key] = p.id
    await db.flush()
    return commune, conf, ids


async def test_notice_report_overview_results_and_board_agree(db):
    commune, conf, ids = await _conference(db)
    record = await load_commune(db, commune.id, conference_ids=[conf.id])
    rec = record.conferences[0]
    info = await docs.conference_info(db, conf, commune)

    notice = docs.draft_conclusion(rec, commune, info, PROFILE, CAL)
    report = docs.draft_report(rec, commune, info)
    overview = commune_overview(record, PROFILE, CAL, TODAY)
    results = results_data(rec, PROFILE, CAL)
    _, board = conference_items(rec, PROFILE, CAL, TODAY)

    # counts: every petition, also the one without a conclusion, everywhere
    assert len(notice.doc.petitions) == report.doc.totals.total == overview["petitions"] \
        == results["total"] == len(board) == 6
    assert overview["by_state"] == results["by_state"] == {
        "open": 1, "answered": 1, "assigned": 1, "verifying": 1, "forwarded": 1, "resolved": 1}
    t = report.doc.totals
    assert (t.answered, t.resolved, t.pending, t.forwarded) == (1, 1, 3, 1)
    assert sum(f.totals.total for f in report.doc.by_field) == 6
    assert any("chưa có kết luận" in n for n in notice.notes)

    # dates: the same rule for each, whoever prints it
    by_id = dict(zip(notice.petition_ids, notice.doc.petitions, strict=True))
    items = {i["petition_id"]: i for i in results["items"]}
    deadlines = {p["petition_id"]: {d["key"]: d["due"] for d in p["deadlines"]} for p in board}
    assert by_id[ids["assigned"]].due == items[ids["assigned"]]["due"] == date(2026, 3, 20)
    assert deadlines[ids["assigned"]] == {"assigned": "2026-03-20"}
    v = by_id[ids["verifying"]]
    assert (v.reply_due, v.due) == (date(2026, 4, 3), date(2026, 5, 29))
    assert (items[ids["verifying"]]["written_reply_due"], items[ids["verifying"]]["due"]) == \
        (date(2026, 4, 3), date(2026, 5, 29))
    assert deadlines[ids["verifying"]] == {"verification_reply": "2026-04-03",
                                           "verification_result": "2026-05-29"}
    assert by_id[ids["open"]].outcome is None and items[ids["open"]]["due"] is None
    assert deadlines[ids["open"]] == {}
    conclusion_due = lifecycle.conclusion_due(DAY, PROFILE, CAL)
    board_items, _ = conference_items(rec, PROFILE, CAL, TODAY)
    assert {i.deadline.key: i.deadline.due for i in board_items}["conclusion_notice"] == conclusion_due \
        == date(2026, 3, 6)
    # the resolved one counts by its stored day, on time against the unit's date
    resolved = next(p for p in rec.petitions if p.petition.id == ids["resolved"])
    assert resolved.resolved_on == date(2026, 3, 9)
    assert lifecycle.timeliness(resolved.dates(PROFILE, CAL), TODAY, DAY).on_time

    # what the documents say, read back
    text = _docx_text(notice.doc)
    assert "Hội nghị nhận được 06 ý kiến, kiến nghị của Nhân dân, gồm: lĩnh vực đất đai: 03 ý kiến; " \
           "lĩnh vực giao thông, đường sá: 02 ý kiến; lĩnh vực môi trường: 01 ý kiến." in text
    assert "báo cáo kết quả về Ủy ban nhân dân xã chậm nhất ngày 20/03/2026." in text
    assert "Chậm nhất ngày 03/04/2026, Ủy ban nhân dân xã trả lời bằng văn bản cho công dân về nội " \
           "dung, yêu cầu, thời gian và người chịu trách nhiệm xác minh; kết quả giải quyết được trả " \
           "lời chậm nhất ngày 29/05/2026." in text
    assert "Kiến nghị của ông Lê Văn Cường, thôn 1 (lĩnh vực đất đai)" in text
    assert "Kiến nghị của bà Trần T. B., thôn 1 (lĩnh vực giao thông, đường sá)" in text
    assert "Kiến nghị của Y B. N., thôn 1" in text  # no salutation recorded: the name alone
    assert text.count("Kết luận: ") == 6 and "(bà)" not in text
    assert "- Lưu: VT, VP." in text
    rtext = _docx_text(report.doc)
    assert "Tổng số ý kiến, kiến nghị: 06, trong đó:" in rtext
    assert "- Đã giải quyết sau hội nghị: 01;" in rtext and "- Đang giải quyết, kiểm tra, xác minh: 03;" in rtext
    assert "- Đề nghị Ủy ban nhân dân tỉnh Lâm Đồng chỉ đạo Sở Nông nghiệp và Môi trường tỉnh Lâm Đồng " \
           "xem xét, giải quyết kiến nghị của Nhân dân về lĩnh vực đất đai: đề nghị cấp giấy chứng nhận " \
           "quyền sử dụng đất." in rtext
    assert "Nơi nhận:\n- Như trên;\n- Thường trực Đảng ủy xã;" in rtext

    reply = docs.draft_reply(rec, next(p for p in rec.petitions if p.petition.id == ids["verifying"]),
                             commune, PROFILE, CAL)
    assert reply.doc.addressee == "Ông Hoàng Văn Đông, thôn 1, xã Đức An"
    assert reply.doc.reply_by == date(2026, 5, 29) and "03/04/2026" in reply.notes[0]
    assert reply.doc.header.unit_code == "ĐC" and reply.doc.header.archive == ("VT", "ĐC")
    inv = docs.draft_invitation(conf, commune, info, (await db.execute(select(Participant))).scalar_one())
    assert inv.doc.invitee == "Ông Trần Văn Nam, Trưởng thôn 3, thôn 3"
    assert "Nội dung: trao đổi, đối thoại về đất đai; giao thông nông thôn." in _docx_text(inv.doc)


async def test_issue_dates_follow_the_register(db):
    commune, conf, ids = await _conference(db)
    record = await load_commune(db, commune.id, conference_ids=[conf.id])
    rec = record.conferences[0]
    info = await docs.conference_info(db, conf, commune)
    made = []
    for draft, kind, pid in (
        (docs.draft_conclusion(rec, commune, info, PROFILE, CAL), "conclusion", None),
        (docs.draft_reply(rec, next(p for p in rec.petitions if p.petition.id == ids["verifying"]),
                          commune, PROFILE, CAL), "reply", ids["verifying"]),
    ):
        d = Document(commune_id=commune.id, conference_id=conf.id, petition_id=pid, kind=kind,
                     year=2026, status="draft", content=docs.content_of(draft))
        db.add(d)
        made.append(d)
    await db.flush()
    notice, reply = made
    await docs.issue(db, notice, commune, date(2026, 3, 5), today=date(2026, 3, 10))
    assert notice.number == "01/TB-UBND"
    with pytest.raises(Invalid) as info:
        await docs.issue(db, reply, commune, date(2026, 3, 4), today=date(2026, 3, 10))
    assert info.value.code == "issue_date_before_last" and "01/TB-UBND" in info.value.message
    assert (reply.status, reply.seq, reply.number) == ("draft", None, "")  # nothing written
    with pytest.raises(Invalid) as info:
        await docs.issue(db, reply, commune, date(2026, 3, 11), today=date(2026, 3, 10))
    assert info.value.code == "issue_date_in_future"
    await docs.issue(db, reply, commune, date(2026, 3, 5), today=date(2026, 3, 10))
    assert reply.number == "02/UBND-ĐC"
    assert "Số: 02/UBND-ĐC" in _docx_text(docs.doc_data(reply))
    assert "- Lưu: VT, ĐC." in _docx_text(docs.doc_data(reply))


async def test_migration_0008_stores_resolved_on_from_the_last_change(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")

    async def upgrade(rev: str) -> None:
        def run(sync_conn) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, rev)

        async with engine.begin() as conn:
            await conn.run_sync(run)

    try:
        await upgrade("0007")
        changed = datetime(2026, 3, 9, 18, 30, tzinfo=UTC)  # 10/03 01:30 in Vietnam
        async with engine.begin() as conn:
            for sql in (
                "INSERT INTO commune (id, name, issuing_body, body_code, place_name, province, "
                "higher_authority, rule_profile, retention_days, chairman_name, created_at) VALUES "
                "(1, 'Xã Đức An', 'UBND', 'UBND', 'Đức An', '', '', 'cong-van-457', 365, '', :at)",
                "INSERT INTO petition_field (id, commune_id, code, name, position, active) "
                "VALUES (1, 1, 'land', 'Đất đai', 0, true)",
                "INSERT INTO petition (id, commune_id, raised_by, hamlet, phone, consent_full_name, "
                "field_id, content, authority, competence, source, status, search_text, created_at, "
                "updated_at) VALUES (1, 1, 'A', '', '', false, 1, 'c', '', 'commune', 'before', "
                "'resolved', '', :at, :at), (2, 1, 'B', '', '', false, 1, 'c', '', 'commune', "
                "'before', 'open', '', :at, :at)",
            ):
                await conn.execute(text(sql), {"at": changed})
        await upgrade("head")
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT id, resolved_on, salutation FROM petition ORDER BY id"))).all()
            units = (await conn.execute(text("SELECT drafting_units FROM commune"))).scalar_one()
        assert [(r[0], str(r[1]) if r[1] else None, r[2]) for r in rows] == [
            (1, "2026-03-10", ""), (2, None, "")]
        assert units in ("{}", {})
    finally:
        await engine.dispose()


def test_recommendations_are_addressed_to_the_higher_level():
    higher = "Ủy ban nhân dân tỉnh Lâm Đồng"
    assert docs.recommendation(higher, "Sở Y tế tỉnh Lâm Đồng", "Chính sách xã hội",
                               "Đề nghị tăng mức trợ cấp.") == (
        "Đề nghị Ủy ban nhân dân tỉnh Lâm Đồng chỉ đạo Sở Y tế tỉnh Lâm Đồng xem xét, giải quyết kiến "
        "nghị của Nhân dân về lĩnh vực chính sách xã hội: đề nghị tăng mức trợ cấp")
    assert docs.recommendation(higher, higher, "Đất đai", "Quy hoạch") == (
        "Đề nghị Ủy ban nhân dân tỉnh Lâm Đồng xem xét, giải quyết kiến nghị của Nhân dân về lĩnh "
        "vực đất đai: quy hoạch")
