"""The lifecycle steps of the policy's 四(二)-(五), through the service and the command line.

Each test names its clause. The service tests run on a fixed clock (2025-11-20, a Thursday);
the command-line tests run the real program on a store those services filled.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from station_app.clock import FixedClock
from station_app.domain.enums import Department, Status, Track
from station_app.dto.case import CaseDetail
from station_app.errors import InvalidTransition, PermissionDenied, ValidationError
from station_app.services.case_service import intake, perform
from station_app.services.paper_service import print_paper
from station_app.services.query_service import get_case
from station_app.services.session import Session, login
from station_app.services.settings_service import set_setting
from station_app.services.user_service import add_user
from tests.conftest import FAST_KDF, event_count, run_cli
from tests.factories import intake_json, joint_intake, major_intake, refer_intake, submit_city_intake
from tests.services.conftest import Team

DECISION = {"approver": "王副市长", "date": "2025-11-20", "document_no": "漠争议领〔2025〕3号"}
HEAD_PASSWORD = "head-pass-123"


def act(session: Session, no: str, action: str, **data: Any) -> CaseDetail:
    return perform(session, no, action, data)


def refused(session: Session, no: str, action: str, error: type[Exception], **data: Any) -> Exception:
    """Assert the action is refused with `error` and stores nothing."""
    before = event_count(session)
    with pytest.raises(error) as info:
        perform(session, no, action, data)
    assert event_count(session) == before
    return info.value


def dept(detail: CaseDetail, code: str) -> Any:
    return next(d for d in detail.departments if d.dept.value == code)


def cli_act(data_dir: Path, user: str, password: str, no: str, action: str, data: dict[str, Any]) -> Any:
    return run_cli(
        "case",
        "act",
        no,
        action,
        stdin=json.dumps(data, ensure_ascii=False),
        data_dir=data_dir,
        user=user,
        password=password,
    )


def cli_show(data_dir: Path, no: str, user: str = "zhanzhang", password: str = HEAD_PASSWORD) -> dict[str, Any]:
    out = run_cli("case", "show", no, "--json", data_dir=data_dir, user=user, password=password)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def pdf_text(pdf: bytes) -> str:
    return "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")


# -- 首问责任制 ---------------------------------------------------------------------------------


def test_only_the_first_receiver_routes_anyone_else_needs_a_head_and_a_reason(
    team: Team, data_dir: Path, clock: FixedClock
) -> None:
    """四(一): 受理部门应坚持落实首问责任制,第一个接待(受理)矛盾纠纷的人员必须负责落实争议受理登记、分类流转工作."""
    add_user(team.admin, "lisi", "worker", "river-pass-123", kdf=FAST_KDF)
    other = login(data_dir, "lisi", "river-pass-123", clock)
    try:
        no = intake(team.worker, refer_intake()).case_no
        assert "route" in get_case(team.worker, no).allowed_actions
        assert "route" not in get_case(other, no).allowed_actions
        err = refused(other, no, "route", PermissionDenied)
        assert "首问责任制" in str(err)
        err = refused(team.head, no, "route", ValidationError)
        assert "reason" in err.fields  # type: ignore[attr-defined]
        d = act(team.head, no, "route", reason="首位受理人休假,由站长代为分流。")
        assert d.summary.status is Status.ROUTED
        routed = [t for t in d.timeline if t.type == "case_routed"][-1].payload
        assert routed["first_receiver"] == "shouliyuan" and routed["reason"].startswith("首位受理人休假")
        # the first receiver never needs a reason
        mine = intake(other, refer_intake()).case_no
        assert act(other, mine, "route").summary.status is Status.ROUTED
    finally:
        other.close()


def test_first_receiver_rule_on_the_command_line(team: Team, data_dir: Path) -> None:
    """四(一) 首问责任制: the command line applies the same rule (exit 1 for another worker)."""
    add_user(team.admin, "lisi", "worker", "river-pass-123", kdf=FAST_KDF)
    no = intake(team.worker, refer_intake()).case_no
    out = cli_act(data_dir, "lisi", "river-pass-123", no, "route", {})
    assert out.returncode == 1 and "首问责任制" in out.stderr
    out = cli_act(data_dir, "zhanzhang", HEAD_PASSWORD, no, "route", {})
    assert out.returncode == 2 and "reason" in json.loads(out.stdout)["fields"]
    out = cli_act(data_dir, "zhanzhang", HEAD_PASSWORD, no, "route", {"reason": "首位受理人外出"})
    assert out.returncode == 0 and json.loads(out.stdout)["status"] == "routed"


# -- per-department deadlines ---------------------------------------------------------------


def test_each_department_has_its_own_deadline_extension_and_on_time_flag(team: Team, clock: FixedClock) -> None:
    """四(二)1(3): 各联办单位依职权办理,在规定时限内向受理单位提供书面意见; DESIGN: a head extends one
    department only, once, by up to the setting (default 10 working days), with a reason."""
    w, h = team.worker, team.head
    no = intake(w, joint_intake()).case_no
    d = act(w, no, "route")
    assert {x.dept.value: x.due_date for x in d.departments} == {"tax": "2025-11-27", "hrss": "2025-11-27"}
    refused(w, no, "extend", PermissionDenied, dept="hrss", days=3, reason="需调取台账")
    refused(h, no, "extend", ValidationError, dept="court", days=3, reason="非本案部门")
    d = act(h, no, "extend", dept="hrss", days=3, reason="需调取2023年台账。")
    assert (dept(d, "hrss").due_date, dept(d, "hrss").extended) == ("2025-12-02", True)
    assert (dept(d, "tax").due_date, dept(d, "tax").extended) == ("2025-11-27", False)
    assert d.summary.due_date == "2025-12-02"  # the case waits for its last department
    err = refused(h, no, "extend", InvalidTransition, dept="hrss", days=1, reason="再延")
    assert "一次" in str(err)
    set_setting(h, "opinion_extension_max", 2)
    err = refused(h, no, "extend", ValidationError, dept="tax", days=3, reason="复杂")
    assert "1至2" in err.fields["days"]  # type: ignore[attr-defined]
    d = act(w, no, "opinion", dept="tax", text="税务局意见。")
    assert dept(d, "tax").on_time is True and dept(d, "tax").opinion_on == "2025-11-20"
    refused(h, no, "extend", InvalidTransition, dept="tax", days=1, reason="已提交")
    clock.set(clock.now().replace(day=3, month=12))
    d = get_case(w, no)
    assert dept(d, "hrss").overdue and dept(d, "hrss").on_time is None
    d = act(w, no, "opinion", dept="hrss", text="人社局意见。")
    assert dept(d, "hrss").on_time is False and not dept(d, "hrss").overdue
    refused(w, no, "opinion", ValidationError, dept="hrss", text="x", received_on="2025-12-31")  # future


def test_extension_and_deadlines_on_the_command_line(team: Team, data_dir: Path) -> None:
    """四(二)1(3) per-department time limits: `case act extend` by a head, shown by `case show --json`."""
    no = intake(team.worker, joint_intake()).case_no
    act(team.worker, no, "route")
    out = cli_act(data_dir, "shouliyuan", "worker-pass-123", no, "extend", {"dept": "tax", "days": 2, "reason": "x"})
    assert out.returncode == 1
    out = cli_act(data_dir, "zhanzhang", HEAD_PASSWORD, no, "extend", {"dept": "tax", "days": 2, "reason": "调取台账"})
    assert out.returncode == 0, out.stderr
    shown = {d["dept"]: d for d in cli_show(data_dir, no)["departments"]}
    assert (shown["tax"]["due_date"], shown["tax"]["extended"]) == ("2025-12-01", True)
    assert (shown["hrss"]["due_date"], shown["hrss"]["extended"]) == ("2025-11-27", False)


# -- 重大疑难 -------------------------------------------------------------------------------------


def test_major_report_decision_task_group_minutes_and_reply_deadlines(team: Team, clock: FixedClock) -> None:
    """四(二)2(2)-(3): 上报领导小组办公室,经领导小组组长同意后,会同市政府、司法局、人社局、医保局、信访局、
    税务局、网信办、各镇成立的工作领导小组专案处理;各部门在规定时限内提供书面审批意见,经小组会商后形成会议纪要."""
    w, h = team.worker, team.head
    no = intake(w, major_intake()).case_no
    d = act(w, no, "route")
    assert d.summary.status is Status.ESCALATED and d.summary.stage == "approval"
    report = print_paper(w, no, "escalation")
    text = pdf_text(report.pdf)
    assert "重大疑难事项上报单" in text and "领导小组办公室" in text and report.paper_no.startswith("漠西调重")
    err = refused(h, no, "approve", ValidationError)
    assert {"approver", "date", "document_no"} <= set(err.fields)  # type: ignore[attr-defined]
    refused(h, no, "approve", ValidationError, **{**DECISION, "date": "2025-11-21"})  # not yet happened
    d = act(h, no, "approve", **DECISION)
    assert d.approved and d.summary.status is Status.IN_PROGRESS
    assert [x.value for x in d.task_group] == [
        "city_gov",
        "justice",
        "hrss",
        "medical",
        "petition",
        "tax",
        "cyberspace",
        "town",
    ]
    assert d.summary.due_date == "2025-12-11"  # the 15-day term, the minutes' deadline
    assert {x.due_date for x in d.departments} == {"2025-11-27"}  # each opinion: 5 working days
    approval = d.note("escalation_approved")
    assert approval and approval["document_no"] == DECISION["document_no"] and approval["approver"] == "王副市长"
    for x in d.departments:
        d = act(w, no, "opinion", dept=x.dept.value, text="书面审批意见。")
    assert (d.summary.stage, d.summary.due_date) == ("minutes", "2025-12-11")
    refused(w, no, "reply", InvalidTransition, text="答复")  # minutes first
    clock.set(clock.now().replace(day=25))
    d = act(w, no, "minutes", text="会议议定……", held_on="2025-11-24", recorder="王丽")
    assert (d.summary.stage, d.summary.stage_start, d.summary.due_date) == ("reply", "2025-11-24", "2025-11-25")
    assert d.note("minutes_recorded")["on_time"] is True  # type: ignore[index]


def test_a_chosen_task_group_is_recorded(team: Team) -> None:
    """四(二)2(2): the approval names the task group."""
    no = intake(team.worker, major_intake()).case_no
    act(team.worker, no, "route")
    d = act(team.head, no, "approve", **DECISION, task_group=["tax", "justice", "court"])
    assert [x.value for x in d.task_group] == ["court", "justice", "tax"]


def test_a_refusal_sends_the_case_back_to_ordinary_handling_with_the_reason(team: Team) -> None:
    """四(二)2(2) 经领导小组组长同意: without that consent the matter is handled as an ordinary one."""
    w, h = team.worker, team.head
    no = intake(w, major_intake()).case_no
    d = act(w, no, "route")
    assert "justice" in {x.dept.value for x in d.departments}
    err = refused(h, no, "decline", ValidationError, **DECISION)
    assert "text" in err.fields  # type: ignore[attr-defined]
    refused(w, no, "decline", PermissionDenied, **DECISION, text="不属于重大疑难")
    d = act(h, no, "decline", **DECISION, text="不属于重大疑难事项,按一般事项办理。")
    assert d.summary.status is Status.ROUTED and d.routing.track is Track.JOINT and not d.approved
    assert {x.dept.value for x in d.departments} == {"tax", "court"}  # legal review was for the major track
    assert "不属于重大疑难事项" in d.routing.reasons[-1] and DECISION["document_no"] in d.routing.reasons[-1]
    assert {x.due_date for x in d.departments} == {"2025-11-27"}
    for x in ("tax", "court"):
        act(w, no, "opinion", dept=x, text="意见。")
    assert act(w, no, "reply", text="综合答复。").summary.status is Status.REPLIED


def test_major_decision_on_the_command_line(team: Team, data_dir: Path) -> None:
    """四(二)2(2): a head records the leading group's decision from its document: `case act approve|decline`."""
    no = intake(team.worker, major_intake()).case_no
    act(team.worker, no, "route")
    out = cli_act(data_dir, "zhanzhang", HEAD_PASSWORD, no, "decline", DECISION)
    assert out.returncode == 2 and "text" in json.loads(out.stdout)["fields"]
    out = cli_act(data_dir, "zhanzhang", HEAD_PASSWORD, no, "approve", {**DECISION, "task_group": ["tax", "court"]})
    assert out.returncode == 0, out.stderr
    shown = cli_show(data_dir, no)
    assert shown["status"] == "in_progress" and shown["approved"] and shown["task_group"] == ["court", "tax"]


