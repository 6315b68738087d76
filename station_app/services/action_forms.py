"""What each lifecycle action asks for, as a form the GUI draws.

Fields, labels, choices, which are required for this case and this user, and first values.

The GUI holds no rule: which actions are offered comes from `CaseDetail.allowed_actions`,
what each needs from `action_form`, and whether it is enough from `case_service.perform`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station_app.domain.enums import (
    DEPARTMENT_SHORT,
    INCIDENT_LABELS,
    OBJECTION_LABELS,
    TRACK_LABELS,
    Department,
    Track,
)
from station_app.domain.lifecycle import ACTIONS, DEFAULT_TASK_GROUP
from station_app.dto.case import CaseDetail
from station_app.services.case_actions import DELIVERY_METHODS, FEEDBACK_TO, PARTIES, SATISFACTION
from station_app.services.session import Session

Choices = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FormField:
    """One input of an action's form.

    `kind`: text (several lines), line, date, days, choice (one of `choices`), multi (any of
    `choices`, as a list), file, info (text to read, not an input). `default`: the first value (a
    code, a list of codes, a text); a required choice without one starts unchosen.
    """

    key: str
    label: str
    kind: str
    required: bool = True
    choices: Choices = ()
    default: Any = None
    maximum: int = 0  # for days

    def to_json(self) -> dict[str, Any]:
        """The field as `case act CASE ACTION --form` prints it.

        Key, label, kind, required, choices as `[{"value", "label"}]`, default, and `maximum` for a
        number of days.
        """
        out: dict[str, Any] = {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "required": self.required,
            "choices": [{"value": v, "label": label} for v, label in self.choices],
            "default": self.default,
        }
        if self.kind == "days":
            out["maximum"] = self.maximum
        return out


def _depts(depts: list[Department] | tuple[Department, ...]) -> Choices:
    return tuple((d.value, d.full_name) for d in depts)


def _short(depts: list[Department] | tuple[Department, ...]) -> Choices:
    return tuple((d.value, DEPARTMENT_SHORT[d]) for d in depts)


def reply_draft(detail: CaseDetail) -> str:
    """A first draft of the written reply from the departments' opinions (the worker edits it)."""
    lines = [f"{d.dept.full_name}:{d.opinion}" for d in detail.departments if d.opinion]
    if not lines:
        return ""
    names = "、".join(DEPARTMENT_SHORT[d.dept] for d in detail.departments if d.opinion)
    return f"您反映的问题,经{names}核查办理,现答复如下:\n" + "\n".join(lines)


def _proposal(detail: CaseDetail) -> str:
    """The routing the case carries now, as confirming it would keep it."""
    r = detail.routing
    lead = r.lead.full_name if r.lead else "无"
    co = "、".join(d.full_name for d in r.co) or "无"
    return f"{r.track.label};牵头部门:{lead};协办部门:{co}"


