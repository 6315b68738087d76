"""The actions whose data is read once into a typed input: a refusal names the same field in the
same order as before, the data is checked before the case's record, and what is recorded keeps
its JSON shape (dates as YYYY-MM-DD text, departments as sorted code lists)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from station_app.errors import InvalidTransition, ValidationError
from station_app.services.action_data import deadline
from station_app.services.case_service import intake, perform
from station_app.services.session import Session
from station_app.store.db import read
from station_app.store.events import iter_events
from tests.conftest import event_count
from tests.factories import joint_intake, major_intake, refer_intake, submit_city_intake
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


def _recorded(session: Session) -> dict[str, Any]:
    """The payload of the last event written, as stored."""
    with read(session.store.engine) as conn:
        return list(iter_events(conn))[-1].payload


def _due(session: Session, days: int) -> dict[str, Any]:
    return deadline(session, session.today(), days)


def test_the_station_s_text_actions_refuse_and_record_as_before(team: Team) -> None:
    w, h = team.worker, team.head
    days = w.deadline_settings()
    spot = intake(w, joint_intake()).case_no
    assert _refused(w, spot, "close_on_spot", {"text": 3}) == {"text": "当场答复内容应为文字"}
    perform(w, spot, "close_on_spot", {"text": " 当场答复。 "})
    assert _recorded(w) == {
        "text": "当场答复。",
        "set": {"status": "closed_on_spot", "stage": "archive", **_due(w, days.archive_days)},
    }
    assert _refused(w, spot, "archive", {"text": 3}) == {"text": "归档说明应为文字"}
    perform(w, spot, "archive", {})
    assert _recorded(w) == {"text": "", "set": {"status": "archived", "stage": "closed", "due_date": None}}

    gone = intake(w, joint_intake()).case_no
    assert _refused(h, gone, "withdraw", {"reason": " "}) == {"reason": "请填写撤回理由"}
    perform(h, gone, "withdraw", {"reason": "申请人自愿撤回。"})
    assert _recorded(h) == {
        "reason": "申请人自愿撤回。",
        "set": {"status": "withdrawn", "stage": "closed", "due_date": None},
    }

    major = intake(w, joint_intake()).case_no
    assert _refused(w, major, "escalate", {}) == {"reason": "请填写上报理由"}
    perform(w, major, "escalate", {"reason": "涉及多部门。"})
    payload = _recorded(w)
    assert payload["reason"] == "涉及多部门。"
    assert payload["routing"]["track"] == "major" and payload["routing"]["reasons"][-1] == "上报重大疑难:涉及多部门。"
    assert "justice" in payload["set"]["co"] and payload["set"]["status"] == "escalated"


def test_objection_and_callback_name_the_route_or_satisfaction_first(team: Team) -> None:
    w = team.worker
    no = intake(w, joint_intake()).case_no
    perform(w, no, "route", {})
    for dept in ("tax", "hrss"):
        perform(w, no, "opinion", {"dept": dept, "text": "意见。"})
    perform(w, no, "reply", {"text": "答复。"})
    assert _refused(w, no, "callback", {"satisfaction": "happy", "text": 3}) == {
        "satisfaction": "请选择满意、基本满意或不满意"
    }
    assert _refused(w, no, "callback", {"satisfaction": "basic", "text": 3}) == {"text": "回访记录应为文字"}
    perform(w, no, "callback", {"satisfaction": "basic"})
    assert _recorded(w) == {"satisfaction": "basic", "text": "", "set": {"satisfaction": "basic"}}
    assert _refused(w, no, "objection", {"route": "appeal", "text": 3}) == {
        "route": "请选择异议途径:调解、行政复议、仲裁或行政诉讼"
    }
    assert _refused(w, no, "objection", {"route": "mediation", "text": 3}) == {"text": "异议说明应为文字"}
    perform(w, no, "objection", {"route": "litigation", "text": " 不服。 "})
    assert _recorded(w) == {
        "route": "litigation",
        "text": "不服。",
        "referred_to": "justice",
        "referral": "已告知缴费人可向漠河市司法局寻求行政诉讼业务指导",
        "set": {"status": "objection", "objection_route": "litigation"},
    }


def test_a_submission_to_the_city_reads_reason_consulted_then_suggested(team: Team) -> None:
    w = team.worker
    no = intake(w, submit_city_intake()).case_no
    assert _refused(w, no, "submit_city", {"consulted": "tax", "suggested": "x"}) == {"reason": "请填写职责不清的原因"}
    assert _refused(w, no, "submit_city", {"reason": "不清。", "consulted": "tax"}) == {
        "consulted": "已协商部门应为列表"
    }
    assert _refused(w, no, "submit_city", {"reason": "不清。", "consulted": ["x"], "suggested": "x"}) == {
        "consulted": "部门代码无效"
    }
    assert _refused(w, no, "submit_city", {"reason": "不清。", "suggested": "x"}) == {"suggested": "部门代码无效"}
    perform(w, no, "submit_city", {"reason": "职责不清。", "consulted": ["tax", "hrss", "tax"]})
    assert _recorded(w) == {
        "reason": "职责不清。",
        "consulted": ["hrss", "tax"],
        "suggested": None,
        "set": {"status": "submitted", "stage": "city", **_due(w, w.deadline_settings().opinion_days)},
    }


def test_sign_return_and_opinion_check_the_case_s_departments_then_the_data(team: Team) -> None:
    w = team.worker
    no = intake(w, joint_intake()).case_no
    perform(w, no, "route", {})
    assert _refused(w, no, "sign", {"dept": "court"}) == {"dept": "该部门不是本案承办部门"}
    perform(w, no, "sign", {"dept": "tax"})
    assert _recorded(w) == {"dept": "tax", "set": {"status": "in_progress"}}
    bad = {"dept": "tax", "text": " ", "received_on": "bad", "file": "x"}
    assert _refused(w, no, "opinion", {**bad, "dept": "court"}) == {"dept": "该部门不是本案承办部门"}
    assert _refused(w, no, "opinion", bad) == {"text": "请填写书面意见"}
    assert set(_refused(w, no, "opinion", {**bad, "text": "意见。"})) == {"received_on"}
    assert _refused(w, no, "opinion", {**bad, "text": "意见。", "received_on": None}) == {"file": "附件格式错误"}
    scan = {"name": "意见.pdf", "data_b64": base64.b64encode(b"%PDF-1").decode()}
    assert _refused(w, no, "opinion", {"dept": "tax", "text": "意见。", "file": {"data_b64": "!!"}}) == {
        "file": "附件内容无法读取"
    }
    perform(w, no, "opinion", {"dept": "tax", "text": " 同意。 ", "received_on": "2025-11-20", "file": scan})
    payload = _recorded(w)
    assert {k: v for k, v in payload.items() if k != "set"} == {
        "dept": "tax",
        "text": "同意。",
        "received_on": "2025-11-20",
        "on_time": True,
        "file": {
            "name": "意见.pdf",
            "sha256": hashlib.sha256(b"%PDF-1").hexdigest(),
            "size": 6,
            "data_b64": scan["data_b64"],
        },
    }

    back = intake(w, joint_intake()).case_no
    perform(w, back, "route", {})
    assert _refused(w, back, "return", {"dept": "court"}) == {"dept": "该部门不是本案承办部门"}
    assert _refused(w, back, "return", {"dept": "business"}) == {"reason": "请填写退回理由"}
    perform(w, back, "return", {"dept": "hrss", "reason": "非本部门职责。"})
    assert _recorded(w) == {
        "dept": "hrss",
        "reason": "非本部门职责。",
        "set": {"status": "returned", "stage": "routing", **_due(w, w.deadline_settings().routing_days)},
    }


def test_minutes_and_reply_check_the_opinions_before_the_data(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, major_intake()).case_no
    perform(w, no, "route", {})
    with pytest.raises(InvalidTransition):
        perform(w, no, "minutes", {"text": 3})
    for dept in sorted(d.dept.value for d in perform(h, no, "approve", DECISION).departments):
        perform(w, no, "opinion", {"dept": dept, "text": "意见。"})
    with pytest.raises(InvalidTransition):
        perform(w, no, "reply", {"text": 3})  # no minutes yet
    bad = {"text": " ", "attendees": 3, "recorder": 3, "held_on": "bad"}
    assert _refused(w, no, "minutes", bad) == {"text": "请填写会议纪要内容"}
    assert _refused(w, no, "minutes", {**bad, "text": "纪要。"}) == {"attendees": "参会人员应为文字"}
    assert _refused(w, no, "minutes", {**bad, "text": "纪要。", "attendees": ""}) == {"recorder": "记录人应为文字"}
    perform(w, no, "minutes", {"text": "纪要。", "recorder": " 张三 "})
    payload = _recorded(w)
    assert {k: v for k, v in payload.items() if k != "set"} == {
        "text": "纪要。",
        "attendees": "",
        "recorder": "张三",
        "held_on": "2025-11-20",
        "on_time": True,
    }

    alone = joint_intake()
    alone.pop("respondent")
    joint = intake(w, alone).case_no
    perform(w, joint, "route", {})
    with pytest.raises(InvalidTransition):
        perform(w, joint, "reply", {"text": 3})
    for dept in ("tax", "hrss"):
        perform(w, joint, "opinion", {"dept": dept, "text": "意见。"})
    assert _refused(w, joint, "reply", {"text": 3, "respondent_text": "另。"}) == {"text": "答复内容应为文字"}
    assert _refused(w, joint, "reply", {"text": "答复。", "respondent_text": "另。"}) == {
        "respondent_text": "本案没有被反映方"
    }
    perform(w, joint, "reply", {"text": " 答复。 ", "respondent_text": " "})
    assert _recorded(w) == {
        "text": "答复。",
        "parties": ["applicant"],
        "set": {"status": "replied", "stage": "archive", **_due(w, w.deadline_settings().archive_days)},
    }

    both = intake(w, joint_intake(employer="漠河市兴安林场")).case_no
    perform(w, both, "route", {})
    for dept in ("tax", "hrss"):
        perform(w, both, "opinion", {"dept": dept, "text": "意见。"})
    perform(w, both, "reply", {"text": "答复。", "respondent_text": "致林场。"})
    assert {k: v for k, v in _recorded(w).items() if k != "set"} == {
        "text": "答复。",
        "parties": ["applicant", "respondent"],
        "respondent_text": "致林场。",
    }


def test_feedback_delivery_and_handled_check_the_record_then_the_data(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, submit_city_intake()).case_no
    perform(w, no, "route", {})
    with pytest.raises(InvalidTransition):
        perform(h, no, "feedback_12345", {"to": "nobody"})  # not assigned yet
    perform(h, no, "city_assign", {"lead": "hrss", "co": ["tax"], "document_no": "漠12345交〔2025〕8号"})
    bad = {"to": "nobody", "dept": "court", "text": 3, "date": "bad"}
    assert _refused(h, no, "feedback_12345", bad) == {"to": "请选择反馈对象:缴费人和/或12345热线办"}
    assert _refused(h, no, "feedback_12345", {**bad, "to": "office"}) == {"dept": "该部门不是本案承办部门"}
    assert _refused(h, no, "feedback_12345", {**bad, "to": "office", "dept": "tax"}) == {"text": "反馈内容应为文字"}
    assert _refused(h, no, "feedback_12345", {"text": "已办。"}) == {"date": "请填写反馈日期"}
    perform(h, no, "feedback_12345", {"to": ["office", "payer"], "text": "已办。", "date": "2025-11-20"})
    assert _recorded(h) == {
        "dept": "hrss",
        "text": "已办。",
        "date": "2025-11-20",
        "to": ["payer", "office"],
        "set": {},
    }

    joint = intake(w, joint_intake()).case_no
    perform(w, joint, "route", {})
    for dept in ("tax", "hrss"):
        perform(w, joint, "opinion", {"dept": dept, "text": "意见。"})
    with pytest.raises(InvalidTransition):
        perform(w, joint, "deliver", {"party": "x"})  # no reply yet
    perform(w, joint, "reply", {"text": "答复。"})
    bad = {"party": "x", "method": "x", "date": "bad", "text": 3}
    assert _refused(w, joint, "deliver", bad) == {"party": "请选择送达对象:缴费人或被反映方"}
    assert _refused(w, joint, "deliver", {**bad, "party": "respondent"}) == {"method": "请选择送达方式"}
    assert set(_refused(w, joint, "deliver", {**bad, "party": "respondent", "method": "mail"})) == {"date"}
    good = {"party": "respondent", "method": "mail", "date": "2025-11-20"}
    assert _refused(w, joint, "deliver", {**good, "text": 3}) == {"text": "送达说明应为文字"}
    perform(w, joint, "deliver", good)
    assert _recorded(w) == {**good, "text": "", "set": {}}

    refer = intake(w, refer_intake()).case_no
    perform(w, refer, "route", {})
    assert _refused(w, refer, "handled", {"dept": "court", "text": 3}) == {"dept": "该部门不是本案承办部门"}
    assert _refused(w, refer, "handled", {"text": 3, "date": "bad"}) == {"text": "办结情况应为文字"}
    lead = perform(w, refer, "handled", {"text": " 已办结。 "}).to_json()["routing"]["lead"]
    assert _recorded(w) == {
        "dept": lead,
        "text": "已办结。",
        "date": "2025-11-20",
        "set": {"status": "replied", "stage": "archive", **_due(w, w.deadline_settings().archive_days)},
    }


def test_an_extension_checks_the_department_s_record_before_days_and_reason(team: Team) -> None:
    w, h = team.worker, team.head
    most = h.deadline_settings().opinion_extension_max
    no = intake(w, joint_intake()).case_no
    perform(w, no, "route", {})
    assert _refused(h, no, "extend", {"days": 0}) == {"dept": "请选择延期的部门"}
    assert _refused(h, no, "extend", {"dept": "court", "days": 0}) == {"dept": "该部门不是本案承办部门"}
    assert _refused(h, no, "extend", {"dept": "tax", "days": True}) == {"days": f"延期天数应为1至{most}个工作日"}
    assert _refused(h, no, "extend", {"dept": "tax", "days": 1}) == {"reason": "请填写延期理由"}
    perform(w, no, "opinion", {"dept": "hrss", "text": "意见。"})
    with pytest.raises(InvalidTransition):
        perform(h, no, "extend", {"dept": "hrss", "days": 0})  # answered already: the record first
    perform(h, no, "extend", {"dept": "tax", "days": 1, "reason": " 需调取材料。 "})
    payload = _recorded(h)
    assert (payload["dept"], payload["days"], payload["reason"]) == ("tax", 1, "需调取材料。")
    assert payload["dept_due"]["tax"]["due_date"] == payload["due_date"] and payload["set"]["extended"] is True
    with pytest.raises(InvalidTransition):
        perform(h, no, "extend", {"dept": "tax", "days": 0})  # once only

    major = intake(w, major_intake()).case_no
    perform(w, major, "route", {})
    perform(h, major, "approve", DECISION)
    top = h.deadline_settings().major_extension_max
    assert _refused(h, major, "extend", {"days": top + 1}) == {"days": f"延期天数应为1至{top}个工作日"}
    perform(h, major, "extend", {"days": 2, "reason": "案情复杂。"})
    payload = _recorded(h)
    assert (payload["days"], payload["reason"], payload["term"]) == (2, "案情复杂。", True)
    with pytest.raises(InvalidTransition):
        perform(h, major, "extend", {"days": 0})  # the term only once, refused before the days


def test_an_incident_names_kind_then_department_then_text(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, joint_intake()).case_no
    perform(w, no, "route", {})
    assert set(_refused(h, no, "incident", {"kind": "x", "dept": "x", "text": ""})) == {"kind"}
    assert _refused(h, no, "incident", {"kind": "work_error", "dept": "x", "text": ""}) == {
        "dept": "请指定责任部门(部门代码)"
    }
    assert _refused(h, no, "incident", {"kind": "work_error", "dept": "court", "text": " "}) == {
        "text": "请填写事件经过"
    }
    perform(h, no, "incident", {"kind": "public_opinion", "dept": "court", "text": " 引发舆情。 "})
    assert _recorded(h) == {"incident_kind": "public_opinion", "dept": "court", "text": "引发舆情。", "set": {}}


def test_routing_names_the_reason_then_the_adjustment_s_fields(team: Team) -> None:
    w, h = team.worker, team.head
    no = intake(w, joint_intake()).case_no
    adjust = {"track": "nowhere", "lead": "x", "co": "tax"}
    assert _refused(w, no, "route", {"override": adjust}) == {"reason": "请填写调整理由"}
    assert _refused(w, no, "route", {"reason": "调整。", "override": "x"}) == {"override": "调整内容格式错误"}
    assert _refused(w, no, "route", {"reason": "调整。", "override": adjust}) == {"override.track": "分流方式无效"}
    assert _refused(w, no, "route", {"reason": "调整。", "override": {**adjust, "track": "refer"}}) == {
        "lead": "部门代码无效"
    }
    wrong_co = {"track": "refer", "lead": "tax", "co": "hrss"}
    assert _refused(w, no, "route", {"reason": "调整。", "override": wrong_co}) == {"override.co": "协办部门应为列表"}
    assert _refused(w, no, "route", {"reason": "调整。", "override": {"track": "joint", "co": ["tax"]}}) == {
        "override.lead": "请指定牵头部门"
    }
    perform(w, no, "route", {"reason": "调整。", "override": {"track": "joint", "lead": "tax", "co": ["tax", "hrss"]}})
    payload = _recorded(w)
    assert payload["routing"]["track"] == "joint" and payload["routing"]["lead"] == "tax"
    assert payload["routing"]["co"] == ["hrss"] and payload["routing"]["reasons"][-1] == "人工调整:调整。"
    assert "reason" not in payload and payload["set"]["co"] == ["hrss"]  # the first receiver routed

    other = intake(w, joint_intake()).case_no
    assert _refused(h, other, "route", {}) == {"reason": "请填写分流理由"}
    perform(h, other, "route", {"reason": "首问人休假。"})
    payload = _recorded(h)
    assert (payload["reason"], payload["first_receiver"]) == ("首问人休假。", w.user)