# -- reply to both parties ---------------------------------------------------------------------


def _replied_joint(team: Team, **kw: Any) -> str:
    no = intake(team.worker, joint_intake(**kw)).case_no
    act(team.worker, no, "route")
    for x in ("tax", "hrss"):
        act(team.worker, no, "opinion", dept=x, text=f"{x}意见。")
    return no


def test_the_reply_goes_to_both_parties_and_each_delivery_is_recorded(team: Team) -> None:
    """四(三): 对处理情况,受理部门要在规定的期限内,向争议双方进行反馈."""
    w = team.worker
    no = _replied_joint(team, employer="漠河市兴安林场")
    refused(w, no, "deliver", InvalidTransition, party="applicant", method="mail", date="2025-11-20")
    d = act(w, no, "reply", text="答复缴费人。", respondent_text="告知单位:应于30日内补缴。")
    assert d.note("reply_issued")["parties"] == ["applicant", "respondent"]  # type: ignore[index]
    refused(w, no, "deliver", ValidationError, party="employer", method="mail", date="2025-11-20")
    refused(w, no, "deliver", ValidationError, party="applicant", method="pigeon", date="2025-11-20")
    act(w, no, "deliver", party="applicant", method="in_person", date="2025-11-20")
    d = act(w, no, "deliver", party="respondent", method="mail", date="2025-11-20", text="挂号信")
    deliveries = [n for n in d.notes if n["kind"] == "reply_delivered"]
    assert [(n["party"], n["method"], n["date"]) for n in deliveries] == [
        ("applicant", "in_person", "2025-11-20"),
        ("respondent", "mail", "2025-11-20"),
    ]
    payer = pdf_text(print_paper(w, no, "reply").pdf)
    other = print_paper(w, no, "reply_respondent")
    other_text = pdf_text(other.pdf)
    assert "答复缴费人" in payer and "应于30日内补缴" not in payer
    assert "漠河市兴安林场" in other_text and "应于30日内补缴" in other_text
    case = get_case(w, no)
    id_number = case.intake["applicant"]["id_number"]
    assert id_number not in other_text and id_number[-4:] in other_text  # masked for the other party


