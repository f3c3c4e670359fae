"""`doithoai deadline`: compute a deadline by hand, as the Civil Code counts it.

    doithoai deadline 2026-02-13 --working-days 10     -> 2026-03-06
    doithoai deadline 2026-02-10 --days 7              -> 2026-02-23
    doithoai deadline 2026-03-15 --days-before 7       -> 2026-03-06
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from server.domain.calendar import FactStatus, calendar_from
from server.domain.deadlines import add_calendar_days, add_working_days, latest_announcement_date

EXIT_BAD_INPUT = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "deadline",
        help="tính ngày cuối của thời hạn (không tính ngày bắt đầu; ngày nghỉ lùi sang ngày làm việc kế tiếp)",
        description=(
            "In ra ngày cuối cùng của thời hạn (ISO YYYY-MM-DD), theo Điều 147-148 Bộ luật Dân sự 2015: "
            "không tính ngày bắt đầu; nếu ngày cuối là ngày nghỉ thì chuyển sang ngày làm việc tiếp theo."
        ),
    )
    p.add_argument("start", help="ngày bắt đầu (YYYY-MM-DD), ví dụ ngày tổ chức hội nghị")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--working-days", type=str, metavar="N", help="số ngày làm việc")
    group.add_argument("--days", type=str, metavar="N", help="số ngày (ngày lịch)")
    group.add_argument(
        "--days-before", type=str, metavar="N",
        help="chậm nhất N ngày trước ngày START (ví dụ thông báo hội nghị); lùi về ngày làm việc",
    )
    p.add_argument(
        "--overrides", action="append", default=[], metavar="FILE",
        help="tệp JSON (hoặc thư mục) ngày nghỉ/ngày làm bù, đặt lên trên tệp mặc định (ngày trùng: tệp sau thắng); dùng nhiều lần được",
    )
    p.add_argument("--explain", action="store_true",
                   help="in thêm lý do, nguồn và tình trạng (văn bản chính thức / đã công bố / "
                        "dự kiến) của từng ngày nghỉ gặp phải (ra stderr)")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"doithoai deadline: lỗi: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _count(value: str, flag: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{flag} phải là số nguyên dương, không phải '{value}'.") from None
    if n < 1:
        raise ValueError(f"{flag} phải là số nguyên dương (nhận được {n}).")
    return n


def run(args: argparse.Namespace) -> int:
    try:
        start = date.fromisoformat(args.start)
        if len(args.start) != 10:
            raise ValueError
    except ValueError:
        return _fail(f"ngày bắt đầu '{args.start}' không hợp lệ; cần dạng YYYY-MM-DD, ví dụ 2026-02-13.")
    try:
        cal = calendar_from(args.overrides)
        if args.working_days is not None:
            end = add_working_days(start, _count(args.working_days, "--working-days"), cal)
        elif args.days is not None:
            end = add_calendar_days(start, _count(args.days, "--days"), cal)
        else:
            end = latest_announcement_date(start, _count(args.days_before, "--days-before"), cal)
    except ValueError as exc:  # OverridesError is a ValueError
        return _fail(str(exc))
    if args.explain:
        lo, hi = sorted((start, end))
        estimated = False
        for year in range(lo.year, hi.year + 1):
            for fact in cal.special_facts(year):
                d = fact.day
                if not ((start < d <= end) if end >= start else (end <= d < start)):
                    continue
                kind = "làm việc" if fact.working else "nghỉ"
                estimated = estimated or fact.status == FactStatus.ESTIMATED
                print(f"{d.isoformat()} ({kind}): {fact.name} — {fact.status_label}; "
                      f"nguồn: {fact.source}", file=sys.stderr)
        if estimated:
            print("Lưu ý: kết quả dựa trên ngày nghỉ dự kiến, chưa có quyết định; "
                  "hãy tính lại khi có quyết định chính thức.", file=sys.stderr)
    print(end.isoformat())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m server.followup.cli``), same as ``doithoai deadline``."""
    parser = argparse.ArgumentParser(prog="doithoai")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
