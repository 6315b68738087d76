"""Typed input of the station's own lifecycle actions (route to archive), read where it enters.

Each parser reads the action's JSON object into a frozen dataclass, checking the fields in the
order the builders always did, so a refusal names the same field with the same message. The
builders in `case_service` then work on typed fields and write the same JSON payloads.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from station_app.domain.enums import Department, ObjectionRoute, Track
from station_app.domain.routing import RoutingDecision
from station_app.domain.safe_input import line_problem
from station_app.domain.validation import ADMITTED, parse_intake
from station_app.errors import InvalidTransition, ValidationError
from station_app.rules.routing import route
from station_app.services.action_checks import MAJOR_NO_MINUTES, MAJOR_NOT_APPROVED, missing_opinions
from station_app.services.action_data import (
    ActionCase,
    date_field,
    departments,
    dept_field,
    has_note,
    received_on,
    text_field,
)
from station_app.services.session import Session

MAX_ATTACHMENT = 10 * 1024 * 1024


@dataclass(frozen=True)
class TextInput:
    """An action whose data is one text: an answer, a reason or a note ("" when optional)."""

    text: str


def parse_close_on_spot(session: Session, case: ActionCase, data: dict[str, Any]) -> TextInput:
    """`close_on_spot`: `{"text"}`, the answer given at the desk.

    Raises:
        ValidationError: on `text` (missing or bad text).
    """
    return TextInput(text_field(data, "text", "当场答复内容"))


def parse_escalate(session: Session, case: ActionCase, data: dict[str, Any]) -> TextInput:
    """`escalate`: `{"reason"}`, why the matter is major (四(二)2(2)).

    Raises:
        ValidationError: on `reason` (missing or bad text).
    """
    return TextInput(text_field(data, "reason", "上报理由"))


def parse_archive(session: Session, case: ActionCase, data: dict[str, Any]) -> TextInput:
    """`archive`: `{"text"?}`, a note on the archiving.

    Raises:
        ValidationError: on `text` (bad text).
    """
    return TextInput(text_field(data, "text", "归档说明", required=False))


def parse_withdraw(session: Session, case: ActionCase, data: dict[str, Any]) -> TextInput:
    """`withdraw`: `{"reason"}`, why the payer withdrew.

    Raises:
        ValidationError: on `reason` (missing or bad text).
    """
    return TextInput(text_field(data, "reason", "撤回理由"))


@dataclass(frozen=True)
class ObjectionInput:
    """The payer's objection to the reply (四(三)): the route taken and a note ("" when none)."""

    route: ObjectionRoute
    text: str


def parse_objection(session: Session, case: ActionCase, data: dict[str, Any]) -> ObjectionInput:
    """`objection`: `{"route", "text"?}`, `route` one of `ObjectionRoute`.

    Raises:
        ValidationError: on `route` (not a route), then on `text`.
    """
    try:
        route = ObjectionRoute(str(data.get("route")))
    except ValueError:
        raise ValidationError({"route": "请选择异议途径:调解、行政复议、仲裁或行政诉讼"}) from None
    return ObjectionInput(route, text_field(data, "text", "异议说明", required=False))


@dataclass(frozen=True)
class SubmitCityInput:
    """A submission to the city when duties are unclear (四(五)).

    Attributes:
        reason: Why the duty is unclear.
        consulted: The departments already consulted (sorted codes, no repeats).
        suggested: The department the station suggests, or None.
    """

    reason: str
    consulted: tuple[str, ...]
    suggested: str | None


def parse_submit_city(session: Session, case: ActionCase, data: dict[str, Any]) -> SubmitCityInput:
    """`submit_city`: `{"reason", "consulted"?, "suggested"?}`.

    Raises:
        ValidationError: on `reason`, `consulted` (not a list, or an unknown code), then
            `suggested`, the first bad one in that order.
    """
    reason = text_field(data, "reason", "职责不清的原因")
    consulted = data.get("consulted") or []
    if not isinstance(consulted, list):
        raise ValidationError({"consulted": "已协商部门应为列表"})
    codes = tuple(sorted({dept_field({"consulted": c}, "consulted") for c in consulted}))
    suggested = dept_field(data, "suggested") if data.get("suggested") else None
    return SubmitCityInput(reason, codes, suggested)


