"""The policy's lifecycle, confidentiality and calendar events in the multi-origin log: every
type the app records has a payload class, and a station's events project the same case rows and
per-department deadlines on another store as on its own, and again after a rebuild."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text

from station_app.clock import CHINA_TZ, FixedClock
from station_app.domain.lifecycle import ACTIONS
from station_app.errors import PermissionDenied
from station_app.rules.festivals import festival_days
from station_app.services import audit_service
from station_app.services.calendar_service import import_schedule
from station_app.services.case_service import intake, perform
from station_app.services.disclosure_service import approve_disclosure, list_approvals
from station_app.services.export_service import export_case_list
from station_app.services.session import Session
from station_app.services.settings_service import confirm_department_contacts
from station_app.store.conflicts import lifecycle_target
from station_app.store.db import read
from station_app.store.payloads import PAYLOADS, CasePayload, Scope
from tests.factories import intake_json, joint_intake, major_intake, refer_intake, submit_city_intake
from tests.store.conftest import exchange, export

DECISION = {"approver": "王副市长", "date": "2025-11-20", "document_no": "漠争议领〔2025〕3号"}
SCHEDULE_2027 = "\n".join(
    [f"{d.isoformat()},holiday" for d in festival_days(2027)]
    + ["2027-01-04,holiday", "2027-02-09,holiday", "2027-02-10,holiday", "2027-02-20,workday"]
)
# What the services record besides the lifecycle actions' events.
OTHER_TYPES = {
    "case_registered": Scope.CASE,
    "personal_data_revealed": Scope.CASE,
    "deadline_recomputed": Scope.CASE,
    "disclosure_approved": Scope.CASE,
    "paper_printed": Scope.CASE,
    "cases_exported": Scope.STORE,
    "contacts_confirmed": Scope.STORE,
    "setting_changed": Scope.STORE,
    "calendar_imported": Scope.STORE,
    "station_initialised": Scope.STORE,
    "user_added": Scope.STORE,
    "user_changed": Scope.STORE,
    "password_changed": Scope.STORE,
    "user_unlocked": Scope.STORE,
}


def test_every_type_the_app_records_has_a_payload_class() -> None:
    for action in ACTIONS.values():
        cls = PAYLOADS.get(action.event)
        assert cls is not None and issubclass(cls, CasePayload), action.event
        assert lifecycle_target(action.event) == (action.target.value if action.target else None), action.event
    for type_, scope in OTHER_TYPES.items():
        assert scope in PAYLOADS[type_].SCOPES, type_
    assert lifecycle_target("clue_transferred") is None  # a flag now, no longer a status


def act(session: Session, no: str, action: str, **data: Any) -> None:
    perform(session, no, action, data)


CASE_SQL = (
    "SELECT uuid, status, stage, stage_start, due_date, due_estimated, extended, approved, clue_transferred, track,"
    " lead, co, reasons, objection_route, satisfaction FROM cases ORDER BY uuid"
)
DEPT_SQL = (
    "SELECT case_uuid, dept, role, signed_at, returned_at, return_reason, opinion, due_date, due_estimated,"
    " extended, opinion_on, on_time FROM case_departments ORDER BY case_uuid, dept"
)


def _rows(session: Session) -> tuple[list[Any], list[Any]]:
    with read(session.store.engine) as conn:
        cases = [tuple(r) for r in conn.execute(text(CASE_SQL))]
        depts = [tuple(r) for r in conn.execute(text(DEPT_SQL))]
    return cases, depts


def test_policy_events_project_the_same_on_another_store(station: Session, peer: Session, clock: FixedClock) -> None:
    s = station  # the admin: a head, and the first receiver of every case here
    declined = intake(s, major_intake(name="张伟")).case_no
    act(s, declined, "route")
    act(s, declined, "decline", **DECISION, text="不属于重大疑难事项,按一般事项办理。")
    approved = intake(s, major_intake(name="李娜")).case_no
    act(s, approved, "route")
    act(s, approved, "approve", **DECISION)
    act(s, approved, "extend", dept="tax", days=2, reason="需调取台账。")
    act(s, approved, "incident", kind="work_error", dept="tax", text="逾期未签收。")
    city = intake(s, submit_city_intake(name="王芳")).case_no
    act(s, city, "route")
    act(s, city, "city_assign", lead="hrss", co=["medical"], document_no="漠12345交〔2025〕8号", date="2025-11-20")
    act(s, city, "feedback_12345", text="已反馈缴费人和12345热线办。", date="2025-11-20")
    act(s, city, "return", dept="hrss", reason="不属于本部门。")
    act(s, city, "clue_transfer", dept="hrss", reason="无正当理由退回。")
    refer = intake(s, refer_intake(name="刘洋")).case_no
    act(s, refer, "route")
    act(s, refer, "handled", text="税务局已办结。")
    joint = intake(s, joint_intake(name="陈静")).case_no
    act(s, joint, "route")
    act(s, joint, "consult", text="会商意见一致。")
    for dept in ("tax", "hrss"):
        act(s, joint, "opinion", dept=dept, text="意见。", received_on="2025-11-20")
    act(s, joint, "reply", text="综合答复。")
    act(s, joint, "deliver", party="applicant", method="in_person", date="2025-11-20")
    approve_disclosure(s, "tax", "核实缴费情况", approved)
    approve_disclosure(s, "tax", "核对名单")
    export_case_list(s, None, "tax")
    confirm_department_contacts(s)
    # a calendar import re-counts an estimated deadline (the case's and its department's)
    clock.set(datetime(2026, 12, 30, 9, 0, tzinfo=CHINA_TZ))
    late = intake(s, intake_json(received_at="2026-12-30T08:30:00+08:00", name="杨磊")).case_no
    act(s, late, "route")
    assert import_schedule(s, SCHEDULE_2027)["recomputed"]

    types = {e.type for e in export(s)}
    assert {"escalation_declined", "city_feedback_recorded", "incident_recorded", "department_handled",
            "consultation_recorded", "reply_delivered", "deadline_recomputed", "disclosure_approved",
            "cases_exported", "contacts_confirmed"} <= types  # fmt: skip
    here = _rows(s)
    assert any(r[8] for r in here[0])  # the clue-transfer flag
    assert any(r[7] for r in here[1])  # departments' own deadlines

    result = exchange(s, peer)
    assert result.committed and not result.changes.flagged and not result.changes.held
    assert _rows(peer) == here
    assert [a.approver for a in list_approvals(s)] == ["admin"]  # shown by its bare name here
    for side in (s, peer):
        assert audit_service.verify(side).ok
        assert audit_service.rebuild_projections(side)["identical"] is True
        assert _rows(side) == here


def test_another_stores_case_list_approval_does_not_count_here(station: Session, peer: Session) -> None:
    """五(三): a case-list export rests on this station's own head's approval; one synced in from
    another store is kept for audit only."""
    approve_disclosure(peer, "tax", "核对名单")
    assert exchange(peer, station).committed
    assert list_approvals(station) == []
    with pytest.raises(PermissionDenied):
        export_case_list(station, None, "tax")
    assert [a.used for a in list_approvals(peer)] == [False]
