"""Intake and every lifecycle action of a case: check role, state and data; append the event."""

from __future__ import annotations

import uuid as uuid_mod
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection

from station_app.domain.enums import Department, ObjectionRoute, Role, Status, Track
from station_app.domain.ids import CaseNo, CaseUuid
from station_app.domain.intake import Intake
from station_app.domain.lifecycle import ACTIONS, action_applies, may_take
from station_app.domain.routing import RoutingDecision
from station_app.domain.stage import StageKey
from station_app.domain.validation import intake_warnings, parse_intake
from station_app.dto.case import CaseDetail, IntakeResult
from station_app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from station_app.rules.routing import route
from station_app.services import case_actions
from station_app.services.accountability import IncidentInput, incident_payload, parse_incident
from station_app.services.action_data import (
    ActionCase,
    departments,
    dues_json,
    latest_due,
    opinion_dues,
)
from station_app.services.action_data import deadline as _deadline
from station_app.services.action_inputs import SATISFACTION, ConfirmInput, parse_confirm, typed, typed_on_record
from station_app.services.case_actions import Builder
from station_app.services.lifecycle_inputs import (
    DeptInput,
    MinutesInput,
    ObjectionInput,
    OpinionInput,
    ReplyInput,
    ReturnInput,
    RouteInput,
    SubmitCityInput,
    TextInput,
    parse_archive,
    parse_close_on_spot,
    parse_escalate,
    parse_minutes,
    parse_objection,
    parse_opinion,
    parse_reply,
    parse_return,
    parse_route,
    parse_sign,
    parse_submit_city,
    parse_withdraw,
)
from station_app.services.query_service import get_case, load_row
from station_app.services.session import Session
from station_app.store.db import next_counter, write
from station_app.store.events import append_many, iter_events
from station_app.store.ids import new_uuid
from station_app.store.projection import bulk_register

__all__ = ["SATISFACTION", "bulk_intake", "decide", "intake", "perform", "reveal"]


def coerce_intake(data: dict[str, Any] | Intake, session: Session | None = None) -> Intake:
    """`data` validated by `parse_intake`.

    Checked against the station's jurisdiction and clock when a session is given; an `Intake` is
    taken as already validated.
    """
    if isinstance(data, Intake):
        return data
    return parse_intake(data, session.intake_rules() if session is not None else None)


def decide(session: Session, data: dict[str, Any] | Intake) -> RoutingDecision:
    """The routing decision for an intake under this station's settings (nothing stored).

    Raises:
        ValidationError: the intake is refused (field named), see `parse_intake` and `route`.
    """
    return route(coerce_intake(data, session), session.routing_settings())


def _next_case_no(conn: Connection, station_code: str, year: int) -> str:
    seq = next_counter(conn, f"case_seq:{year}")
    return f"{station_code}-{year}-{seq:06d}"


def intake(session: Session, data: dict[str, Any] | Intake) -> IntakeResult:
    """Validate, route and register a case: one event, projections and index, one commit.

    The intake is checked against the station's jurisdiction and clock (四(一)); the result
    carries `warnings` (disputed months after the month received) that do not refuse it.
    An intake with an `intake_uuid` that this station has registered already (a retry after
    a lost answer) returns the first result and stores nothing.

    Raises:
        ValidationError: refused input, naming each field; nothing is stored. A known
            `intake_uuid` with a different intake is refused on `intake_uuid`.
    """
    if session.is_city:
        raise PermissionDenied("市级数据不能登记案件:案件由调解站受理后同步上来")
    parsed = coerce_intake(data, session)
    decision = route(parsed, session.routing_settings())
    received = parsed.received_at.date()
    state = {"status": Status.REGISTERED.value, "stage": StageKey.ROUTING.value}
    state.update(_deadline(session, received, session.deadline_settings().routing_days))
    case_uuid = _case_uuid(session, parsed)
    with write(session.store.engine) as conn:
        if parsed.intake_uuid and (first := _registered(conn, case_uuid, parsed)) is not None:
            return first
        case_no = _next_case_no(conn, session.station_code, parsed.received_at.year)
        session.record(
            conn,
            "case_registered",
            {
                "case_no": case_no,
                "station_code": session.station_code,
                "intake": parsed.to_json(),
                "routing": decision.to_json(),
                "set": state,
            },
            case_uuid,
        )
    return IntakeResult(
        CaseNo(case_no),
        CaseUuid(case_uuid),
        decision,
        str(state["due_date"]),
        bool(state["due_estimated"]),
        intake_warnings(parsed),
    )


