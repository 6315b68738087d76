"""One stage plan: the routing panel, the receipt and the lists agree on every date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from station_app.documents.payload import PaperKind
from station_app.domain.enums import Track
from station_app.rules.calendar import load_default_calendar
from station_app.rules.deadlines import DeadlineSettings, deadline_state, stage_plan
from station_app.services import desk_service as desk
from station_app.services.case_service import intake
from station_app.services.paper_rules import paper_deadline
from station_app.services.query_service import get_case
from station_app.services.session import Session
from tests.factories import joint_intake, major_intake, refer_intake, submit_city_intake


@pytest.mark.parametrize("make", [refer_intake, joint_intake, major_intake, submit_city_intake])
def test_the_routing_panel_promises_what_the_receipt_prints(station: Session, make: Any) -> None:
    """四(一): the worker tells the payer at the desk when to expect the answer; the slip in
    their hand must say the same day (a bankruptcy case received 2025-11-20 was told
    2025-12-15 on screen and 2025-12-16 on paper)."""
    data = make(received_at="2025-11-20T09:30:00+08:00")
    result = intake(station, data)
    case = get_case(station, result.case_no)
    hints = desk.stage_deadlines(station, case.routing, date(2025, 11, 20))
    printed, _estimated = paper_deadline(station, case, PaperKind.RECEIPT)
    assert hints and hints[0].label == "分类流转" and hints[0].due_date == "2025-11-21"
    assert hints[-1].due_date == printed.isoformat() if printed else False


def test_the_major_case_plan_counts_the_leading_groups_decision() -> None:
    """四(二)2: a major case is reported, decided by the leading group, handled within 15 working
    days and answered: received 2025-11-20 -> answer due 2025-12-16."""
    plan = stage_plan(load_default_calendar(), Track.MAJOR, date(2025, 11, 20), DeadlineSettings())
    assert [s.key for s in plan.stages] == ["routing", "approval", "major", "reply"]
    assert [s.due.isoformat() for s in plan.stages] == ["2025-11-21", "2025-11-24", "2025-12-15", "2025-12-16"]
    assert plan.answer is not None and plan.answer.due == date(2025, 12, 16)
    assert stage_plan(load_default_calendar(), Track.NOT_ACCEPTED, date(2025, 11, 20)).stages == ()


def test_one_deadline_state_for_lists_and_rules() -> None:
    """DESIGN.md "Deadlines": warn at 80 % of the time and on the due day, overdue after it; a
    stage with no known start is only ever ok or overdue before its day."""
    cal = load_default_calendar()
    start, due = date(2025, 9, 26), date(2025, 10, 10)
    assert deadline_state(cal, start, due, date(2025, 9, 29)) == "ok"
    assert deadline_state(cal, start, due, date(2025, 10, 9)) == "warn"
    assert deadline_state(cal, start, due, due) == "warn"
    assert deadline_state(cal, None, due, date(2025, 10, 9)) == "ok"
    assert deadline_state(cal, None, due, date(2025, 10, 11)) == "overdue"
