from datetime import date

from server.domain.announcement import announcement_warning
from server.domain.rule_profiles import get_profile

LAW = get_profile("luat-2025")
SEED = get_profile("cong-van-457")
CONF_DAY = date(2026, 12, 18)


def test_seed_letter_profile_has_no_announcement_lead_time():
    assert announcement_warning(SEED, CONF_DAY, None, date(2026, 12, 17)) is None


def test_law_2025_reminds_before_and_warns_after_the_last_day():
    reminder = announcement_warning(LAW, CONF_DAY, None, date(2026, 12, 1))
    assert reminder and "11/12/2026" in reminder and reminder.startswith("Cần thông báo")
    late = announcement_warning(LAW, CONF_DAY, None, date(2026, 12, 12))
    assert late and late.startswith("Đã quá hạn")


def test_law_2025_announcement_exactly_seven_days_before_is_in_time():
    assert announcement_warning(LAW, CONF_DAY, date(2026, 12, 11), date(2026, 12, 15)) is None
    warn = announcement_warning(LAW, CONF_DAY, date(2026, 12, 12), date(2026, 12, 15))
    assert warn and warn.startswith("Thông báo muộn") and "12/12/2026" in warn