_INTAKE_NAMESPACE = uuid_mod.UUID("6f1d3c1e-9a53-4d8e-8b1c-2b7a51f0c0de")


def _case_uuid(session: Session, parsed: Intake) -> str:
    """A new case's UUID.

    Random, or derived from the station and the client's `intake_uuid` (so a retry lands on the same
    case, and two stations never share one).
    """
    if parsed.intake_uuid is None:
        return new_uuid()
    return str(uuid_mod.uuid5(_INTAKE_NAMESPACE, f"{session.station_code}/{parsed.intake_uuid}"))


def _registered(conn: Connection, case_uuid: str, parsed: Intake) -> IntakeResult | None:
    """The result of the earlier registration of this intake, or None when there was none."""
    first = next((ev for ev in iter_events(conn, case_uuid) if ev.type == "case_registered"), None)
    if first is None:
        return None
    if first.payload["intake"] != parsed.to_json():
        raise ValidationError({"intake_uuid": "该受理编号已用于另一份受理信息"})
    state = first.payload["set"]
    return IntakeResult(
        CaseNo(str(first.payload["case_no"])),
        CaseUuid(case_uuid),
        RoutingDecision.from_json(first.payload["routing"]),
        state.get("due_date"),
        bool(state.get("due_estimated")),
        intake_warnings(parsed),
    )


def perform(session: Session, case_ref: str, action: str, data: dict[str, Any] | None = None) -> CaseDetail:
    """Carry out a lifecycle action on a case (by case number or UUID) and return it anew.

    `data` is the action's JSON object (DESIGN.md, "city case actions" for the city's keys).
    Raises `ValidationError` (fields named) for bad data, `PermissionDenied` for a role or
    首问责任制 refusal, `InvalidTransition` when the state, the track or the case's record does
    not allow it, `NotFound` for an unknown case. A refusal stores nothing.
    """
    data = dict(data or {})
    spec = ACTIONS.get(action)
    if spec is None:
        raise ValidationError({"action": "未知操作"})
    if session.role not in spec.roles:
        raise PermissionDenied(f"当前账户无权执行“{spec.label}”")
    _check_city_rules(session, action, spec.label)
    with write(session.store.engine) as conn:
        row = load_row(conn, case_ref)
        if row is None:
            raise NotFound("未找到该案件")
        status, track = Status(row["status"]), Track(row["track"])
        if spec.tracks is not None and track not in spec.tracks:
            raise InvalidTransition(TRACK_REFUSALS.get(action, f"“{spec.label}”不适用于{track.label}事项"))
        if not action_applies(spec, status, track):
            raise InvalidTransition(f"案件当前状态为“{status.label}”,不能{spec.label}")
        if not may_take(spec, session.role, session.user == row["handler"]):
            raise PermissionDenied(
                f"首问责任制:本案由首位受理人({row['handler']})负责分类流转;其他人须由站长填写理由后办理"
            )
        payload = _ACTION_BUILDERS[action](session, conn, ActionCase.from_row(row), data)
        session.record(conn, spec.event, payload, row["uuid"])
    return get_case(session, row["case_no"])


# DESIGN.md "Sync and city command line": the acts the city records, written by the city's origin
# into the station's stream so that they go down to it. City acts proper (the assignment and the
# leading group's decision) come down from the city to a bound station; a standalone station's
# head records them from the city's document.
CITY_CASE_ACTIONS = frozenset(
    {"city_assign", "opinion", "approve", "decline", "minutes", "feedback_12345", "clue_transfer"}
)
CITY_ONLY_ACTS = frozenset({"city_assign", "approve", "decline"})


def _check_city_rules(session: Session, action: str, label: str) -> None:
    """Refuse an action taken where it does not belong (city or station).

    At the city only the city's case actions, by a coordinator (or the city's admin); at a station
    bound to a city, not the city's own acts. PermissionDenied (exit 1, one line) otherwise.
    """
    if session.is_city:
        if action not in CITY_CASE_ACTIONS:
            raise PermissionDenied(f"市级不办理“{label}”:该操作由调解站办理")
        if session.role not in (Role.COORDINATOR, Role.ADMIN):
            raise PermissionDenied(f"当前账户无权执行“{label}”(需要市级协调员)")
    elif action in CITY_ONLY_ACTS and session.bound_city() is not None:
        raise PermissionDenied(f"本站已绑定市级:“{label}”由市级录入后同步下发,本站不能录入")