def action_form(session: Session, detail: CaseDetail, action: str) -> tuple[FormField, ...]:
    """The inputs of `action` on this case for this user (KeyError for an unknown action).

    Dates default to today; departments are the case's own where the service requires it.
    """
    if action not in ACTIONS:
        raise KeyError(action)
    own = [d.dept for d in detail.departments]
    pending = [d.dept for d in detail.departments if not d.opinion]
    unsigned = [d.dept for d in detail.departments if not d.signed_at]
    today = session.today().isoformat()
    limits = session.deadline_settings()
    every = list(Department)
    first_receiver = session.user == detail.summary.handler
    decision = (
        FormField("approver", "批示人(领导小组组长)", "line"),
        FormField("date", "批示日期", "date", default=today),
        FormField("document_no", "批示文号", "line"),
    )
    forms: dict[str, tuple[FormField, ...]] = {
        "route": (
            FormField("proposal", "系统建议", "info", False, default=_proposal(detail)),
            FormField("track", "办理方式(调整时选择)", "choice", False, tuple(TRACK_LABELS.items())),
            FormField("lead", "牵头部门(调整时选择)", "choice", False, _depts(every)),
            FormField("co", "协办部门(调整时选择)", "multi", False, _short(every)),
            FormField(
                "reason",
                "理由(非首位受理人分流,须由站长填写)" if not first_receiver else "调整理由",
                "line",
                not first_receiver,
            ),
        ),
        "close_on_spot": (FormField("text", "当场答复内容", "text"),),
        "sign": (FormField("dept", "签收部门", "choice", choices=_depts(unsigned or own)),),
        "return": (
            FormField(
                "dept",
                "退回部门",
                "choice",
                choices=_depts(own + [Department.BUSINESS] * (Department.BUSINESS not in own)),
            ),
            FormField("reason", "退回理由", "text"),
        ),
        "opinion": (
            FormField(
                "dept", "提交意见的部门", "choice", choices=_depts(pending + [d for d in own if d not in pending])
            ),
            FormField("text", "书面意见", "text"),
            FormField("received_on", "收到日期", "date", default=today),
            FormField("file", "扫描件", "file", False),
        ),
        "extend": (
            FormField(
                "dept",
                "延期的部门" + ("(不选则延长重大疑难办理期限)" if detail.summary.track is Track.MAJOR else ""),
                "choice",
                detail.summary.track is not Track.MAJOR,
                _depts(pending),
            ),
            FormField(
                "days",
                "延期工作日数",
                "days",
                default=min(5, limits.opinion_extension_max),
                maximum=limits.major_extension_max
                if detail.summary.track is Track.MAJOR
                else limits.opinion_extension_max,
            ),
            FormField("reason", "延期理由", "text"),
        ),
        "escalate": (FormField("reason", "上报理由", "text"),),
        "approve": (
            *decision,
            FormField(
                "task_group",
                "工作领导小组成员单位",
                "multi",
                False,
                _short(every),
                [d.value for d in DEFAULT_TASK_GROUP],
            ),
            FormField("text", "批示意见", "text", False),
        ),
        "decline": (*decision, FormField("text", "不同意的理由", "text")),
        "minutes": (
            FormField("held_on", "会议日期", "date", default=today),
            FormField("attendees", "参会单位及人员", "line", False),
            FormField("recorder", "记录人", "line", False),
            FormField("text", "会议议定事项", "text"),
        ),
        "consult": (
            FormField("held_on", "会商日期", "date", default=today),
            FormField("attendees", "参加单位及人员", "line", False),
            FormField("text", "会商内容", "text"),
        ),
        "reply": (
            FormField("text", "答复内容", "text", default=reply_draft(detail)),
            *(
                (FormField("respondent_text", "对被反映方的答复(与上文不同时填写)", "text", False),)
                if detail.intake.get("respondent")
                else ()
            ),
        ),
        "deliver": (
            FormField(
                "party",
                "送达对象",
                "choice",
                choices=tuple(
                    (k, v) for k, v in PARTIES.items() if k == "applicant" or detail.intake.get("respondent")
                ),
            ),
            FormField("method", "送达方式", "choice", choices=tuple(DELIVERY_METHODS.items())),
            FormField("date", "送达日期", "date", default=today),
            FormField("text", "送达说明", "line", False),
        ),
        "handled": (
            FormField("dept", "承办部门", "choice", choices=_depts(own)),
            FormField("text", "办结情况", "text"),
            FormField("date", "办结日期", "date", default=today),
        ),
        "confirm": (
            FormField("satisfaction", "满意度", "choice", choices=tuple(SATISFACTION.items())),
            FormField("text", "回访记录", "text", False),
        ),
        "objection": (
            FormField(
                "route", "异议途径", "choice", choices=tuple((r.value, label) for r, label in OBJECTION_LABELS.items())
            ),
            FormField("text", "异议说明", "text", False),
        ),
        "callback": (
            FormField("satisfaction", "满意度", "choice", choices=tuple(SATISFACTION.items())),
            FormField("text", "回访记录", "text", False),
        ),
        "archive": (FormField("text", "归档说明", "text", False),),
        "withdraw": (FormField("reason", "撤回理由", "text"),),
        "submit_city": (
            FormField("reason", "职责不清的原因", "text"),
            FormField("consulted", "已协商的部门", "multi", False, _short(every)),
            FormField("suggested", "建议承办部门", "choice", False, _depts(every)),
        ),
        "city_assign": (
            FormField("lead", "交办的承办部门", "choice", choices=_depts(every)),
            FormField("co", "协办部门", "multi", False, _short(every)),
            FormField("document_no", "交办文号", "line"),
            FormField("date", "交办日期", "date", default=today),
        ),
        "feedback_12345": (
            FormField("dept", "反馈的承办部门", "choice", choices=_depts(own)),
            FormField("to", "反馈对象", "multi", choices=tuple(FEEDBACK_TO.items()), default=list(FEEDBACK_TO)),
            FormField("text", "反馈内容", "text"),
            FormField("date", "反馈日期", "date", default=today),
        ),
        "clue_transfer": (
            FormField("dept", "拒不处理的部门", "choice", choices=_depts(own)),
            FormField("reason", "移送理由(拒不处理的情况)", "text"),
        ),
        "incident": (
            FormField("kind", "事件类别", "choice", choices=tuple((k.value, v) for k, v in INCIDENT_LABELS.items())),
            FormField("dept", "责任部门", "choice", choices=_depts(every)),
            FormField("text", "事件经过", "text"),
        ),
    }
    return forms.get(action, ())
