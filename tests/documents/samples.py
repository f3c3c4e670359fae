"""Realistic inputs for every document (a commune of Lâm Đồng, early 2026)."""

from datetime import date, datetime

from server.documents.model import (
    Answer,
    AttendanceGroup,
    CommuneInfo,
    ConclusionNotice,
    ConferenceAnnouncement,
    ConferenceInfo,
    DocumentHeader,
    FieldTotals,
    HigherLevelReport,
    Invitation,
    IssuingBody,
    Minutes,
    OpinionTotals,
    Person,
    PetitionConclusion,
    Signer,
    TimelineStep,
    Turn,
    VerificationReply,
)
from server.domain.rule_profiles import PetitionOutcome

BODY = IssuingBody(name_lines=("ỦY BAN NHÂN DÂN", "XÃ ĐẮK SONG"), code="UBND")
SIGNER = Signer(name="Nguyễn Văn Hùng")
COMMUNE = CommuneInfo(
    name="xã Đắk Song",
    committee="Ủy ban nhân dân xã Đắk Song",
    front="Ủy ban Mặt trận Tổ quốc Việt Nam xã Đắk Song",
    higher_authority="Ủy ban nhân dân tỉnh Lâm Đồng",
)
CONFERENCE = ConferenceInfo(
    title="Hội nghị đối thoại với Nhân dân năm 2026",
    starts_at=datetime(2026, 1, 15, 8, 0),
    ends_at=datetime(2026, 1, 15, 11, 30),
    venue="Hội trường Ủy ban nhân dân xã Đắk Song",
    chairs=(
        Person("ông Nguyễn Văn Hùng", "Chủ tịch Ủy ban nhân dân xã"),
        Person("bà Trần Thị Hoa", "Chủ tịch Ủy ban Mặt trận Tổ quốc Việt Nam xã"),
        Person("ông Y Bhăm Êban", "Phó Chủ tịch Hội đồng nhân dân xã"),
    ),
    attendance=(
        AttendanceGroup("đại biểu Hội đồng nhân dân xã", 12),
        AttendanceGroup("trưởng thôn, bon", 9),
        AttendanceGroup("người dân các thôn, bon", 156),
    ),
    attendance_total=177,
    secretary=Person("bà Lê Thị Mỹ Duyên", "Công chức Văn phòng - Thống kê"),
    mode="trực tiếp kết hợp trực tuyến",
    topics=("đất đai, xây dựng", "giao thông nông thôn", "chính sách an sinh xã hội"),
)
HEADER = DocumentHeader(
    body=BODY,
    place="Đắk Song",
    signer=SIGNER,
    number=5,
    issued_on=date(2026, 2, 3),
    recipients=(
        "Thường trực Đảng ủy xã",
        "Thường trực HĐND xã",
        "UBMTTQ Việt Nam xã",
        "Các thôn, bon",
        "Cá nhân có kiến nghị",
    ),
    archive=("VT", "VP"),
)
PETITIONS = (
    PetitionConclusion(
        petitioner="ông Nguyễn Văn Bình",
        hamlet="thôn 3",
        field="đất đai",
        summary="đề nghị sớm cấp giấy chứng nhận quyền sử dụng đất cho hộ gia đình đã nộp hồ sơ từ năm 2024",
        conclusion="hồ sơ đã đủ điều kiện, đang trình cấp có thẩm quyền ký",
        outcome=PetitionOutcome.ASSIGNED,
        unit="Văn phòng Đăng ký đất đai chi nhánh Đắk Song",
        due=date(2026, 2, 27),
    ),
    PetitionConclusion(
        petitioner="bà H'Điểu",
        hamlet="bon Bu Boong",
        field="giao thông",
        summary="đường liên thôn đoạn qua bon Bu Boong xuống cấp, mùa mưa lầy lội",
        conclusion="đã đưa vào kế hoạch sửa chữa năm 2026, khởi công trong quý II",
        outcome=PetitionOutcome.ANSWERED,
    ),
    PetitionConclusion(
        petitioner="ông Phạm Đức Thắng",
        hamlet="thôn Thuận Hạnh",
        field="đất đai",
        summary="tranh chấp ranh giới thửa đất với hộ liền kề",
        conclusion="cần đo đạc, đối chiếu hồ sơ địa chính",
        outcome=PetitionOutcome.NEEDS_VERIFICATION,
        unit="công chức Địa chính - Nông nghiệp - Xây dựng và Môi trường",
        due=date(2026, 3, 31),  # the result, promised beyond the written reply's 30 working days
        reply_due=date(2026, 3, 5),
    ),
    PetitionConclusion(
        petitioner="bà Vũ Thị Ngọc",
        hamlet="thôn 10",
        field="chính sách xã hội",
        summary="đề nghị điều chỉnh mức trợ cấp cho người cao tuổi",
        conclusion="mức trợ cấp do Trung ương và tỉnh quy định",
        outcome=PetitionOutcome.FORWARDED,
        authority="Sở Y tế tỉnh Lâm Đồng",
    ),
    PetitionConclusion(
        petitioner="Lò Văn Páo",
        hamlet="Thôn 5",
        field="Môi trường",
        summary="Khói từ lò đốt rác gần khu dân cư thôn 5",
        conclusion="",
        outcome=None,  # raised in writing before the conference, not concluded
    ),
)


