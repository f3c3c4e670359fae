"""Numbering issued documents: the issue date's bounds and the drafting unit."""

from datetime import date

import pytest

from server.domain.errors import Invalid
from server.domain.numbering import (
    archive_codes,
    check_issue_date,
    drafting_unit,
    validate_drafting_units,
)

TODAY = date(2026, 3, 10)


def test_issue_date_between_the_last_number_and_today():
    check_issue_date(date(2026, 3, 5), date(2026, 3, 5), TODAY)  # the same day as the last
    check_issue_date(TODAY, date(2026, 3, 5), TODAY)
    check_issue_date(date(2026, 1, 2), None, TODAY)  # the first number of the year
    with pytest.raises(Invalid) as info:
        check_issue_date(date(2026, 3, 4), date(2026, 3, 5), TODAY, "07/TB-UBND")
    assert info.value.code == "issue_date_before_last"
    assert info.value.message.startswith("Ngày ban hành 04/03/2026 trước ngày của văn bản số 07/TB-UBND "
                                         "(05/03/2026) trong cùng sổ năm 2026")
    with pytest.raises(Invalid) as info:
        check_issue_date(date(2026, 3, 11), None, TODAY)
    assert info.value.code == "issue_date_in_future" and "11/03/2026" in info.value.message


def test_drafting_units_setting():
    assert validate_drafting_units("VP") == {"default": "VP"}
    assert validate_drafting_units({"default": " VP ", "reply": "ĐC", "report": ""}) == \
        {"default": "VP", "reply": "ĐC"}
    assert validate_drafting_units(None) == {}
    for bad in ({"letter": "VP"}, {"reply": "v p"}, {"reply": 5}, ["VP"], {"reply": "X" * 21}):
        with pytest.raises(Invalid) as info:
            validate_drafting_units(bad)
        assert info.value.code == "bad_drafting_units"


def test_drafting_unit_per_kind_and_the_archive_line():
    units = {"default": "VP", "reply": "ĐC"}
    assert drafting_unit(units, "reply") == "ĐC"
    assert drafting_unit(units, "report") == "VP"
    assert drafting_unit({}, "report") is None and drafting_unit(None, "reply") is None
    assert archive_codes("VP") == ("VT", "VP")
    assert archive_codes(None) == archive_codes("VT") == ("VT",)
