"""What the desk is told by the services: why an action waits, what a deadline is for, which
queues a user has, which paper a new case gets."""

from __future__ import annotations

from station_app.clock import FixedClock
from station_app.documents.payload import PaperKind
from station_app.domain.enums import Department, Track
from station_app.services.case_service import intake, perform
from station_app.services.paper_rules import intake_papers
from station_app.services.query_service import get_case
from station_app.services.queue_service import desk_overview, work_queues
from station_app.services.session import Session
from tests.factories import joint_intake


def _joint(station: Session) -> str:
    case_no = intake(station, joint_intake()).case_no
    perform(station, case_no, "route", {})
    perform(station, case_no, "opinion", {"dept": "tax", "text": "已核查。"})
    return case_no


def test_the_case_says_why_the_reply_waits_and_what_is_due(station: Session) -> None:
    case_no = _joint(station)
    detail = get_case(station, case_no)
    assert "reply" in detail.allowed_actions
    assert detail.why_not("reply") == "尚缺以下部门的书面意见:漠河市人力资源和社会保障局"
    assert detail.summary.due_for == "部门书面意见(承办部门)"
    assert detail.to_json()["blocked_actions"]["reply"] == detail.why_not("reply")  # the CLI shows it too
    after = perform(station, case_no, "opinion", {"dept": "hrss", "text": "同意。"})
    assert after.why_not("reply") is None
    assert after.summary.due_for == "书面答复(受理站)"


def test_heads_get_the_approval_queue_and_late_departments_are_named(
    station: Session, worker: Session, clock: FixedClock
) -> None:
    assert "approval" not in {q.name for q in work_queues(worker)}
    assert "approval" in {q.name for q in work_queues(station)}
    assert "conflicts" not in {q.name for q in work_queues(station)}  # a standalone station never syncs
    case_no = _joint(station)
    perform(station, case_no, "escalate", {"reason": "涉及群体性欠费。"})
    assert desk_overview(station).count("approval") == 1
    assert get_case(station, case_no).summary.due_for == "等待领导小组审批"
    _joint(station)
    clock.advance(days=20)
    late = dict(desk_overview(worker).late_departments)
    assert late == {Department.HRSS: 2}  # hrss owes both cases; tax has answered both


def test_a_case_not_accepted_gets_the_refusal_notice_first() -> None:
    assert intake_papers(Track.NOT_ACCEPTED) == (PaperKind.REFUSAL,)
    assert intake_papers(Track.REFER) == (PaperKind.RECEIPT, PaperKind.REFERRAL)
    assert intake_papers(Track.JOINT) == (PaperKind.RECEIPT,)
