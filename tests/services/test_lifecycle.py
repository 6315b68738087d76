"""Every track through the case lifecycle, with role, state and data checks.

Each refusal must leave the store untouched: the event count is compared before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from station_app.domain.enums import Department, Status
from station_app.dto.case import CaseDetail
from station_app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from station_app.services.case_service import intake, perform
from station_app.services.query_service import get_case
from station_app.services.session import Session
from tests.conftest import event_count
from tests.factories import (
    intake_json,
    joint_intake,
    major_intake,
    not_accepted_intake,
    refer_intake,
    submit_city_intake,
)
from tests.services.conftest import Team

APPROVAL = {"approver": "王副市长", "date": "2025-11-20", "document_no": "漠争议领〔2025〕3号"}


def act(session: Session, no: str, action: str, **data: Any) -> CaseDetail:
    return perform(session, no, action, data)


def refused(session: Session, no: str, action: str, error: type[Exception], **data: Any) -> Exception:
    """Assert the action is refused with `error` and stores nothing."""
    before = event_count(session)
    status = get_case(session, no).summary.status
    with pytest.raises(error) as info:
        perform(session, no, action, data)
    assert event_count(session) == before
    assert get_case(session, no).summary.status is status
    return info.value


def depts(detail: CaseDetail) -> dict[str, str]:
    return {d.dept.value: d.role for d in detail.departments}


def test_refer_route_sign_opinion_reply_callback_archive(team: Team) -> None:
    w = team.worker
    res = intake(w, refer_intake())
    assert (res.routing.track.value, res.routing.lead, res.routing.co) == ("refer", Department.TAX, ())
    no = res.case_no
    d = get_case(w, no)
    assert d.summary.status is Status.REGISTERED and d.summary.due_date == "2025-11-21"  # 1 working day

    d = act(w, no, "route")
    assert d.summary.status is Status.ROUTED
    assert depts(d) == {"tax": "lead"}
    assert (d.summary.stage, d.summary.due_date) == ("opinion", "2025-11-27")  # Thu + 5 working days

    d = act(w, no, "sign", dept="tax")
    assert d.summary.status is Status.IN_PROGRESS and d.departments[0].signed_at

    d = act(w, no, "opinion", dept="tax", text="经核查,应按实际工资补缴。")
    assert d.summary.status is Status.IN_PROGRESS
    assert (d.summary.stage, d.summary.due_date) == ("reply", "2025-11-21")  # 1 working day after

    d = act(w, no, "handled", text="税务局已当面答复并办结。")  # a refer case needs no combined reply
    assert d.summary.status is Status.REPLIED and d.note("department_handled") is not None

    d = act(w, no, "callback", satisfaction="satisfied")
    assert d.satisfaction == "satisfied" and d.summary.status is Status.REPLIED

    d = act(w, no, "archive")
    assert d.summary.status is Status.ARCHIVED and d.summary.due_date is None
    assert d.allowed_actions == ()
    assert [t.type for t in d.timeline] == [
        "case_registered",
        "case_routed",
        "department_signed",
        "opinion_recorded",
        "department_handled",
        "callback_recorded",
        "case_archived",
    ]
    refused(w, no, "reply", InvalidTransition, text="again")


def test_joint_reply_needs_an_opinion_from_every_department(team: Team) -> None:
    w = team.worker
    no = intake(w, joint_intake()).case_no
    d = act(w, no, "route")
    assert d.routing.track.value == "joint"
    assert depts(d) == {"tax": "lead", "hrss": "co"}
    act(w, no, "sign", dept="tax")
    act(w, no, "opinion", dept="tax", text="税务局意见。")
    err = refused(w, no, "reply", InvalidTransition, text="答复")
    assert Department.HRSS.full_name in str(err)
    assert Department.TAX.full_name not in str(err)
    d = act(w, no, "opinion", dept="hrss", text="人社局意见。")
    assert d.summary.stage == "reply"
    d = act(w, no, "reply", text="综合各部门意见,答复如下。")
    assert d.summary.status is Status.REPLIED
    assert all(p.opinion for p in d.departments)


def test_major_needs_approval_by_a_head_opinions_and_minutes(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, major_intake()).case_no
    d = act(w, no, "route")
    assert d.summary.status is Status.ESCALATED and d.routing.track.value == "major"
    assert {"tax", "court", "justice"} <= set(depts(d))
    refused(w, no, "approve", PermissionDenied, **APPROVAL)
    refused(w, no, "reply", InvalidTransition, text="答复")
    d = act(h, no, "approve", **APPROVAL, text="同意成立工作专班。")
    assert d.summary.status is Status.IN_PROGRESS and d.approved
    assert d.summary.due_date == "2025-12-11"  # 15 working days
    refused(w, no, "minutes", InvalidTransition, text="纪要")  # opinions first
    for dept in sorted(depts(d)):
        act(w, no, "opinion", dept=dept, text=f"{dept}意见。")
    err = refused(w, no, "reply", InvalidTransition, text="答复")
    assert "会议纪要" in str(err)
    refused(w, no, "minutes", ValidationError, text="")
    refused(w, no, "minutes", ValidationError, text="纪要", held_on="2025/11/20")
    refused(w, no, "minutes", ValidationError, text="纪要", held_on="2025-11-25")  # not in the future
    d = act(w, no, "minutes", text="会议议定……", attendees="各成员单位", held_on="2025-11-20")
    assert d.note("minutes_recorded")["held_on"] == "2025-11-20"  # type: ignore[index]
    d = act(w, no, "reply", text="书面答复。")
    assert d.summary.status is Status.REPLIED


def test_escalating_a_joint_case_adds_justice_whose_opinion_is_then_required(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, joint_intake()).case_no
    act(w, no, "route")
    act(w, no, "opinion", dept="tax", text="税务局意见。")
    d = act(w, no, "escalate", reason="涉及人数众多。")
    assert d.summary.status is Status.ESCALATED and d.routing.track.value == "major"
    assert "justice" in d.routing.to_json()["co"]  # type: ignore[operator]
    assert depts(d) == {"tax": "lead", "hrss": "co", "justice": "co"}
    act(h, no, "approve", **APPROVAL)
    act(w, no, "opinion", dept="hrss", text="人社局意见。")
    err = refused(w, no, "minutes", InvalidTransition, text="纪要")
    assert Department.JUSTICE.full_name in str(err)
    act(w, no, "opinion", dept="justice", text="合法性审查意见。")
    act(w, no, "minutes", text="会议纪要。")
    assert act(w, no, "reply", text="答复。").summary.status is Status.REPLIED


def test_submit_city_then_city_assigns_a_department(team: Team) -> None:
    w = team.worker
    no = intake(w, submit_city_intake()).case_no
    d = act(w, no, "route")
    assert d.summary.status is Status.SUBMITTED
    assert (d.routing.track.value, d.routing.lead) == ("submit_city", Department.BUSINESS)
    refused(w, no, "city_assign", PermissionDenied, lead="hrss", document_no="漠12345交〔2025〕8号")
    refused(team.head, no, "city_assign", ValidationError, lead="nowhere", document_no="漠12345交〔2025〕8号")
    d = act(team.head, no, "city_assign", lead="hrss", co=["tax", "hrss"], document_no="漠12345交〔2025〕8号")
    assert d.summary.status is Status.ROUTED and d.routing.track.value == "joint"
    assert depts(d) == {"hrss": "lead", "tax": "co"}
    assert d.routing.reasons[-1].endswith(Department.HRSS.full_name)
    assert "漠12345交〔2025〕8号" in d.routing.reasons[-1]
    for dept in ("hrss", "tax"):
        act(w, no, "sign", dept=dept)
        act(w, no, "opinion", dept=dept, text="意见。")
    assert act(w, no, "reply", text="答复。").summary.status is Status.REPLIED


def test_a_routed_case_can_be_submitted_to_the_city_and_returned_by_it(team: Team) -> None:
    w = team.worker
    no = intake(w, refer_intake()).case_no
    act(w, no, "route")
    refused(w, no, "submit_city", ValidationError)  # the reason is required
    d = act(
        w, no, "submit_city", reason="税务局与人社局均认为不属本部门。", consulted=["tax", "hrss"], suggested="hrss"
    )
    assert d.summary.status is Status.SUBMITTED and d.summary.stage == "city"
    d = act(w, no, "return", dept="business", reason="请补充材料。")
    assert d.summary.status is Status.RETURNED
    d = act(w, no, "route")
    assert d.summary.status is Status.ROUTED and depts(d) == {"tax": "lead"}


def test_not_accepted_has_no_department_and_no_further_action(team: Team) -> None:
    w = team.worker
    res = intake(w, not_accepted_intake())
    assert res.routing.track.value == "not_accepted" and res.routing.lead is None
    d = act(w, res.case_no, "route")
    assert d.summary.status is Status.NOT_ACCEPTED
    assert d.departments == () and d.summary.lead is None and d.summary.due_date is None
    assert d.allowed_actions == ()
    refused(w, res.case_no, "sign", InvalidTransition, dept="tax")
    refused(team.head, res.case_no, "withdraw", InvalidTransition, reason="撤回")


def test_returned_then_rerouted(team: Team) -> None:
    w = team.worker
    no = intake(w, joint_intake()).case_no
    act(w, no, "route")
    act(w, no, "sign", dept="hrss")
    refused(w, no, "return", ValidationError, dept="hrss")  # no reason
    refused(w, no, "return", ValidationError, dept="court", reason="非本案部门")
    d = act(w, no, "return", dept="hrss", reason="不属于本部门职责。")
    assert d.summary.status is Status.RETURNED and d.summary.stage == "routing"
    [hrss] = [p for p in d.departments if p.dept is Department.HRSS]
    assert hrss.return_reason == "不属于本部门职责。" and hrss.returned_at
    refused(w, no, "sign", InvalidTransition, dept="tax")
    d = act(w, no, "route", override={"track": "refer", "lead": "tax", "co": []}, reason="人社局已说明不涉及。")
    assert d.summary.status is Status.ROUTED
    assert depts(d) == {"tax": "lead"}
    assert d.routing.reasons[-1] == "人工调整:人社局已说明不涉及。"


def test_reroute_override_needs_a_reason_and_a_lead(team: Team) -> None:
    w = team.worker
    no = intake(w, refer_intake()).case_no
    err = refused(w, no, "route", ValidationError, override={"track": "refer", "lead": "hrss"})
    assert "reason" in err.fields  # type: ignore[attr-defined]
    err = refused(w, no, "route", ValidationError, override={"track": "refer"}, reason="调整")
    assert "override.lead" in err.fields  # type: ignore[attr-defined]
    err = refused(w, no, "route", ValidationError, override={"track": "refer", "lead": "x"}, reason="调整")
    assert "lead" in err.fields  # type: ignore[attr-defined]


def test_withdraw(team: Team) -> None:
    w = team.worker
    no = intake(w, refer_intake()).case_no
    err = refused(w, no, "withdraw", ValidationError)
    assert "reason" in err.fields  # type: ignore[attr-defined]
    d = act(w, no, "withdraw", reason="申请人自愿撤回。")
    assert d.summary.status is Status.WITHDRAWN and d.allowed_actions == ()
    refused(w, no, "route", InvalidTransition)


def test_objection_after_reply(team: Team) -> None:
    w = team.worker
    no = intake(w, refer_intake()).case_no
    for action, data in (("route", {}), ("opinion", {"dept": "tax", "text": "意见"})):
        perform(w, no, action, data)
    refused(w, no, "objection", InvalidTransition, route="arbitration")  # not replied yet
    act(w, no, "handled", text="税务局已答复。")
    err = refused(w, no, "objection", ValidationError, route="appeal")
    assert "route" in err.fields  # type: ignore[attr-defined]
    d = act(w, no, "objection", route="arbitration", text="不服答复,申请仲裁。")
    assert d.summary.status is Status.OBJECTION and d.objection_route == "arbitration"
    act(w, no, "callback", satisfaction="unsatisfied")
    assert act(w, no, "archive").summary.status is Status.ARCHIVED


def test_extension_once_only_and_within_the_limit(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, refer_intake()).case_no
    due = act(w, no, "route").summary.due_date
    assert due == "2025-11-27"
    refused(w, no, "extend", PermissionDenied, dept="tax", days=3, reason="需调取台账")  # a head grants it
    for bad in (0, 11, -1, "5", True, None):
        err = refused(h, no, "extend", ValidationError, dept="tax", days=bad, reason="需调取台账")
        assert "days" in err.fields  # type: ignore[attr-defined]
    refused(h, no, "extend", ValidationError, dept="tax", days=3)  # reason required
    refused(h, no, "extend", ValidationError, days=3, reason="需调取台账")  # which department
    d = act(h, no, "extend", dept="tax", days=10, reason="需调取历年工资台账。")
    assert d.summary.extended and d.summary.due_date == "2025-12-11"  # 10 working days after 11-27
    err = refused(h, no, "extend", InvalidTransition, dept="tax", days=1, reason="再延")
    assert "一次" in str(err)


def test_major_extension_limit_is_fifteen(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, major_intake()).case_no
    act(w, no, "route")
    act(h, no, "approve", **APPROVAL)
    refused(h, no, "extend", ValidationError, days=16, reason="复杂")
    assert act(h, no, "extend", days=15, reason="案情复杂。").summary.extended
    refused(h, no, "extend", InvalidTransition, days=1, reason="再延")


def test_clue_transfer_by_a_head_only(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, submit_city_intake()).case_no
    act(w, no, "route")
    act(h, no, "city_assign", lead="hrss", document_no="漠12345交〔2025〕9号")
    act(w, no, "return", dept="hrss", reason="不属于本部门。")
    refused(w, no, "clue_transfer", PermissionDenied, dept="hrss", reason="拒不处理")
    refused(h, no, "clue_transfer", ValidationError, dept="hrss")  # reason required
    d = act(h, no, "clue_transfer", dept="hrss", reason="人社局无正当理由拒不接收。")
    assert d.summary.status is Status.RETURNED and d.clue_transferred
    assert act(team.admin, intake(w, refer_intake()).case_no, "withdraw", reason="x").summary.status is Status.WITHDRAWN


def test_close_on_spot_then_callback_and_archive(team: Team) -> None:
    w = team.worker
    no = intake(w, refer_intake()).case_no
    refused(w, no, "close_on_spot", ValidationError)
    d = act(w, no, "close_on_spot", text="当场解释政策,申请人表示理解。")
    assert d.summary.status is Status.CLOSED_ON_SPOT
    act(w, no, "callback", satisfaction="basic")
    assert act(w, no, "archive").summary.status is Status.ARCHIVED


WRONG_STATE: list[tuple[Callable[..., dict[str, Any]], list[tuple[str, dict[str, Any]]], str, dict[str, Any]]] = [
    (refer_intake, [], "reply", {"text": "答复"}),
    (refer_intake, [], "sign", {"dept": "tax"}),
    (refer_intake, [], "archive", {}),
    (refer_intake, [], "approve", {}),
    (refer_intake, [], "city_assign", {"lead": "tax"}),
    (refer_intake, [("route", {})], "archive", {}),
    (refer_intake, [("route", {})], "route", {}),
    (refer_intake, [("route", {})], "close_on_spot", {"text": "x"}),
    (refer_intake, [("route", {})], "objection", {"route": "mediation"}),
    (refer_intake, [("route", {})], "callback", {"satisfaction": "satisfied"}),
    (refer_intake, [("route", {})], "minutes", {"text": "纪要"}),  # not a major case
    (major_intake, [("route", {})], "opinion", {"dept": "tax", "text": "意见"}),  # awaiting approval
]


@pytest.mark.parametrize(("make", "steps", "action", "data"), WRONG_STATE)
def test_wrong_state_is_refused_and_nothing_stored(
    team: Team,
    make: Callable[..., dict[str, Any]],
    steps: list[tuple[str, dict[str, Any]]],
    action: str,
    data: dict[str, Any],
) -> None:
    no = intake(team.admin, make()).case_no
    for step, step_data in steps:
        perform(team.admin, no, step, step_data)
    refused(team.admin, no, action, InvalidTransition, **data)


BAD_DATA: list[tuple[list[tuple[str, dict[str, Any]]], str, dict[str, Any], str]] = [
    ([("route", {})], "opinion", {"dept": "tax"}, "text"),
    ([("route", {})], "opinion", {"dept": "tax", "text": "   "}, "text"),
    ([("route", {})], "opinion", {"dept": "tax", "text": 42}, "text"),
    ([("route", {})], "opinion", {"dept": "tax", "text": "x" * 10001}, "text"),
    ([("route", {})], "opinion", {"dept": "court", "text": "意见"}, "dept"),
    ([("route", {})], "opinion", {"dept": "nope", "text": "意见"}, "dept"),
    ([("route", {})], "opinion", {"dept": "tax", "text": "意见", "file": {"name": "a.pdf"}}, "file"),
    ([("route", {})], "opinion", {"dept": "tax", "text": "意见", "file": {"data_b64": "!!"}}, "file"),
    ([("route", {})], "sign", {}, "dept"),
    ([("route", {})], "return", {"dept": "tax"}, "reason"),
    ([("route", {})], "submit_city", {"reason": "不清", "consulted": "tax"}, "consulted"),
    ([("route", {})], "submit_city", {"reason": "不清", "consulted": ["nope"]}, "consulted"),
    ([], "withdraw", {"reason": ""}, "reason"),
    ([], "close_on_spot", {}, "text"),
    ([("route", {}), ("opinion", {"dept": "tax", "text": "y"})], "handled", {}, "text"),
    (
        [("route", {}), ("opinion", {"dept": "tax", "text": "y"}), ("handled", {"text": "z"})],
        "callback",
        {"satisfaction": "great"},
        "satisfaction",
    ),
    ([], "frobnicate", {}, "action"),
]


@pytest.mark.parametrize(("steps", "action", "data", "field"), BAD_DATA)
def test_bad_data_names_the_field_and_stores_nothing(
    team: Team, steps: list[tuple[str, dict[str, Any]]], action: str, data: dict[str, Any], field: str
) -> None:
    no = intake(team.worker, refer_intake()).case_no
    for step, step_data in steps:
        perform(team.worker, no, step, step_data)
    err = refused(team.worker, no, action, ValidationError, **data)
    assert field in err.fields  # type: ignore[attr-defined]


def test_an_opinion_with_a_scanned_file_keeps_its_digest(team: Team) -> None:
    import base64
    import hashlib

    w = team.worker
    no = intake(w, refer_intake()).case_no
    act(w, no, "route")
    raw = b"%PDF-1.4 scanned opinion"
    d = act(
        w,
        no,
        "opinion",
        dept="tax",
        text="见附件。",
        file={"name": "意见.pdf", "data_b64": base64.b64encode(raw).decode()},
    )
    assert d.departments[0].opinion_file == {
        "name": "意见.pdf",
        "sha256": hashlib.sha256(raw).hexdigest(),
        "size": len(raw),
    }


def test_unknown_case_and_bad_intake_store_nothing(team: Team) -> None:
    w = team.worker
    with pytest.raises(NotFound):
        perform(w, "232701100001-2025-999999", "route", {})
    before = event_count(w)
    bad = intake_json()
    bad["applicant"]["id_number"] = "232723197003051234"  # wrong check digit (the real one is 0-9/X)
    bad["applicant"]["phone"] = "12345"
    del bad["received_at"]
    with pytest.raises(ValidationError) as info:
        intake(w, bad)
    assert {"applicant.id_number", "applicant.phone", "received_at"} <= set(info.value.fields)
    with pytest.raises(ValidationError) as info:
        intake(w, intake_json(category=4, periods=()))
    assert "periods" in info.value.fields
    assert event_count(w) == before


def test_roles_every_worker_action_and_the_heads_approval(team: Team) -> None:
    """A worker may do the desk's work; only heads (and admins) record the city's and the leading
    group's acts, grant extensions and transfer clues."""
    from station_app.domain.enums import Role
    from station_app.domain.lifecycle import ACTIONS

    head_only = {name for name, a in ACTIONS.items() if Role.WORKER not in a.roles}
    assert head_only == {"approve", "decline", "city_assign", "extend", "clue_transfer"}