TRACK_REFUSALS = {
    "reply": "告知转办事项由承办部门直接答复缴费人,无需综合书面答复:请登记“部门反馈已办结”或“回访确认已办结”",
    "minutes": "只有重大疑难事项需要会议纪要(一般事项可录入会商记录)",
    "consult": "会商记录用于一般事项(联办);重大疑难事项请录入会议纪要",
}


# -- builders: each checks the data its action needs and returns the event payload --------

_departments = departments


def _stage_for_track(session: Session, track: Track, today: date) -> dict[str, Any]:
    d = session.deadline_settings()
    if track is Track.NOT_ACCEPTED:
        return {
            "status": Status.NOT_ACCEPTED.value,
            "stage": StageKey.CLOSED.value,
            "due_date": None,
            "stage_start": None,
        }
    if track is Track.SUBMIT_CITY:
        return {
            "status": Status.SUBMITTED.value,
            "stage": StageKey.CITY.value,
            **_deadline(session, today, d.opinion_days),
        }
    if track is Track.MAJOR:
        return {
            "status": Status.ESCALATED.value,
            "stage": StageKey.APPROVAL.value,
            **_deadline(session, today, d.routing_days),
        }
    return {"status": Status.ROUTED.value, "stage": StageKey.OPINION.value, **_deadline(session, today, d.opinion_days)}


def _b_route(session: Session, conn: Connection, row: ActionCase, data: RouteInput) -> dict[str, Any]:
    """四(一) 首问责任制: the first receiver routes.

    Anyone else (a head, checked by `perform`) needs a recorded reason.
    """
    first_receiver = session.user == row.handler
    decision, reason = data.decision, data.reason
    today = session.today()
    state = _stage_for_track(session, decision.track, today)
    state.update({"track": decision.track.value, "lead": decision.lead.value if decision.lead else None})
    state.update({"co": [c.value for c in decision.co], "reasons": list(decision.reasons)})
    payload: dict[str, Any] = {"routing": decision.to_json(), "set": state}
    if not first_receiver:
        payload.update({"first_receiver": row.handler, "reason": reason})
    if state["status"] == Status.ROUTED.value:
        answered = {d for d, v in _departments(conn, row.uuid).items() if v.opinion}
        wanted = [decision.lead.value] if decision.lead else []
        pending = [d for d in wanted + [c.value for c in decision.co] if d not in answered]
        dues = opinion_dues(session, pending, today)
        payload["dept_due"] = dues_json(dues)
        state.update(latest_due(dues))
    return payload


def _b_close_on_spot(session: Session, conn: Connection, row: ActionCase, data: TextInput) -> dict[str, Any]:
    return {
        "text": data.text,
        "set": {
            "status": Status.CLOSED_ON_SPOT.value,
            "stage": StageKey.ARCHIVE.value,
            **_deadline(session, session.today(), session.deadline_settings().archive_days),
        },
    }


def _b_sign(session: Session, conn: Connection, row: ActionCase, data: DeptInput) -> dict[str, Any]:
    return {"dept": data.dept, "set": {"status": Status.IN_PROGRESS.value}}


def _b_return(session: Session, conn: Connection, row: ActionCase, data: ReturnInput) -> dict[str, Any]:
    routing_days = session.deadline_settings().routing_days
    return {
        "dept": data.dept,
        "reason": data.reason,
        "set": {
            "status": Status.RETURNED.value,
            "stage": StageKey.ROUTING.value,
            **_deadline(session, session.today(), routing_days),
        },
    }