def conclusion_notice() -> ConclusionNotice:
    return ConclusionNotice(header=HEADER, commune=COMMUNE, conference=CONFERENCE, petitions=PETITIONS)


def verification_reply() -> VerificationReply:
    return VerificationReply(
        header=DocumentHeader(
            body=BODY, place="Đắk Song", signer=SIGNER, number=12, issued_on=date(2026, 1, 28),
            recipients=("Như trên", "Công chức Địa chính - NN - XD và MT"), archive=("VT",), unit_code="ĐC",
        ),
        commune=COMMUNE,
        addressee="Ông Phạm Đức Thắng, thôn Thuận Hạnh, xã Đắk Song",
        raised_on=date(2026, 1, 15),
        raised_at="Hội nghị đối thoại với Nhân dân năm 2026",
        content="tranh chấp ranh giới thửa đất số 125, tờ bản đồ số 18 với hộ liền kề",
        requirements=(
            "đo đạc hiện trạng thửa đất và đối chiếu với hồ sơ địa chính, bản đồ địa chính",
            "ông Phạm Đức Thắng cung cấp bản sao giấy chứng nhận quyền sử dụng đất và giấy tờ liên quan",
        ),
        timeline=(
            TimelineStep(date(2026, 2, 6), "đo đạc hiện trạng với sự có mặt của các hộ liền kề"),
            TimelineStep(date(2026, 2, 13), "tổ chức hòa giải tại Ủy ban nhân dân xã"),
        ),
        reply_by=date(2026, 2, 27),
        responsible="công chức Địa chính - Nông nghiệp - Xây dựng và Môi trường, ông Lê Văn Tám, chủ trì thực hiện",
        contact="số điện thoại liên hệ: 0261 3123 456 (Văn phòng Ủy ban nhân dân xã)",
        person="ông Phạm Đức Thắng",
    )


def higher_level_report() -> HigherLevelReport:
    return HigherLevelReport(
        header=DocumentHeader(
            body=BODY, place="Đắk Song", signer=SIGNER, number=7, issued_on=date(2026, 1, 26),
            recipients=("Như trên", "Thường trực Đảng ủy xã", "Thường trực HĐND xã"),
        ),
        commune=COMMUNE,
        conference=CONFERENCE,
        basis="Thực hiện Kế hoạch số 03/KH-UBND ngày 05/01/2026 của Ủy ban nhân dân xã",
        totals=OpinionTotals(total=5, answered=1, resolved=0, pending=3, forwarded=1),
        by_field=(
            FieldTotals("đất đai", OpinionTotals(2, 0, 0, 2, 0)),
            FieldTotals("giao thông", OpinionTotals(1, 1, 0, 0, 0)),
            FieldTotals("chính sách xã hội", OpinionTotals(1, 0, 0, 0, 1)),
            FieldTotals("Môi trường", OpinionTotals(1, 0, 0, 1, 0)),
        ),
        preparation=(
            "ban hành kế hoạch tổ chức hội nghị, phân công nhiệm vụ cho các thành viên",
            "thông báo thời gian, địa điểm, nội dung hội nghị trên hệ thống truyền thanh cơ sở và niêm yết tại trụ sở từ ngày 06/01/2026",
            "tổng hợp tình hình, kiến nghị của Nhân dân trước hội nghị",
        ),
        assessment=(
            "hội nghị được tổ chức dân chủ, công khai, đúng kế hoạch; người dân tham gia đông, phát biểu thẳng thắn",
            "một số kiến nghị về đất đai cần thời gian xác minh nên chưa trả lời được ngay tại hội nghị",
        ),
        recommendations=(
            "Đề nghị Ủy ban nhân dân tỉnh chỉ đạo Sở Y tế xem xét, giải quyết kiến nghị của Nhân dân "
            "về mức trợ cấp cho người cao tuổi",
        ),
    )


