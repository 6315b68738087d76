"""The actions whose data is read once into a typed input: a refusal names the same field in the
same order as before, the data is checked before the case's record, and what is recorded keeps
its JSON shape (dates as YYYY-MM-DD text, departments as sorted code lists)."""

from __future__ import annotations

from typing import Any

import pytest

from station_app.errors import InvalidTransition, ValidationError
from station_app.services.case_service import intake, perform
from station_app.services.session import Session
from tests.conftest import event_count
from tests.factories import joint_intake, major_intake, submit_city_intake
from tests.services.conftest import Team

DECISION = {"approver": "王副市长", "date": "2025-11-20", "document_no": "漠争议领〔2025〕3号"}


def _refused(session: Session, no: str, action: str, data: dict[str, Any]) -> dict[str, str]:
    before = event_count(session)
    with pytest.raises(ValidationError) as info:
        perform(session, no, action, data)
    assert event_count(session) == before
    return info.value.fields


def test_a_decision_names_every_bad_field_at_once_then_the_task_group(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, major_intake()).case_no
    perform(w, no, "route", {})
    fields = _refused(h, no, "approve", {"date": "2025-13-01", "task_group": ["nowhere"]})
    assert set(fields) == {"approver", "date", "document_no"}  # the task group only once these hold
    assert _refused(h, no, "approve", {**DECISION, "task_group": ["nowhere"]}) == {"task_group": "部门代码无效"}
    assert set(_refused(h, no, "decline", DECISION)) == {"text"}  # a refusal needs its reason
    d = perform(h, no, "approve", {**DECISION, "task_group": ["tax", "court", "tax"]})
    note = d.note("escalation_approved")
    assert note is not None
    assert (note["date"], note["task_group"], note["text"]) == ("2025-11-20", ["court", "tax"], "")


def test_city_assignment_clue_transfer_and_consult_read_their_fields_in_order(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, submit_city_intake()).case_no
    perform(w, no, "route", {})
    assert set(_refused(h, no, "city_assign", {"lead": "x", "co": "tax"})) == {"lead"}
    assert _refused(h, no, "city_assign", {"lead": "hrss", "co": "tax"}) == {"co": "协办部门应为列表"}
    assert set(_refused(h, no, "city_assign", {"lead": "hrss", "date": "bad"})) == {"document_no"}
    d = perform(h, no, "city_assign", {"lead": "hrss", "co": ["hrss", "tax"], "document_no": "漠12345交〔2025〕8号"})
    assert d.note("city_assigned")["routing"]["co"] == ["tax"]  # type: ignore[index]
    assert d.note("city_assigned")["date"] == "2025-11-20"  # type: ignore[index]
    # the data is refused before the case's record is looked at
    assert set(_refused(h, no, "clue_transfer", {"dept": "hrss"})) == {"reason"}
    with pytest.raises(InvalidTransition):
        perform(h, no, "clue_transfer", {"dept": "hrss", "reason": "拒不处理"})

    joint = intake(w, joint_intake()).case_no
    perform(w, joint, "route", {})
    assert set(_refused(w, joint, "consult", {"held_on": "2025-11-21", "text": ""})) == {"held_on"}  # not yet
    assert set(_refused(w, joint, "consult", {"attendees": 3})) == {"text"}
    d = perform(w, joint, "consult", {"text": "会商。", "attendees": " 税务局 "})
    note = d.note("consultation_recorded")
    assert note is not None and (note["held_on"], note["attendees"]) == ("2025-11-20", "税务局")