def test_without_another_party_there_is_no_second_reply(team: Team) -> None:
    """四(三) 争议双方: when the payer names nobody else, only the payer's reply exists."""
    data = intake_json(periods=(("2023-10", "2024-06"),))
    data.pop("respondent")
    no = intake(team.worker, data).case_no
    act(team.worker, no, "route")
    for x in ("tax", "hrss"):
        act(team.worker, no, "opinion", dept=x, text="意见。")
    d = act(team.worker, no, "reply", text="答复。")
    assert d.note("reply_issued")["parties"] == ["applicant"]  # type: ignore[index]
    refused(team.worker, no, "deliver", ValidationError, party="respondent", method="mail", date="2025-11-20")
    with pytest.raises(ValidationError):
        print_paper(team.worker, no, "reply_respondent")


def test_delivery_on_the_command_line(team: Team, data_dir: Path) -> None:
    """四(三) 向争议双方进行反馈: `case act deliver` records how and when."""
    no = _replied_joint(team)
    act(team.worker, no, "reply", text="答复。")
    data = {"party": "respondent", "method": "phone", "date": "2025-11-20"}
    out = cli_act(data_dir, "shouliyuan", "worker-pass-123", no, "deliver", data)
    assert out.returncode == 0, out.stderr
    notes = [n for n in cli_show(data_dir, no)["notes"] if n["kind"] == "reply_delivered"]
    assert [(n["party"], n["method"]) for n in notes] == [("respondent", "phone")]