def _b_opinion(session: Session, conn: Connection, row: ActionCase, data: OpinionInput) -> dict[str, Any]:
    """Record one department's written opinion (四(二)1(3)/2(3)).

    Each department answers within its own time limit; the day it was received (`received_on`,
    default today) decides whether it came on time.
    """
    depts = _departments(conn, row.uuid)
    dept, day = data.dept, data.received_on
    due = depts[dept].due_date
    payload: dict[str, Any] = {
        "dept": dept,
        "text": data.text,
        "received_on": day.isoformat(),
        "on_time": None if not due else day <= date.fromisoformat(due),
    }
    if data.file:
        payload["file"] = data.file.to_json()
    state: dict[str, Any] = {"status": Status.IN_PROGRESS.value}
    missing = {d: v for d, v in depts.items() if not v.opinion and d != dept}
    if row.track is Track.MAJOR:
        if not missing:
            state["stage"] = StageKey.MINUTES.value  # the minutes keep the major term as their deadline
    elif not missing:
        state["stage"] = StageKey.REPLY.value
        state.update(_deadline(session, session.today(), session.deadline_settings().reply_days))
    else:
        state.update(latest_due({d: v for d, v in missing.items() if v.due_date}))
    payload["set"] = state
    return payload


def _with_justice(row: ActionCase) -> list[str]:
    co = set(row.co) | {Department.JUSTICE.value}
    co.discard(row.lead or "")
    return sorted(co)


def _b_escalate(session: Session, conn: Connection, row: ActionCase, data: TextInput) -> dict[str, Any]:
    """四(二)2(2): the station reports (上报) a matter to the leading group office."""
    reason = data.text
    co = _with_justice(row)
    routing = {
        "track": Track.MAJOR.value,
        "lead": row.lead,
        "co": co,
        "reasons": [*row.reasons, f"上报重大疑难:{reason}"],
    }
    return {
        "reason": reason,
        "routing": routing,
        "set": {
            "status": Status.ESCALATED.value,
            "stage": StageKey.APPROVAL.value,
            "track": Track.MAJOR.value,
            "co": co,
            "reasons": routing["reasons"],
            **_deadline(session, session.today(), session.deadline_settings().routing_days),
        },
    }


def _b_minutes(session: Session, conn: Connection, row: ActionCase, data: MinutesInput) -> dict[str, Any]:
    """四(二)2(3): after every opinion, the task group's meeting minutes (会议纪要).

    They are due within the major term, and the reply to the payer is due `reply_days` after the
    meeting.
    """
    held_on = data.held_on
    due = row.due_date
    reply = _deadline(session, held_on, session.deadline_settings().reply_days)
    return {
        "text": data.text,
        "attendees": data.attendees,
        "recorder": data.recorder,
        "held_on": held_on.isoformat(),
        "on_time": None if not due else held_on <= date.fromisoformat(due),
        "set": {"stage": StageKey.REPLY.value, **reply},
    }


def _b_reply(session: Session, conn: Connection, row: ActionCase, data: ReplyInput) -> dict[str, Any]:
    """四(三): the written reply to both parties.

    The payer, and the other party when there is one (`respondent_text` when it differs from
    `text`).
    """
    parties = ["applicant"] + (["respondent"] if row.intake.get("respondent") else [])
    payload: dict[str, Any] = {"text": data.text, "parties": parties}
    if data.respondent_text:
        payload["respondent_text"] = data.respondent_text
    payload["set"] = {
        "status": Status.REPLIED.value,
        "stage": StageKey.ARCHIVE.value,
        **_deadline(session, session.today(), session.deadline_settings().archive_days),
    }
    return payload


GUIDANCE_ROUTES = frozenset({ObjectionRoute.RECONSIDERATION, ObjectionRoute.LITIGATION})


def _b_objection(session: Session, conn: Connection, row: ActionCase, data: ObjectionInput) -> dict[str, Any]:
    """Record the payer's objection to the reply and the route taken (四(三)).

    For 行政复议 or 行政诉讼 the payer is referred to 司法局 for guidance (三(二)5
    "对有上诉需求的缴费人提供业务指导"), recorded with the objection.
    """
    route_taken = data.route
    payload: dict[str, Any] = {"route": route_taken.value, "text": data.text}
    if route_taken in GUIDANCE_ROUTES:
        payload["referred_to"] = Department.JUSTICE.value
        payload["referral"] = f"已告知缴费人可向{Department.JUSTICE.full_name}寻求{route_taken.label}业务指导"
    payload["set"] = {"status": Status.OBJECTION.value, "objection_route": route_taken.value}
    return payload


def _b_callback(session: Session, conn: Connection, row: ActionCase, data: ConfirmInput) -> dict[str, Any]:
    value = data.satisfaction
    return {"satisfaction": value, "text": data.text, "set": {"satisfaction": value}}


