"""Statistics: counts by category, town, department, track, status; on-time and resolution rates."""

from __future__ import annotations

from datetime import date

import pytest

from station_app.clock import FixedClock
from station_app.errors import ValidationError
from station_app.services.case_service import intake, perform
from station_app.services.paper_service import verify_payload
from station_app.services.session import Session
from station_app.services.stats_service import (
    CountRow,
    compute_stats,
    month_range,
    monthly_report,
    print_monthly_report,
)
from tests.documents.conftest import page_count, pdf_text
from tests.factories import joint_intake, not_accepted_intake, refer_intake


def _count(rows: tuple[CountRow, ...], code: str) -> int:
    return next(r.count for r in rows if r.code == code)


@pytest.fixture
def month(station: Session, clock: FixedClock) -> Session:
    s = station
    a = intake(s, refer_intake()).case_no  # answered on time
    perform(s, a, "route", {})
    perform(s, a, "opinion", {"dept": "tax", "text": "意见"})
    perform(s, a, "handled", {"text": "税务局已答复缴费人"})
    b = intake(s, joint_intake()).case_no  # routed late, then answered
    late_open = intake(s, refer_intake()).case_no  # never routed: overdue
    c = intake(s, not_accepted_intake()).case_no
    perform(s, c, "route", {})
    w = intake(s, refer_intake()).case_no
    perform(s, w, "withdraw", {"reason": "自愿撤回"})
    intake(s, refer_intake(received_at="2025-10-15T10:00:00+08:00"))  # outside November
    clock.set(clock.now().replace(day=26))  # routing was due 2025-11-21
    perform(s, b, "route", {})
    perform(s, b, "opinion", {"dept": "tax", "text": "意见"})
    perform(s, b, "opinion", {"dept": "hrss", "text": "意见"})
    perform(s, b, "reply", {"text": "答复"})
    assert late_open
    return s


def test_counts_and_rates(month: Session) -> None:
    stats = compute_stats(month, date(2025, 11, 1), date(2025, 11, 30))
    assert stats.total == 5 and stats.accepted == 3
    assert stats.resolved == 2 and stats.resolution_rate == pytest.approx(2 / 3)
    assert stats.concluded == 2 and stats.on_time == 1 and stats.on_time_rate == pytest.approx(0.5)
    assert stats.overdue_open == 1
    assert [r.code for r in stats.by_category] == [str(n) for n in range(1, 10)]  # all nine, in order
    assert _count(stats.by_category, "4") == 5
    assert _count(stats.by_town, "232701100") == 5 and _count(stats.by_town, "232701101") == 0
    assert _count(stats.by_department, "tax") == 4 and _count(stats.by_department, "") == 1
    assert _count(stats.by_track, "refer") == 3 and _count(stats.by_track, "joint") == 1
    assert _count(stats.by_track, "not_accepted") == 1
    assert _count(stats.by_status, "replied") == 2 and _count(stats.by_status, "withdrawn") == 1
    assert sum(r.count for r in stats.by_status) == stats.total
    assert stats.by_category[3].label == "缴费金额"
    assert stats.to_json()["on_time_rate"] == pytest.approx(0.5)


def test_october_and_empty_periods(month: Session) -> None:
    october = compute_stats(month, date(2025, 10, 1), date(2025, 10, 31))
    assert october.total == 1 and october.resolution_rate == 0
    empty = compute_stats(month, date(2024, 1, 1), date(2024, 1, 31))
    assert empty.total == 0 and empty.resolution_rate is None and empty.on_time_rate is None
    with pytest.raises(ValidationError):
        compute_stats(month, date(2025, 11, 30), date(2025, 11, 1))


def test_monthly_report_pdf(month: Session) -> None:
    pdf = monthly_report(month, "2025-11")
    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF") and page_count(pdf) >= 1
    assert "受理登记5件" in text and "66.7%" in text and "50.0%" in text and "在办超期1件" in text
    again = monthly_report(month, "2025-11")
    assert "补打(第1次)" in pdf_text(again)
    result = print_monthly_report(month, "2025-11")
    verdict = verify_payload(month, result.payload)
    assert verdict.valid and verdict.fields["kind"] == "report" and verdict.fields["case_no"] is None
    assert verdict.fields["addressee"] == "city_gov" and verdict.fields["recorded"] is True
    assert result.reprint == 2


@pytest.mark.parametrize("bad", ["2025-13", "2025/11", "11-2025", "", "2025-1"])
def test_bad_month_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError) as exc:
        month_range(bad)
    assert "month" in exc.value.fields


def test_month_range() -> None:
    assert month_range("2025-12") == (date(2025, 12, 1), date(2025, 12, 31))
    assert month_range("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
