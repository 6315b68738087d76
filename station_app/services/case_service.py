"""Intake and every lifecycle action of a case: check role, state and data; append the event."""

from __future__ import annotations

import base64
import hashlib
import uuid as uuid_mod
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from station_app.domain.enums import Department, ObjectionRoute, Status, Track
from station_app.domain.intake import Intake
from station_app.domain.lifecycle import ACTIONS
from station_app.domain.routing import RoutingDecision
from station_app.domain.validation import parse_intake
from station_app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from station_app.rules.routing import route
from station_app.services.accountability import incident_payload
from station_app.services.dto import CaseDetail, IntakeResult
from station_app.services.query_service import get_case, load_row
from station_app.services.session import Session
from station_app.store.db import next_counter, write
from station_app.store.events import append_many
from station_app.store.projection import bulk_register

MAX_ATTACHMENT = 10 * 1024 * 1024
SATISFACTION = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}


def coerce_intake(data: dict[str, Any] | Intake) -> Intake:
    if isinstance(data, Intake):
        return data
    return parse_intake(data)


def decide(session: Session, data: dict[str, Any] | Intake) -> RoutingDecision:
    """The routing decision for an intake under this station's settings (nothing stored)."""
    return route(coerce_intake(data), session.routing_settings())


def _deadline(session: Session, start: date, days: int) -> dict[str, Any]:
    due, estimated = session.calendar().add_working_days(start, days)
    return {"stage_start": start.isoformat(), "due_date": due.isoformat(), "due_estimated": estimated}


def _next_case_no(conn: Connection, station_code: str, year: int) -> str:
    seq = next_counter(conn, f"case_seq:{year}")
    return f"{station_code}-{year}-{seq:06d}"


def intake(session: Session, data: dict[str, Any] | Intake) -> IntakeResult:
    """Validate, route and register a case: one event, projections and index, one commit."""
    parsed = coerce_intake(data)
    decision = route(parsed, session.routing_settings())
    received = parsed.received_at.date()
    state = {"status": Status.REGISTERED.value, "stage": "routing"}
    state.update(_deadline(session, received, session.deadline_settings().routing_days))
    case_uuid = str(uuid_mod.uuid4())
    with write(session.store.engine) as conn:
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
    return IntakeResult(case_no, case_uuid, decision, str(state["due_date"]), bool(state["due_estimated"]))


def _text(data: dict[str, Any], key: str, label: str, required: bool = True, limit: int = 10000) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({key: f"请填写{label}"})
        return ""
    if not isinstance(value, str):
        raise ValidationError({key: f"{label}应为文字"})
    if len(value) > limit:
        raise ValidationError({key: f"{label}不能超过{limit}字"})
    return value.strip()


def _dept(data: dict[str, Any], key: str, allowed: set[str] | None = None) -> str:
    value = data.get(key)
    try:
        dept = Department(str(value))
    except ValueError:
        raise ValidationError({key: "部门代码无效"}) from None
    if allowed is not None and dept.value not in allowed:
        raise ValidationError({key: "该部门不是本案承办部门"})
    return dept.value


def perform(session: Session, case_ref: str, action: str, data: dict[str, Any] | None = None) -> CaseDetail:
    """Carry out a lifecycle action on a case (by case number or UUID) and return it anew."""
    data = dict(data or {})
    spec = ACTIONS.get(action)
    if spec is None:
        raise ValidationError({"action": "未知操作"})
    if session.role not in spec.roles:
        raise PermissionDenied(f"当前账户无权执行“{spec.label}”")
    with write(session.store.engine) as conn:
        row = load_row(conn, case_ref)
        if row is None:
            raise NotFound("未找到该案件")
        status = Status(row["status"])
        if status not in spec.sources:
            raise InvalidTransition(f"案件当前状态为“{status.label}”,不能{spec.label}")
        payload = _ACTION_BUILDERS[action](session, conn, row, data)
        session.record(conn, spec.event, payload, row["uuid"])
    return get_case(session, row["case_no"])


# -- builders: each checks the data its action needs and returns the event payload --------


def _departments(conn: Connection, case_uuid: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        text("SELECT dept, role, signed_at, opinion FROM case_departments WHERE case_uuid = :c"), {"c": case_uuid}
    )
    return {r[0]: {"role": r[1], "signed_at": r[2], "opinion": r[3]} for r in rows}