# -- 报送办理 -------------------------------------------------------------------------------------


def test_city_assignment_feedback_and_clue_transfer(team: Team, clock: FixedClock) -> None:
    """四(五): 市政府...转交承办部门办理,承办部门应在规定时限内进行办理并反馈给缴费人和市12345热线办;
    若无正当理由且拒不处理...由受理部门将案件线索移交给纪委监委处理."""
    w, h = team.worker, team.head
    no = intake(w, submit_city_intake()).case_no
    act(w, no, "route")
    refused(w, no, "city_assign", PermissionDenied, lead="hrss", document_no="漠12345交〔2025〕8号")
    err = refused(h, no, "city_assign", ValidationError, lead="hrss")
    assert "document_no" in err.fields  # type: ignore[attr-defined]
    refused(w, no, "feedback_12345", InvalidTransition, text="x", date="2025-11-20")  # submitted, not assigned
    joint = intake(w, joint_intake()).case_no
    act(w, joint, "route")
    assert "feedback_12345" not in get_case(w, joint).allowed_actions  # not offered unless the city assigned
    clock.set(clock.now().replace(day=24))  # recorded on Monday from the city's document of Friday
    d = act(h, no, "city_assign", lead="hrss", co=["medical"], document_no="漠12345交〔2025〕8号", date="2025-11-21")
    assert d.summary.status is Status.ROUTED and d.routing.track is Track.JOINT
    assert {x.due_date for x in d.departments} == {"2025-11-28"}  # from the city's date, not today
    assert d.note("city_assigned")["document_no"] == "漠12345交〔2025〕8号"  # type: ignore[index]
    assert "feedback_12345" in get_case(w, no).allowed_actions
    err = refused(h, no, "clue_transfer", InvalidTransition, dept="hrss", reason="拒不处理")
    assert "退回或逾期" in str(err)
    refused(h, no, "clue_transfer", InvalidTransition, dept="tax", reason="拒不处理")  # not assigned here
    d = act(w, no, "feedback_12345", text="人社局已电话答复缴费人并反馈12345热线办。", date="2025-11-20")
    assert d.note("city_feedback_recorded")["to"] == ["payer", "office"]  # type: ignore[index]
    d = act(w, no, "feedback_12345", text="已反馈缴费人。", date="2025-11-20", to="payer", dept="medical")
    assert d.note("city_feedback_recorded")["to"] == ["payer"]  # type: ignore[index]
    refused(w, no, "feedback_12345", ValidationError, text="x", date="2025-11-20", to=["mayor"])
    clock.set(clock.now().replace(month=12, day=1))  # medical's opinion was due 11-28
    refused(w, no, "clue_transfer", PermissionDenied, dept="medical", reason="逾期不办")
    d = act(h, no, "clue_transfer", dept="medical", reason="医保局逾期且无正当理由拒不办理。")
    assert d.clue_transferred and d.summary.status is Status.ROUTED  # a flag, not a status
    assert d.note("clue_transferred")["grounds"] == ["overdue"]  # type: ignore[index]
    refused(h, no, "clue_transfer", InvalidTransition, dept="medical", reason="再次")
    for x in ("hrss", "medical"):
        act(w, no, "opinion", dept=x, text="意见。")
    act(w, no, "reply", text="答复。")
    assert act(w, no, "archive").summary.status is Status.ARCHIVED  # the case still ends normally


