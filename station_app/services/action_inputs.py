"""Typed input of the lifecycle actions: each action's JSON object read once into a dataclass.

The action's JSON object is read once, where it enters (`typed`, or `typed_on_record` when the
parser must first check the case's record, as the builders always did), into a frozen
dataclass; the builder then works on typed fields. Each parser checks its fields in the order
the builders always did, so a refusal names the same field with the same message. The
`case_service` actions' parsers live in `lifecycle_inputs.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Connection

from station_app.domain.enums import Department, ObjectionRoute, Track
from station_app.errors import InvalidTransition, ValidationError
from station_app.services.action_data import (
    ActionCase,
    date_field,
    departments,
    dept_field,
    dept_list,
    has_note,
    received_on,
    text_field,
)
from station_app.services.session import Session
from station_app.store.read_model.cases import note_bodies

T = TypeVar("T")
Builder = Callable[[Session, Connection, ActionCase, dict[str, Any]], dict[str, Any]]
SATISFACTION = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}
DELIVERY_METHODS = {
    "in_person": "当面送达",
    "mail": "邮寄送达",
    "phone": "电话告知",
    "message": "短信/微信告知",
    "grid": "网格员上门送达",
}
PARTIES = {"applicant": "缴费人(申请人)", "respondent": "被反映方"}
FEEDBACK_TO = {"payer": "缴费人", "office": "市12345热线办"}
_CHOICE_LABELS: dict[str, dict[str, str]] = {
    "satisfaction": SATISFACTION,
    "route": {route.value: route.label for route in ObjectionRoute},
    "method": DELIVERY_METHODS,
    "party": PARTIES,
}


def choice_label(key: str, value: object) -> str:
    """What a worker reads for a coded choice an action recorded under `key` (满意, 行政复议).

    Satisfaction, objection route, delivery method and party; any other value as it is.
    """
    text = str(value)
    return _CHOICE_LABELS.get(key, {}).get(text, text)


def typed(
    parse: Callable[[Session, ActionCase, dict[str, Any]], T],
    build: Callable[[Session, Connection, ActionCase, T], dict[str, Any]],
) -> Builder:
    """A builder over the action's JSON object: `parse` it once, then `build` from the typed input."""

    def builder(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> dict[str, Any]:
        return build(session, conn, case, parse(session, case, data))

    return builder


def typed_on_record(
    parse: Callable[[Session, Connection, ActionCase, dict[str, Any]], T],
    build: Callable[[Session, Connection, ActionCase, T], dict[str, Any]],
) -> Builder:
    """Like `typed`, for a parser that reads the case's record (its departments, its notes).

    The parser gets the connection so its checks of the record and of the data keep the order
    the builder always had.
    """

    def builder(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> dict[str, Any]:
        return build(session, conn, case, parse(session, conn, case, data))

    return builder


@dataclass(frozen=True)
class DecisionInput:
    """The leading group's written decision on a major matter (四(二)2(2)), from its document.

    Attributes:
        approver: Who signed it (the group's leader).
        date: The day of the decision: never before the case was received nor after today.
        document_no: Its document number.
        text: The decision's words; for a refusal, its reason (required then).
        task_group: The departments of the task group an approval forms (sorted codes; empty
            for the default group, and for a refusal).
    """

    approver: str
    date: date
    document_no: str
    text: str
    task_group: tuple[str, ...] = ()


def _decision(session: Session, case: ActionCase, data: dict[str, Any], reason_required: bool) -> DecisionInput:
    """The decision's fields; every missing or bad one is named at once in one ValidationError."""
    readers: dict[str, Callable[[], Any]] = {
        "approver": lambda: text_field(data, "approver", "批示人(领导小组组长)", limit=100, one_line=True),
        "date": lambda: date_field(session, data, "date", "批示日期", earliest=received_on(case)),
        "document_no": lambda: text_field(data, "document_no", "批示文号", limit=100, one_line=True),
        "text": lambda: text_field(data, "text", "不同意的理由" if reason_required else "批示意见", reason_required),
    }
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, reader in readers.items():
        try:
            out[key] = reader()
        except ValidationError as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationError(errors)
    return DecisionInput(**out)


def parse_approve(session: Session, case: ActionCase, data: dict[str, Any]) -> DecisionInput:
    """`approve`: `{"approver", "date", "document_no", "text"?, "task_group"?}`.

    Raises:
        ValidationError: the decision's bad fields at once, then a bad `task_group`.
    """
    decision = _decision(session, case, data, reason_required=False)
    return replace(decision, task_group=tuple(dept_list(data, "task_group")))


def parse_decline(session: Session, case: ActionCase, data: dict[str, Any]) -> DecisionInput:
    """`decline`: `{"approver", "date", "document_no", "text"}`, the reason required.

    Raises:
        ValidationError: every bad field at once.
    """
    return _decision(session, case, data, reason_required=True)


@dataclass(frozen=True)
class CityAssignInput:
    """The city's assignment (交办, 四(五)) as its document gives it.

    Attributes:
        lead: The lead department's code.
        co: The co-handlers' codes (sorted, without the lead).
        document_no: The assignment's document number.
        date: The day it was assigned (today when not given); opinion deadlines run from it.
    """

    lead: str
    co: tuple[str, ...]
    document_no: str
    date: date


def parse_city_assign(session: Session, case: ActionCase, data: dict[str, Any]) -> CityAssignInput:
    """`city_assign`: `{"lead", "co"?, "document_no", "date"?}`.

    Raises:
        ValidationError: on `lead`, `co`, `document_no` or `date`, the first bad one in that order.
    """
    lead = dept_field(data, "lead")
    if data.get("co") is not None and not isinstance(data.get("co"), list):
        raise ValidationError({"co": "协办部门应为列表"})
    co = tuple(c for c in dept_list(data, "co") if c != lead)
    document_no = text_field(data, "document_no", "交办文号", limit=100, one_line=True)
    start = date_field(session, data, "date", "交办日期", required=False, earliest=received_on(case))
    return CityAssignInput(lead, co, document_no, start)


@dataclass(frozen=True)
class ClueTransferInput:
    """A clue transfer to 纪委监委 (四(五)): which department refused, and how."""

    dept: str
    reason: str


def parse_clue_transfer(session: Session, case: ActionCase, data: dict[str, Any]) -> ClueTransferInput:
    """`clue_transfer`: `{"dept", "reason"}`.

    Raises:
        ValidationError: on `dept` (unknown code), then on `reason` (missing or bad text).
    """
    dept = dept_field(data, "dept")
    return ClueTransferInput(dept, text_field(data, "reason", "移送理由(拒不处理的情况)"))


@dataclass(frozen=True)
class ConsultInput:
    """A record of the members' consultation on a joint matter (四(二)3 一般事项会商).

    Attributes:
        held_on: The day it was held (today when not given).
        text: What was agreed.
        attendees: Who took part ("" when not given).
    """

    held_on: date
    text: str
    attendees: str


def parse_consult(session: Session, case: ActionCase, data: dict[str, Any]) -> ConsultInput:
    """`consult`: `{"held_on"?, "text", "attendees"?}`.

    Raises:
        ValidationError: on `held_on`, `text` or `attendees`, the first bad one in that order.
    """
    held_on = date_field(session, data, "held_on", "会商日期", required=False, earliest=received_on(case))
    text = text_field(data, "text", "会商内容", limit=20000)
    attendees = text_field(data, "attendees", "参加单位及人员", required=False, limit=1000)
    return ConsultInput(held_on, text, attendees)


@dataclass(frozen=True)
class ConfirmInput:
    """The payer's confirmation at the callback that a refer matter was handled.

    Attributes:
        satisfaction: `satisfied`, `basic` or `unsatisfied` (`SATISFACTION`).
        text: The callback's record ("" when not given).
    """

    satisfaction: str
    text: str


def parse_confirm(session: Session, case: ActionCase, data: dict[str, Any]) -> ConfirmInput:
    """`confirm`: `{"satisfaction", "text"?}`.

    Raises:
        ValidationError: on `satisfaction` (not one of `SATISFACTION`), then on `text`.
    """
    value = data.get("satisfaction")
    if value not in SATISFACTION:
        raise ValidationError({"satisfaction": "请选择满意、基本满意或不满意"})
    return ConfirmInput(str(value), text_field(data, "text", "回访记录", required=False))


@dataclass(frozen=True)
class DeptReportInput:
    """A department's report on a refer or city-assigned matter (办结情况, 12345 反馈).

    Attributes:
        dept: The reporting department (the lead when not given; None if the case has none).
        text: What it reports.
        date: The day of the report (today when optional and not given).
        to: For the 12345 feedback, whom it went to (`FEEDBACK_TO` keys in their order).
    """

    dept: str | None
    text: str
    date: date
    to: tuple[str, ...] = ()


def parse_feedback_12345(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> DeptReportInput:
    """`feedback_12345`: `{"to"?, "dept"?, "text", "date"}` on a case the city assigned.

    Raises:
        InvalidTransition: when the city did not assign the case (checked before the data).
        ValidationError: on `to`, `dept`, `text` or `date`, the first bad one in that order.
    """
    if not has_note(conn, case.uuid, "city_assigned"):
        raise InvalidTransition("本案未经市级交办,无需登记承办部门反馈")
    raw = data.get("to") or list(FEEDBACK_TO)
    targets = [raw] if isinstance(raw, str) else raw
    if not isinstance(targets, list) or not targets or any(t not in FEEDBACK_TO for t in targets):
        raise ValidationError({"to": "请选择反馈对象:缴费人和/或12345热线办"})
    depts = departments(conn, case.uuid)
    dept = dept_field(data, "dept", set(depts)) if data.get("dept") else case.lead
    text = text_field(data, "text", "反馈内容")
    day = date_field(session, data, "date", "反馈日期", earliest=received_on(case))
    return DeptReportInput(dept, text, day, tuple(t for t in FEEDBACK_TO if t in targets))


def parse_handled(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> DeptReportInput:
    """`handled`: `{"dept"?, "text", "date"?}`, `dept` one of the case's departments.

    Raises:
        ValidationError: on `dept`, `text` or `date`, the first bad one in that order.
    """
    depts = departments(conn, case.uuid)
    dept = dept_field(data, "dept", set(depts)) if data.get("dept") else case.lead
    text = text_field(data, "text", "办结情况")
    day = date_field(session, data, "date", "办结日期", required=False, earliest=received_on(case))
    return DeptReportInput(dept, text, day)


@dataclass(frozen=True)
class DeliveryInput:
    """How and when the written reply reached one party (四(三)).

    Attributes:
        party: `applicant` or `respondent` (`PARTIES`).
        method: One of `DELIVERY_METHODS`.
        date: The day it was delivered.
        text: A note ("" when not given).
    """

    party: str
    method: str
    date: date
    text: str


def parse_deliver(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> DeliveryInput:
    """`deliver`: `{"party", "method", "date", "text"?}`, once the reply is issued.

    Raises:
        InvalidTransition: before the written reply (checked before the data).
        ValidationError: on `party` (or a respondent the case lacks), `method`, `date` or
            `text`, the first bad one in that order.
    """
    if not has_note(conn, case.uuid, "reply_issued"):
        raise InvalidTransition("本案尚未形成书面答复")
    party = data.get("party")
    if party not in PARTIES:
        raise ValidationError({"party": "请选择送达对象:缴费人或被反映方"})
    if party == "respondent" and not case.intake.get("respondent"):
        raise ValidationError({"party": "本案没有被反映方"})
    method = data.get("method")
    if method not in DELIVERY_METHODS:
        raise ValidationError({"method": "请选择送达方式"})
    day = date_field(session, data, "date", "送达日期", earliest=received_on(case))
    text = text_field(data, "text", "送达说明", required=False, limit=1000)
    return DeliveryInput(str(party), str(method), day, text)


@dataclass(frozen=True)
class ExtendInput:
    """An extension granted by a head: one department's opinion deadline, or the major term.

    Attributes:
        dept: The department whose deadline moves; None for the major term itself (四(二)2).
        days: By how many working days (1 to the setting's maximum).
        reason: Why.
    """

    dept: str | None
    days: int
    reason: str


def _days(data: dict[str, Any], limit: int) -> int:
    days = data.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limit:
        raise ValidationError({"days": f"延期天数应为1至{limit}个工作日"})
    return days


def _term_extended(conn: Connection, case_uuid: str) -> bool:
    """Whether the major term itself was extended already (once only, 四(二)2)."""
    return any('"term": true' in body for body in note_bodies(conn, case_uuid, "extension_granted"))


def parse_extend(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> ExtendInput:
    """`extend`: `{"dept"?, "days", "reason"}`; without `dept` on a major case, the major term.

    Days are working days, at most `opinion_extension_max` for a department and
    `major_extension_max` for the term (settings).

    Raises:
        InvalidTransition: the term or the department was extended already, has no deadline, or
            the department has given its opinion (each checked before `days` and `reason`).
        ValidationError: on `dept` (missing on a non-major case, or not the case's), then `days`,
            then `reason`.
    """
    d = session.deadline_settings()
    reason_of = {"reason": data.get("reason")}
    if not data.get("dept") and case.track is Track.MAJOR:
        if _term_extended(conn, case.uuid):
            raise InvalidTransition("重大疑难办理期限已延长一次,不能再次延长")
        if not case.due_date:
            raise InvalidTransition("本案当前阶段没有办理时限")
        days = _days(data, d.major_extension_max)
        return ExtendInput(None, days, text_field(reason_of, "reason", "延期理由"))
    depts = departments(conn, case.uuid)
    if not data.get("dept"):
        raise ValidationError({"dept": "请选择延期的部门"})
    dept = dept_field(data, "dept", set(depts))
    info = depts[dept]
    name = Department(dept).full_name
    if info.opinion:
        raise InvalidTransition(f"{name}已提交书面意见,无需延期")
    if info.extended:
        raise InvalidTransition(f"{name}已延期一次,不能再次延期")
    if not info.due_date:
        raise InvalidTransition(f"{name}当前没有书面意见时限")
    days = _days(data, d.opinion_extension_max)
    return ExtendInput(dept, days, text_field(reason_of, "reason", "延期理由"))