def invitation() -> Invitation:
    return Invitation(
        header=DocumentHeader(
            body=BODY, place="Đắk Song", signer=SIGNER, number=2, issued_on=date(2026, 1, 8),
            recipients=("Như trên",),
        ),
        commune=COMMUNE,
        conference=CONFERENCE,
        invitee="Trưởng thôn, bon trên địa bàn xã",
        notes=("đề nghị các trưởng thôn, bon thông báo rộng rãi để Nhân dân biết, tham dự",),
    )


def announcement() -> ConferenceAnnouncement:
    return ConferenceAnnouncement(
        header=DocumentHeader(
            body=BODY, place="Đắk Song", signer=SIGNER, number=1, issued_on=date(2026, 1, 6),
            recipients=("Đài truyền thanh xã", "Các thôn, bon"),
        ),
        commune=COMMUNE,
        conference=CONFERENCE,
        basis="Thực hiện Kế hoạch số 03/KH-UBND ngày 05/01/2026 của Ủy ban nhân dân xã",
        purpose="lắng nghe ý kiến, kiến nghị của Nhân dân; trả lời, giải quyết kịp thời những vấn đề Nhân dân quan tâm",
        how_to_take_part=(
            "mọi công dân trên địa bàn xã đều có quyền tham dự và phát biểu trực tiếp tại hội nghị",
            "đăng ký phát biểu tại bàn thư ký trước giờ khai mạc hoặc qua trưởng thôn, bon",
            "theo dõi trực tuyến qua hệ thống truyền thanh cơ sở",
        ),
        petitions_until=date(2026, 1, 13),
        petitions_where="bộ phận Một cửa Ủy ban nhân dân xã",
    )


def minutes() -> Minutes:
    return Minutes(
        header=DocumentHeader(body=BODY, place="Đắk Song", signer=SIGNER, number=3, issued_on=date(2026, 1, 15)),
        commune=COMMUNE,
        conference=CONFERENCE,
        agenda=(
            "tuyên bố lý do, giới thiệu đại biểu",
            "báo cáo tình hình kinh tế - xã hội và kết quả giải quyết kiến nghị kỳ trước",
            "Nhân dân phát biểu ý kiến, kiến nghị; lãnh đạo xã trả lời",
            "chủ trì kết luận hội nghị",
        ),
        turns=(
            Turn(
                speaker="ông Nguyễn Văn Bình", hamlet="thôn 3", field="đất đai", at=datetime(2026, 1, 15, 8, 45),
                content="gia đình tôi nộp hồ sơ cấp giấy chứng nhận từ tháng 6 năm 2024 nhưng đến nay chưa nhận được",
                answers=(Answer("ông Nguyễn Văn Hùng, Chủ tịch Ủy ban nhân dân xã", "hồ sơ đã đủ điều kiện, dự kiến trả kết quả trong tháng 02/2026"),),
                conclusion="giao Văn phòng Đăng ký đất đai giải quyết chậm nhất ngày 27/02/2026",
            ),
            Turn(
                speaker="bà H'Điểu", hamlet="bon Bu Boong", field="giao thông", at=datetime(2026, 1, 15, 9, 5),
                content="đường liên thôn xuống cấp, đề nghị sửa chữa",
                answers=(Answer("ông Trịnh Quốc Việt, công chức Địa chính - Xây dựng", "đã có trong kế hoạch sửa chữa năm 2026"),),
            ),
        ),
        closing=("Ủy ban nhân dân xã tiếp thu đầy đủ ý kiến, ban hành thông báo kết luận trong 10 ngày làm việc",),
    )


ALL = {
    "thong-bao-ket-luan": conclusion_notice,
    "tra-loi-xac-minh": verification_reply,
    "bao-cao-cap-tren": higher_level_report,
    "giay-moi": invitation,
    "thong-bao-hoi-nghi": announcement,
    "bien-ban": minutes,
}