def test_a_department_that_returned_the_case_can_be_reported(team: Team) -> None:
    """四(五) 拒不处理: a refusal (department_returned) on record grounds a clue transfer."""
    no = intake(team.worker, submit_city_intake()).case_no
    act(team.worker, no, "route")
    act(team.head, no, "city_assign", lead="tax", document_no="漠12345交〔2025〕9号")
    act(team.worker, no, "return", dept="tax", reason="不属于本部门。")
    d = act(team.head, no, "clue_transfer", dept="tax", reason="税务局无正当理由退回。")
    assert d.clue_transferred and d.summary.status is Status.RETURNED
    assert d.note("clue_transferred")["grounds"] == ["department_returned"]  # type: ignore[index]
    assert "route" in d.allowed_actions or "route" in get_case(team.worker, no).allowed_actions


def test_city_acts_on_the_command_line(team: Team, data_dir: Path) -> None:
    """四(五): the city's assignment copied by a head, feedback to payer and 12345, clue transfer."""
    no = intake(team.worker, submit_city_intake()).case_no
    act(team.worker, no, "route")
    assign = {"lead": "hrss", "co": [], "document_no": "漠12345交〔2025〕10号", "date": "2025-11-20"}
    assert cli_act(data_dir, "shouliyuan", "worker-pass-123", no, "city_assign", assign).returncode == 1
    out = cli_act(data_dir, "zhanzhang", HEAD_PASSWORD, no, "city_assign", assign)
    assert out.returncode == 0 and json.loads(out.stdout)["status"] == "routed"
    out = cli_act(
        data_dir,
        "shouliyuan",
        "worker-pass-123",
        no,
        "feedback_12345",
        {"text": "已反馈", "date": "2025-11-21", "to": ["office"]},
    )
    assert out.returncode == 0, out.stderr
    # the real clock is long past hrss's due date (2025-11-27) without an opinion: overdue
    out = cli_act(data_dir, "zhanzhang", HEAD_PASSWORD, no, "clue_transfer", {"dept": "hrss", "reason": "逾期不办"})
    assert out.returncode == 0, out.stderr
    shown = cli_show(data_dir, no)
    assert shown["clue_transferred"] and shown["status"] == "routed"
    feedback = [n for n in shown["notes"] if n["kind"] == "city_feedback_recorded"]
    assert feedback[0]["to"] == ["office"]