def _b_archive(session: Session, conn: Connection, row: ActionCase, data: TextInput) -> dict[str, Any]:
    return {
        "text": data.text,
        "set": {"status": Status.ARCHIVED.value, "stage": StageKey.CLOSED.value, "due_date": None},
    }


def _b_withdraw(session: Session, conn: Connection, row: ActionCase, data: TextInput) -> dict[str, Any]:
    return {
        "reason": data.text,
        "set": {"status": Status.WITHDRAWN.value, "stage": StageKey.CLOSED.value, "due_date": None},
    }


def _b_submit_city(session: Session, conn: Connection, row: ActionCase, data: SubmitCityInput) -> dict[str, Any]:
    return {
        "reason": data.reason,
        "consulted": list(data.consulted),
        "suggested": data.suggested,
        "set": {
            "status": Status.SUBMITTED.value,
            "stage": StageKey.CITY.value,
            **_deadline(session, session.today(), session.deadline_settings().opinion_days),
        },
    }


def _b_incident(session: Session, conn: Connection, row: ActionCase, data: IncidentInput) -> dict[str, Any]:
    """五(四): an incident (工作失误, 引发舆情, 严重后果) recorded against a department."""
    return incident_payload(data)


_ACTION_BUILDERS: dict[str, Builder] = {
    "route": typed(parse_route, _b_route),
    "close_on_spot": typed(parse_close_on_spot, _b_close_on_spot),
    "sign": typed_on_record(parse_sign, _b_sign),
    "return": typed_on_record(parse_return, _b_return),
    "opinion": typed_on_record(parse_opinion, _b_opinion),
    "escalate": typed(parse_escalate, _b_escalate),
    "minutes": typed_on_record(parse_minutes, _b_minutes),
    "reply": typed_on_record(parse_reply, _b_reply),
    "objection": typed(parse_objection, _b_objection),
    "callback": typed(parse_confirm, _b_callback),
    "archive": typed(parse_archive, _b_archive),
    "withdraw": typed(parse_withdraw, _b_withdraw),
    "submit_city": typed(parse_submit_city, _b_submit_city),
    **case_actions.BUILDERS,
    "incident": typed(parse_incident, _b_incident),
}


def reveal(session: Session, case_ref: str, field: str) -> str:
    """Show one full identifier on screen; the reveal is recorded (who, which field, when)."""
    from station_app.services.reveal_service import REVEALABLE, require_reveal

    if field not in REVEALABLE:
        raise ValidationError({"field": "只能查看身份证号或电话"})
    require_reveal(session)
    with write(session.store.engine) as conn:
        row = load_row(conn, case_ref)
        if row is None:
            raise NotFound("未找到该案件")
        session.record(conn, "personal_data_revealed", {"field": field}, row["uuid"])
    return str(row[field] or "")


def bulk_intake(
    session: Session,
    items: list[dict[str, Any]] | list[Intake],
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Register many intakes in batches (demo station, benchmark).

    The same validation, routing, events and projections as `intake`, with batched statements.
    """
    settings = session.routing_settings()
    routing_days = session.deadline_settings().routing_days
    calendar = session.calendar()
    at = session.now_iso()
    case_nos: list[str] = []
    for first in range(0, len(items), batch):
        chunk = items[first : first + batch]
        with write(session.store.engine) as conn:
            pending: list[dict[str, Any]] = []
            for raw in chunk:
                parsed = coerce_intake(raw, session)
                decision = route(parsed, settings)
                received = parsed.received_at.date()
                due, estimated = calendar.add_working_days(received, routing_days)
                case_no = _next_case_no(conn, session.station_code, parsed.received_at.year)
                case_nos.append(case_no)
                state = {
                    "status": Status.REGISTERED.value,
                    "stage": StageKey.ROUTING.value,
                    "stage_start": received.isoformat(),
                    "due_date": due.isoformat(),
                    "due_estimated": estimated,
                }
                pending.append(
                    {
                        "type": "case_registered",
                        "payload": {
                            "case_no": case_no,
                            "station_code": session.station_code,
                            "intake": parsed.to_json(),
                            "routing": decision.to_json(),
                            "set": state,
                        },
                        "author": session.user,
                        "origin": session.origin or session.station_code,
                        "at": at,
                        "case_uuid": new_uuid(),
                    }
                )
            bulk_register(conn, append_many(conn, pending, session.signer()))
        if progress is not None:
            progress(min(first + batch, len(items)), len(items))
    return case_nos
