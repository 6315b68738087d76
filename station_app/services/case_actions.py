"""Builders of the lifecycle actions the policy asks beyond intake and routing.

The leading group's decision on a major matter, per-department extensions, the city's assignment and
its feedback, the clue transfer to 纪委监委, the general-matter consultation, delivering the reply to
both parties, and closing a refer matter.

Each builder checks the data its action needs (and what the case's record must show) and
returns the event payload; `case_service.perform` checks role, state and track first. Where the
data's checks depend on the case (and its record), the JSON object is read once into a typed input
(`action_inputs`) before the builder runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection

from station_app.domain.enums import Department, Status, Track
from station_app.domain.lifecycle import DEFAULT_TASK_GROUP
from station_app.domain.stage import StageKey
from station_app.errors import InvalidTransition
from station_app.services.action_data import (
    ActionCase,
    DeptDue,
    deadline,
    departments,
    dues_json,
    latest_due,
    opinion_dues,
)
from station_app.services.action_inputs import DELIVERY_METHODS as DELIVERY_METHODS
from station_app.services.action_inputs import FEEDBACK_TO as FEEDBACK_TO
from station_app.services.action_inputs import PARTIES as PARTIES
from station_app.services.action_inputs import SATISFACTION as SATISFACTION
from station_app.services.action_inputs import Builder as Builder
from station_app.services.action_inputs import (
    CityAssignInput,
    ClueTransferInput,
    ConfirmInput,
    ConsultInput,
    DecisionInput,
    DeliveryInput,
    DeptReportInput,
    ExtendInput,
    parse_approve,
    parse_city_assign,
    parse_clue_transfer,
    parse_confirm,
    parse_consult,
    parse_decline,
    parse_deliver,
    parse_extend,
    parse_feedback_12345,
    parse_handled,
    typed,
    typed_on_record,
)
from station_app.services.session import Session
from station_app.store.read_model.cases import CaseDepartment, event_payloads

# -- 重大疑难: the leading group's decision (四(二)2(2)) ------------------------------------


def _decision_payload(decision: DecisionInput) -> dict[str, Any]:
    """The fields of the leading group's written decision, as the event payload carries them."""
    return {
        "approver": decision.approver,
        "date": decision.date.isoformat(),
        "document_no": decision.document_no,
        "text": decision.text,
    }


def _b_approve(session: Session, conn: Connection, row: ActionCase, data: DecisionInput) -> dict[str, Any]:
    """The leader's approval forms the task group (default: the departments of 四(二)2(2)).

    The major term (`major_days`) runs from the decision's date and bounds the minutes; each
    department owes its opinion within `opinion_days` of it, never later than the term.
    """
    payload = _decision_payload(data)
    group = list(data.task_group) or [d.value for d in DEFAULT_TASK_GROUP]
    start = data.date
    term = deadline(session, start, session.deadline_settings().major_days)
    pending = [d for d, v in departments(conn, row.uuid).items() if not v.opinion]
    payload["task_group"] = group
    payload["dept_due"] = dues_json(opinion_dues(session, pending, start, date.fromisoformat(term["due_date"])))
    payload["set"] = {"status": Status.IN_PROGRESS.value, "stage": StageKey.OPINION.value, "approved": True, **term}
    return payload


def _b_decline(session: Session, conn: Connection, row: ActionCase, data: DecisionInput) -> dict[str, Any]:
    """A refusal sends the case back to ordinary handling with the reason.

    Joint with two or more departments, refer with one. Justice, added for the legal review of a
    major matter only, leaves the case unless it leads or has already given its opinion.
    """
    payload = _decision_payload(data)
    depts = departments(conn, row.uuid)
    justice = Department.JUSTICE.value
    co = [d for d in row.co if d != justice or _has_opinion(depts, d)]
    lead = row.lead
    track = Track.JOINT if len({lead, *co} - {None}) >= 2 else Track.REFER
    reasons = [
        *row.reasons,
        f"领导小组不同意按重大疑难办理({payload['document_no']}):{payload['text']} → 按{track.label}办理",
    ]
    routing = {"track": track.value, "lead": lead, "co": co, "reasons": reasons}
    start = data.date
    pending = [d for d in [lead, *co] if d and not _has_opinion(depts, d)]
    dues = opinion_dues(session, pending, start)
    payload.update({"routing": routing, "dept_due": dues_json(dues)})
    payload["set"] = {
        "status": Status.ROUTED.value,
        "stage": StageKey.OPINION.value,
        "track": track.value,
        "co": co,
        "reasons": reasons,
        "stage_start": start.isoformat(),
        **(latest_due(dues) or deadline(session, start, session.deadline_settings().reply_days)),
    }
    return payload