# -- objections, refer closing, consultation ------------------------------------------------


@pytest.mark.parametrize(
    ("route", "referred"),
    [("reconsideration", True), ("litigation", True), ("arbitration", False), ("mediation", False)],
)
def test_objection_by_reconsideration_or_litigation_records_the_referral_to_justice(
    team: Team, route: str, referred: bool
) -> None:
    """三(二)5: 市司法局...对有上诉需求的缴费人提供业务指导."""
    no = _replied_joint(team)
    act(team.worker, no, "reply", text="答复。")
    d = act(team.worker, no, "objection", route=route, text="不服。")
    note = d.note("objection_recorded")
    assert note is not None and (note.get("referred_to") == "justice") is referred
    if referred:
        assert Department.JUSTICE.full_name in note["referral"]


def test_objection_referral_on_the_command_line(team: Team, data_dir: Path) -> None:
    """三(二)5 业务指导 by 司法局, through `case act objection`."""
    no = _replied_joint(team)
    act(team.worker, no, "reply", text="答复。")
    out = cli_act(data_dir, "shouliyuan", "worker-pass-123", no, "objection", {"route": "litigation"})
    assert out.returncode == 0 and json.loads(out.stdout)["status"] == "objection"
    note = next(n for n in cli_show(data_dir, no)["notes"] if n["kind"] == "objection_recorded")
    assert note["referred_to"] == "justice"


def test_a_refer_case_closes_on_the_departments_report_or_the_payers_confirmation(team: Team) -> None:
    """四(一) 对不属于本单位职责范围内事项,应告知缴费人前往相关职能部门办理: one department answers the payer
    itself, so there is no combined written reply (四(二)1(3) is for two or more departments)."""
    w = team.worker
    no = intake(w, refer_intake()).case_no
    act(w, no, "route")
    err = refused(w, no, "reply", InvalidTransition, text="综合答复")
    assert "无需综合书面答复" in str(err)
    assert "reply" not in get_case(w, no).allowed_actions
    refused(w, no, "handled", ValidationError)  # what was done is required
    d = act(w, no, "handled", text="税务局已当面答复。", date="2025-11-20")
    assert d.summary.status is Status.REPLIED and d.note("department_handled")["dept"] == "tax"  # type: ignore[index]
    other = intake(w, refer_intake()).case_no
    act(w, other, "route")
    d = act(w, other, "confirm", satisfaction="satisfied", text="缴费人确认税务局已办结。")
    assert d.summary.status is Status.REPLIED and d.satisfaction == "satisfied"
    assert act(w, other, "archive").summary.status is Status.ARCHIVED
    joint = intake(w, joint_intake()).case_no
    act(w, joint, "route")
    refused(w, joint, "confirm", InvalidTransition, satisfaction="satisfied")


def test_refer_closing_on_the_command_line(team: Team, data_dir: Path) -> None:
    """告知转办 closes without a combined reply: `case act reply` is refused, `handled` closes it."""
    no = intake(team.worker, refer_intake()).case_no
    act(team.worker, no, "route")
    assert cli_act(data_dir, "shouliyuan", "worker-pass-123", no, "reply", {"text": "x"}).returncode == 1
    out = cli_act(data_dir, "shouliyuan", "worker-pass-123", no, "handled", {"text": "已办结"})
    assert out.returncode == 0 and json.loads(out.stdout)["status"] == "replied"


def test_a_joint_case_may_record_a_consultation(team: Team, data_dir: Path) -> None:
    """四(二)3: 一般事项会商根据工作需要和问题情况,由工作领导小组成员依职权不定期会商沟通 (optional)."""
    w = team.worker
    no = intake(w, joint_intake()).case_no
    act(w, no, "route")
    refused(w, no, "consult", ValidationError)
    d = act(w, no, "consult", text="税务局与人社局会商,明确分段补缴。", attendees="税务局、人社局")
    assert d.note("consultation_recorded")["attendees"] == "税务局、人社局"  # type: ignore[index]
    major = intake(w, major_intake()).case_no
    act(w, major, "route")
    act(team.head, major, "approve", **DECISION)
    refused(w, major, "consult", InvalidTransition, text="会商")  # a major case records minutes
    out = cli_act(data_dir, "shouliyuan", "worker-pass-123", no, "consult", {"text": "再次会商。"})
    assert out.returncode == 0, out.stderr