def _stage_for_track(session: Session, track: Track, today: date) -> dict[str, Any]:
    d = session.deadline_settings()
    if track is Track.NOT_ACCEPTED:
        return {"status": Status.NOT_ACCEPTED.value, "stage": "closed", "due_date": None, "stage_start": None}
    if track is Track.SUBMIT_CITY:
        return {"status": Status.SUBMITTED.value, "stage": "city", **_deadline(session, today, d.opinion_days)}
    if track is Track.MAJOR:
        return {"status": Status.ESCALATED.value, "stage": "approval", **_deadline(session, today, d.routing_days)}
    return {"status": Status.ROUTED.value, "stage": "opinion", **_deadline(session, today, d.opinion_days)}


def _b_route(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    stored = {k: v for k, v in row["intake_json"].items() if v is not None}
    decision = route(parse_intake(stored), session.routing_settings())
    override = data.get("override")
    if override:
        if not isinstance(override, dict):
            raise ValidationError({"override": "调整内容格式错误"})
        reason = _text(data, "reason", "调整理由")
        track = Track(str(override.get("track") or decision.track.value))
        lead = _dept(override, "lead") if override.get("lead") else None
        co_raw = override.get("co") or []
        if not isinstance(co_raw, list):
            raise ValidationError({"override.co": "协办部门应为列表"})
        co = sorted({Department(_dept({"co": c}, "co")) for c in co_raw} - ({Department(lead)} if lead else set()))
        if track is not Track.NOT_ACCEPTED and lead is None:
            raise ValidationError({"override.lead": "请指定牵头部门"})
        decision = RoutingDecision(
            track, Department(lead) if lead else None, tuple(co), (*decision.reasons, f"人工调整:{reason}")
        )
    state = _stage_for_track(session, decision.track, session.today())
    state.update({"track": decision.track.value, "lead": decision.lead.value if decision.lead else None})
    state.update({"co": [c.value for c in decision.co], "reasons": list(decision.reasons)})
    return {"routing": decision.to_json(), "set": state}


def _b_close_on_spot(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    answer = _text(data, "text", "当场答复内容")
    return {"text": answer, "set": {"status": Status.CLOSED_ON_SPOT.value, "stage": "archive",
                                     **_deadline(session, session.today(), session.deadline_settings().archive_days)}}


def _b_sign(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    dept = _dept(data, "dept", set(_departments(conn, row["uuid"])))
    return {"dept": dept, "set": {"status": Status.IN_PROGRESS.value}}


def _b_return(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    dept = _dept(data, "dept", set(_departments(conn, row["uuid"])) | {Department.BUSINESS.value})
    reason = _text(data, "reason", "退回理由")
    routing_days = session.deadline_settings().routing_days
    return {"dept": dept, "reason": reason, "set": {"status": Status.RETURNED.value, "stage": "routing",
                                                     **_deadline(session, session.today(), routing_days)}}


def _attachment(data: dict[str, Any]) -> dict[str, Any] | None:
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
    name = str(file.get("name") or "scan")[:120]
    return {"name": name, "sha256": hashlib.sha256(raw).hexdigest(), "size": len(raw), "data_b64": file["data_b64"]}


def _b_opinion(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    depts = _departments(conn, row["uuid"])
    dept = _dept(data, "dept", set(depts))
    opinion = _text(data, "text", "书面意见")
    payload: dict[str, Any] = {"dept": dept, "text": opinion}
    file = _attachment(data)
    if file:
        payload["file"] = file
    state: dict[str, Any] = {"status": Status.IN_PROGRESS.value}
    missing = [d for d, v in depts.items() if not v["opinion"] and d != dept]
    if not missing:
        state["stage"] = "reply"
        state.update(_deadline(session, session.today(), session.deadline_settings().reply_days))
    payload["set"] = state
    return payload


def _b_extend(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    if row["extended"]:
        raise InvalidTransition("本案已延期一次,不能再次延期")
    if not row["due_date"]:
        raise InvalidTransition("本案当前阶段没有办理时限")
    d = session.deadline_settings()
    limit = d.major_extension_max if row["track"] == Track.MAJOR.value else d.opinion_extension_max
    days = data.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limit:
        raise ValidationError({"days": f"延期天数应为1至{limit}个工作日"})
    reason = _text(data, "reason", "延期理由")
    due, estimated = session.calendar().add_working_days(date.fromisoformat(row["due_date"]), days)
    return {"days": days, "reason": reason,
            "set": {"due_date": due.isoformat(), "due_estimated": estimated or bool(row["due_estimated"]),
                    "extended": True}}


def _with_justice(row: dict[str, Any]) -> list[str]:
    co = set(row["co_list"]) | {Department.JUSTICE.value}
    co.discard(row["lead"] or "")
    return sorted(co)


def _b_escalate(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    reason = _text(data, "reason", "上报理由")
    co = _with_justice(row)
    routing = {"track": Track.MAJOR.value, "lead": row["lead"], "co": co,
               "reasons": row["reasons_list"] + [f"上报重大疑难:{reason}"]}
    return {"reason": reason, "routing": routing,
            "set": {"status": Status.ESCALATED.value, "stage": "approval", "track": Track.MAJOR.value, "co": co,
                    "reasons": routing["reasons"],
                    **_deadline(session, session.today(), session.deadline_settings().routing_days)}}


def _b_approve(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    note = _text(data, "text", "批示意见", required=False)
    return {"text": note, "set": {"status": Status.IN_PROGRESS.value, "stage": "opinion", "approved": True,
                                  **_deadline(session, session.today(), session.deadline_settings().major_days)}}


def _all_opinions(conn: Connection, row: dict[str, Any]) -> None:
    missing = [d for d, v in _departments(conn, row["uuid"]).items() if not v["opinion"]]
    if missing:
        names = "、".join(Department(d).full_name for d in missing)
        raise InvalidTransition(f"尚缺以下部门的书面意见:{names}")


def _b_minutes(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    if row["track"] != Track.MAJOR.value:
        raise InvalidTransition("只有重大疑难事项需要会议纪要")
    _all_opinions(conn, row)
    body = _text(data, "text", "会议纪要内容", limit=20000)
    attendees = _text(data, "attendees", "参会人员", required=False, limit=1000)
    held_on = _text(data, "held_on", "会议日期", required=False, limit=10) or session.today().isoformat()
    try:
        date.fromisoformat(held_on)
    except ValueError:
        raise ValidationError({"held_on": "会议日期格式应为YYYY-MM-DD"}) from None
    return {"text": body, "attendees": attendees, "held_on": held_on, "set": {}}


def _has_note(conn: Connection, case_uuid: str, kind: str) -> bool:
    return conn.execute(
        text("SELECT 1 FROM case_notes WHERE case_uuid = :c AND kind = :k LIMIT 1"), {"c": case_uuid, "k": kind}
    ).first() is not None


def _b_reply(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    _all_opinions(conn, row)
    if row["track"] == Track.MAJOR.value:
        if not row["approved"]:
            raise InvalidTransition("重大疑难事项须经领导小组组长批准")
        if not _has_note(conn, row["uuid"], "minutes_recorded"):
            raise InvalidTransition("重大疑难事项须先形成会议纪要")
    body = _text(data, "text", "答复内容", limit=20000)
    return {"text": body, "set": {"status": Status.REPLIED.value, "stage": "archive",
                                  **_deadline(session, session.today(), session.deadline_settings().archive_days)}}


def _b_objection(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    try:
        route_taken = ObjectionRoute(str(data.get("route")))
    except ValueError:
        raise ValidationError({"route": "请选择异议途径:调解、行政复议、仲裁或行政诉讼"}) from None
    note = _text(data, "text", "异议说明", required=False)
    return {"route": route_taken.value, "text": note,
            "set": {"status": Status.OBJECTION.value, "objection_route": route_taken.value}}


def _b_callback(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    value = data.get("satisfaction")
    if value not in SATISFACTION:
        raise ValidationError({"satisfaction": "请选择满意、基本满意或不满意"})
    note = _text(data, "text", "回访记录", required=False)
    return {"satisfaction": value, "text": note, "set": {"satisfaction": value}}


def _b_archive(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {"text": _text(data, "text", "归档说明", required=False),
            "set": {"status": Status.ARCHIVED.value, "stage": "closed", "due_date": None}}


def _b_withdraw(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {"reason": _text(data, "reason", "撤回理由"),
            "set": {"status": Status.WITHDRAWN.value, "stage": "closed", "due_date": None}}


def _b_submit_city(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    reason = _text(data, "reason", "职责不清的原因")
    consulted = data.get("consulted") or []
    if not isinstance(consulted, list):
        raise ValidationError({"consulted": "已协商部门应为列表"})
    consulted_codes = sorted({_dept({"consulted": c}, "consulted") for c in consulted})
    suggested = _dept(data, "suggested") if data.get("suggested") else None
    return {"reason": reason, "consulted": consulted_codes, "suggested": suggested,
            "set": {"status": Status.SUBMITTED.value, "stage": "city",
                    **_deadline(session, session.today(), session.deadline_settings().opinion_days)}}


def _b_city_assign(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    lead = _dept(data, "lead")
    co_raw = data.get("co") or []
    if not isinstance(co_raw, list):
        raise ValidationError({"co": "协办部门应为列表"})
    co = sorted({_dept({"co": c}, "co") for c in co_raw} - {lead})
    track = Track.JOINT if co else Track.REFER
    reasons = row["reasons_list"] + [f"市12345热线办交办 → {Department(lead).full_name}"]
    routing = {"track": track.value, "lead": lead, "co": co, "reasons": reasons}
    opinion_days = session.deadline_settings().opinion_days
    return {"routing": routing, "set": {"status": Status.ROUTED.value, "stage": "opinion", "track": track.value,
                                        "lead": lead, "co": co, "reasons": reasons,
                                        **_deadline(session, session.today(), opinion_days)}}


def _b_clue_transfer(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    dept = _dept(data, "dept")
    reason = _text(data, "reason", "移送理由(拒不处理的情况)")
    return {"dept": dept, "reason": reason,
            "set": {"status": Status.CLUE_TRANSFERRED.value, "stage": "closed", "due_date": None}}


def _b_incident(session: Session, conn: Connection, row: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return incident_payload(data)


_ACTION_BUILDERS = {
    "route": _b_route,
    "close_on_spot": _b_close_on_spot,
    "sign": _b_sign,
    "return": _b_return,
    "opinion": _b_opinion,
    "extend": _b_extend,
    "escalate": _b_escalate,
    "approve": _b_approve,
    "minutes": _b_minutes,
    "reply": _b_reply,
    "objection": _b_objection,
    "callback": _b_callback,
    "archive": _b_archive,
    "withdraw": _b_withdraw,
    "submit_city": _b_submit_city,
    "city_assign": _b_city_assign,
    "clue_transfer": _b_clue_transfer,
    "incident": _b_incident,
}


def reveal(session: Session, case_ref: str, field: str) -> str:
    """Show one full identifier on screen; the reveal is recorded (who, which field, when)."""
    if field not in ("applicant_id", "applicant_phone"):
        raise ValidationError({"field": "只能查看身份证号或电话"})
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
    """Register many intakes in batches (demo station, benchmark): the same validation,
    routing, events and projections as `intake`, with batched statements."""
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
                parsed = coerce_intake(raw)
                decision = route(parsed, settings)
                received = parsed.received_at.date()
                due, estimated = calendar.add_working_days(received, routing_days)
                case_no = _next_case_no(conn, session.station_code, parsed.received_at.year)
                case_nos.append(case_no)
                state = {"status": Status.REGISTERED.value, "stage": "routing", "stage_start": received.isoformat(),
                         "due_date": due.isoformat(), "due_estimated": estimated}
                pending.append({
                    "type": "case_registered",
                    "payload": {"case_no": case_no, "station_code": session.station_code,
                                "intake": parsed.to_json(), "routing": decision.to_json(), "set": state},
                    "author": session.user,
                    "origin": session.origin or session.station_code,
                    "at": at,
                    "case_uuid": str(uuid_mod.uuid4()),
                })
            bulk_register(conn, append_many(conn, pending))
        if progress is not None:
            progress(min(first + batch, len(items)), len(items))
    return case_nos