def _has_opinion(depts: dict[str, CaseDepartment], dept: str) -> bool:
    """Whether `dept` is on the case and has given its written opinion."""
    info = depts.get(dept)
    return info is not None and bool(info.opinion)


# -- per-department extensions ---------------------------------------------------------------


def _b_extend(session: Session, conn: Connection, row: ActionCase, data: ExtendInput) -> dict[str, Any]:
    """A head extends one department's opinion deadline, once, with a reason.

    By up to `opinion_extension_max` working days (a setting); the other departments keep theirs.
    Without `dept` on a major case, the major term itself is extended once (up to
    `major_extension_max` working days, 四(二)2).
    """
    days, reason = data.days, data.reason
    if data.dept is None:
        due, estimated = session.calendar().add_working_days(date.fromisoformat(str(row.due_date)), days)
        return {
            "days": days,
            "reason": reason,
            "term": True,
            "set": {
                "due_date": due.isoformat(),
                "due_estimated": estimated or bool(row.due_estimated),
                "extended": True,
            },
        }
    dept = data.dept
    info = departments(conn, row.uuid)[dept]
    due, estimated = session.calendar().add_working_days(date.fromisoformat(str(info.due_date)), days)
    dept_due = {dept: DeptDue(due.isoformat(), estimated or info.due_estimated, extended=True)}
    state: dict[str, Any] = {"extended": True}
    if row.stage is StageKey.OPINION and row.track is not Track.MAJOR and due.isoformat() > str(row.due_date):
        state.update({"due_date": due.isoformat(), "due_estimated": dept_due[dept].due_estimated})
    return {
        "dept": dept,
        "days": days,
        "reason": reason,
        "due_date": due.isoformat(),
        "dept_due": dues_json(dept_due),
        "set": state,
    }


# -- 报送办理 (四(五)) --------------------------------------------------------------------------


def _b_city_assign(session: Session, conn: Connection, row: ActionCase, data: CityAssignInput) -> dict[str, Any]:
    """The city's assignment (交办), recorded from its document.

    `document_no` and `date` (default today): the departments' opinion deadlines run from that
    date (四(五)).
    """
    lead, co, document_no, start = data.lead, list(data.co), data.document_no, data.date
    track = Track.JOINT if co else Track.REFER
    reasons = [*row.reasons, f"市12345热线办交办({document_no}) → {Department(lead).full_name}"]
    routing = {"track": track.value, "lead": lead, "co": co, "reasons": reasons}
    dues = opinion_dues(session, [lead, *co], start)
    return {
        "document_no": document_no,
        "date": start.isoformat(),
        "routing": routing,
        "dept_due": dues_json(dues),
        "set": {
            "status": Status.ROUTED.value,
            "stage": StageKey.OPINION.value,
            "track": track.value,
            "lead": lead,
            "co": co,
            "reasons": reasons,
            "stage_start": start.isoformat(),
            **latest_due(dues),
        },
    }


def _b_feedback_12345(session: Session, conn: Connection, row: ActionCase, data: DeptReportInput) -> dict[str, Any]:
    """The assigned department's feedback on a case the city assigned.

    `to`: the payer, the 12345 office, or both by default.
    """
    return {
        "dept": data.dept,
        "text": data.text,
        "date": data.date.isoformat(),
        "to": list(data.to),
        "set": {},
    }