@dataclass(frozen=True)
class DeptInput:
    """A department of the case signing for its part (`sign`)."""

    dept: str


def parse_sign(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> DeptInput:
    """`sign`: `{"dept"}`, one of the case's departments.

    Raises:
        ValidationError: on `dept` (unknown code, or not one of the case's departments).
    """
    return DeptInput(dept_field(data, "dept", set(departments(conn, case.uuid))))


@dataclass(frozen=True)
class ReturnInput:
    """A department returning the matter to the station (退回): who, and why."""

    dept: str
    reason: str


def parse_return(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> ReturnInput:
    """`return`: `{"dept", "reason"}`, `dept` one of the case's departments or 业务部门.

    Raises:
        ValidationError: on `dept`, then on `reason`.
    """
    dept = dept_field(data, "dept", set(departments(conn, case.uuid)) | {Department.BUSINESS.value})
    return ReturnInput(dept, text_field(data, "reason", "退回理由"))


@dataclass(frozen=True)
class Attachment:
    """A scanned file sent with an opinion.

    Attributes:
        name: Its file name (at most 120 characters; "scan" when not given).
        sha256: The hex SHA-256 of its bytes.
        size: Its size in bytes (at most `MAX_ATTACHMENT`, 10 MB).
        data_b64: Its bytes, base64 as sent.
    """

    name: str
    sha256: str
    size: int
    data_b64: str

    def to_json(self) -> dict[str, Any]:
        """The attachment as the opinion's event records it."""
        return {"name": self.name, "sha256": self.sha256, "size": self.size, "data_b64": self.data_b64}


def parse_attachment(data: dict[str, Any]) -> Attachment | None:
    """The optional `file`: `{"name"?, "data_b64"}`; None when absent.

    Raises:
        ValidationError: on `file` when malformed, unreadable, over 10 MB or badly named.
    """
    file = data.get("file")
    if not file:
        return None
    if not isinstance(file, dict) or not isinstance(file.get("data_b64"), str):
        raise ValidationError({"file": "附件格式错误"})
    try:
        raw = base64.b64decode(file["data_b64"], validate=True)
    except ValueError:
        raise ValidationError({"file": "附件内容无法读取"}) from None
    if len(raw) > MAX_ATTACHMENT:
        raise ValidationError({"file": "附件不能超过10MB"})
    name = file.get("name") or "scan"
    if not isinstance(name, str) or line_problem(name):
        raise ValidationError({"file": "附件名称无效"})
    return Attachment(name[:120], hashlib.sha256(raw).hexdigest(), len(raw), file["data_b64"])


@dataclass(frozen=True)
class OpinionInput:
    """One department's written opinion (四(二)1(3)/2(3)).

    Attributes:
        dept: The department, one of the case's.
        text: The opinion.
        received_on: The day the station received it (today when not given).
        file: A scan of the signed opinion, or None.
    """

    dept: str
    text: str
    received_on: date
    file: Attachment | None


def parse_opinion(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> OpinionInput:
    """`opinion`: `{"dept", "text", "received_on"?, "file"?}`.

    Raises:
        ValidationError: on `dept`, `text`, `received_on` or `file`, the first bad one in that order.
    """
    dept = dept_field(data, "dept", set(departments(conn, case.uuid)))
    text = text_field(data, "text", "书面意见")
    day = date_field(session, data, "received_on", "收到日期", required=False, earliest=received_on(case))
    return OpinionInput(dept, text, day, parse_attachment(data))


def all_opinions(conn: Connection, case: ActionCase) -> None:
    """Check that every department of the case has given its written opinion.

    Raises:
        InvalidTransition: naming the departments still to answer.
    """
    why = missing_opinions((d, v.opinion) for d, v in departments(conn, case.uuid).items())
    if why:
        raise InvalidTransition(why)


@dataclass(frozen=True)
class MinutesInput:
    """The task group's meeting minutes (会议纪要, 四(二)2(3)).

    Attributes:
        text: The minutes.
        attendees: Who attended ("" when not given).
        recorder: Who took them ("" when not given).
        held_on: The day of the meeting (today when not given).
    """

    text: str
    attendees: str
    recorder: str
    held_on: date


def parse_minutes(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> MinutesInput:
    """`minutes`: `{"text", "attendees"?, "recorder"?, "held_on"?}`, once every opinion is in.

    Raises:
        InvalidTransition: while a department's opinion is missing (checked before the data).
        ValidationError: on `text`, `attendees`, `recorder` or `held_on`, the first bad one.
    """
    all_opinions(conn, case)
    text = text_field(data, "text", "会议纪要内容", limit=20000)
    attendees = text_field(data, "attendees", "参会人员", required=False, limit=1000)
    recorder = text_field(data, "recorder", "记录人", required=False, limit=100, one_line=True)
    held_on = date_field(session, data, "held_on", "会议日期", required=False, earliest=received_on(case))
    return MinutesInput(text, attendees, recorder, held_on)


@dataclass(frozen=True)
class ReplyInput:
    """The written reply (四(三)): to the payer, and to the other party when its words differ.

    Attributes:
        text: The reply to the payer (and to the other party unless `respondent_text`).
        respondent_text: The reply to the other party ("" when the same or no other party).
    """

    text: str
    respondent_text: str


def parse_reply(session: Session, conn: Connection, case: ActionCase, data: dict[str, Any]) -> ReplyInput:
    """`reply`: `{"text", "respondent_text"?}`, once the case is ready for its reply.

    Raises:
        InvalidTransition: while an opinion is missing, or for a major matter not yet approved
            or without its minutes (checked before the data).
        ValidationError: on `text`, then on `respondent_text` (bad, or the case has no other party).
    """
    all_opinions(conn, case)
    if case.track is Track.MAJOR:
        if not case.approved:
            raise InvalidTransition(MAJOR_NOT_APPROVED)
        if not has_note(conn, case.uuid, "minutes_recorded"):
            raise InvalidTransition(MAJOR_NO_MINUTES)
    text = text_field(data, "text", "答复内容", limit=20000)
    other = text_field(data, "respondent_text", "对被反映方的答复", required=False, limit=20000)
    if other and not case.intake.get("respondent"):
        raise ValidationError({"respondent_text": "本案没有被反映方"})
    return ReplyInput(text, other)


@dataclass(frozen=True)
class RouteInput:
    """How the case is routed (四(一)): the routing table's decision, or a head's adjustment of it.

    Attributes:
        decision: The decision to record (an adjustment's reason appended to its reasons).
        reason: Why ("" when the first receiver routes as the table says).
    """

    decision: RoutingDecision
    reason: str


def parse_route(session: Session, case: ActionCase, data: dict[str, Any]) -> RouteInput:
    """`route`: `{"reason"?, "override"?: {"track"?, "lead"?, "co"?}}`.

    The reason is required for an adjustment and for anyone but the case's first receiver.

    Raises:
        ValidationError: on `reason`, then `override` (not an object), `override.track`,
            `override.lead`, `override.co` (not a list, or an unknown code) and a missing
            `override.lead` for a track that needs one, the first bad one in that order.
    """
    first_receiver = session.user == case.handler
    stored = {k: v for k, v in case.intake.items() if v is not None}
    decision = route(parse_intake(stored, ADMITTED), session.routing_settings())
    override = data.get("override")
    label = "调整理由" if override else "分流理由"
    reason = text_field(data, "reason", label, required=bool(override) or not first_receiver)
    if override:
        if not isinstance(override, dict):
            raise ValidationError({"override": "调整内容格式错误"})
        try:
            track = Track(str(override.get("track") or decision.track.value))
        except ValueError:
            raise ValidationError({"override.track": "分流方式无效"}) from None
        lead = dept_field(override, "lead") if override.get("lead") else None
        co_raw = override.get("co") or []
        if not isinstance(co_raw, list):
            raise ValidationError({"override.co": "协办部门应为列表"})
        co = sorted({Department(dept_field({"co": c}, "co")) for c in co_raw} - ({Department(lead)} if lead else set()))
        if track is not Track.NOT_ACCEPTED and lead is None:
            raise ValidationError({"override.lead": "请指定牵头部门"})
        decision = RoutingDecision(
            track, Department(lead) if lead else None, tuple(co), (*decision.reasons, f"人工调整:{reason}")
        )
    return RouteInput(decision, reason)