def _b_clue_transfer(session: Session, conn: Connection, row: ActionCase, data: ClueTransferInput) -> dict[str, Any]:
    """四(五): a department that refuses without cause a matter of its own is reported to 纪委监委.

    The department must have been assigned on this case and have a refusal (a return) or an overdue
    opinion on record. A flag and an event: the case still goes on.
    """
    dept, reason = data.dept, data.reason
    name = Department(dept).full_name
    info = departments(conn, row.uuid).get(dept)
    returned = _returned_by(conn, row.uuid, dept)
    if info is None and not returned:
        raise InvalidTransition(f"{name}未承办本案,不能移送其线索")
    overdue = (
        info is not None
        and bool(info.due_date)
        and (info.on_time is False or (not info.opinion and str(info.due_date) < session.today().isoformat()))
    )
    if not (returned or overdue):
        raise InvalidTransition(f"{name}没有退回或逾期的记录,不能移送纪委监委")
    if _transferred(conn, row.uuid, dept):
        raise InvalidTransition(f"{name}的线索已移送纪委监委")
    grounds = ["department_returned"] if returned else []
    grounds += ["overdue"] if overdue else []
    return {
        "dept": dept,
        "reason": reason,
        "grounds": grounds,
        "to": Department.DISCIPLINE.value,
        "set": {"clue_transferred": True},
    }


def _depts_in(conn: Connection, case_uuid: str, event_type: str) -> set[str]:
    """Departments named by the case's events of one type (a return, a clue transfer)."""
    return {str(p.get("dept")) for p in event_payloads(conn, case_uuid, event_type)}


def _returned_by(conn: Connection, case_uuid: str, dept: str) -> bool:
    return dept in _depts_in(conn, case_uuid, "department_returned")


def _transferred(conn: Connection, case_uuid: str, dept: str) -> bool:
    return dept in _depts_in(conn, case_uuid, "clue_transferred")


# -- consultation, reply delivery, closing a refer matter ----------------------------------


def _b_consult(session: Session, conn: Connection, row: ActionCase, data: ConsultInput) -> dict[str, Any]:
    """四(二)3 一般事项会商: an optional record of the members' consultation on a joint matter."""
    return {"text": data.text, "attendees": data.attendees, "held_on": data.held_on.isoformat(), "set": {}}


def _b_deliver(session: Session, conn: Connection, row: ActionCase, data: DeliveryInput) -> dict[str, Any]:
    """四(三) 向争议双方进行反馈: how and when the written reply reached each party."""
    return {
        "party": data.party,
        "method": data.method,
        "date": data.date.isoformat(),
        "text": data.text,
        "set": {},
    }


def _closing(session: Session) -> dict[str, Any]:
    return {
        "status": Status.REPLIED.value,
        "stage": StageKey.ARCHIVE.value,
        **deadline(session, session.today(), session.deadline_settings().archive_days),
    }


def _b_handled(session: Session, conn: Connection, row: ActionCase, data: DeptReportInput) -> dict[str, Any]:
    """告知转办: the matter closes when the department reports it handled.

    No combined written reply is made for a single department.
    """
    return {
        "dept": data.dept,
        "text": data.text,
        "date": data.date.isoformat(),
        "set": _closing(session),
    }


def _b_confirm(session: Session, conn: Connection, row: ActionCase, data: ConfirmInput) -> dict[str, Any]:
    """告知转办: the matter closes when the payer confirms at the callback that it was handled."""
    value = data.satisfaction
    return {"satisfaction": value, "text": data.text, "set": {**_closing(session), "satisfaction": value}}


BUILDERS: dict[str, Builder] = {
    "approve": typed(parse_approve, _b_approve),
    "decline": typed(parse_decline, _b_decline),
    "extend": typed_on_record(parse_extend, _b_extend),
    "city_assign": typed(parse_city_assign, _b_city_assign),
    "feedback_12345": typed_on_record(parse_feedback_12345, _b_feedback_12345),
    "clue_transfer": typed(parse_clue_transfer, _b_clue_transfer),
    "consult": typed(parse_consult, _b_consult),
    "deliver": typed_on_record(parse_deliver, _b_deliver),
    "handled": typed_on_record(parse_handled, _b_handled),
    "confirm": typed(parse_confirm, _b_confirm),
}
