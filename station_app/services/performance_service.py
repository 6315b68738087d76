"""绩效考评 (五(四) "建立健全社会保险费征缴争议处理责任追究和绩效考评机制").

How each station, each department (as lead and as co-handler) and each worker kept their time limits
over the cases received in a period.

Sources: the departments' opinion-deadline rows (`case_departments`: due date, the day the
opinion came in and whether on time) and the cases' events (routing decisions for the role a
department held when it returned or was granted an extension, the stage deadlines in force
when each step was taken). A refer matter's department answers by reporting it handled
(`department_handled`): that counts as its opinion, on time by the same deadline.

A department's opinion that is not in counts as overdue when its deadline passed while the
case still waited for it (before the case was answered or withdrawn, and before `as_of`); one
whose case was answered, withdrawn or returned by that department without it is no longer due.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from station_app.domain.enums import CLOSED_STATUSES, Department, Status
from station_app.errors import ValidationError
from station_app.services.session import Session
from station_app.services.stats_service import (
    ANSWER_EVENTS,
    NOT_COUNTED,
    RESOLVED,
    STAGE_EVENTS,
    DeptRoleRow,
    Performance,
    StationRow,
    WorkerRow,
    dept_label,
    timeliness,
)
from station_app.store.db import read
from station_app.store.read_model.station import display_names
from station_app.store.read_model.stats import (
    DeptDeadline,
    ScopeCase,
    StageEvent,
    scope_cases,
    scope_deadlines,
    scope_events,
)

ROUTING_EVENTS = frozenset(
    {"case_registered", "case_routed", "city_assigned", "escalation_requested", "escalation_declined"}
)
DEPT_EVENTS = {
    "department_returned": "returns",
    "extension_granted": "extensions",
    "clue_transferred": "clue_transfers",
}
EVENT_TYPES = frozenset(
    {
        *STAGE_EVENTS,
        *ROUTING_EVENTS,
        *DEPT_EVENTS,
        "case_archived",
        "case_withdrawn",
        "objection_recorded",
        "deadline_recomputed",
    }
)
STATION_REPLIES = frozenset({"reply_issued", "closed_on_spot"})  # the station's own answer


def _day(at: str) -> date:
    return datetime.fromisoformat(at).date()


@dataclass
class _Stage:
    """One worker stage of a case: done on time, done late, or waiting (with its deadline)."""

    done_on_time: bool | None = None  # None: not done
    waiting_due: date | None = None  # the deadline of the stage while it is current


@dataclass
class _CaseWalk:
    """What one case's events say, in log order."""

    roles: dict[str, str] = field(default_factory=dict)  # dept -> its latest role on the case
    dept_events: list[tuple[str, str, str]] = field(default_factory=list)  # (figure, dept, role)
    handled: dict[str, date] = field(default_factory=dict)  # refer: dept -> day it reported handled
    end: date | None = None  # answered or withdrawn: no longer waiting on departments
    routing: _Stage = field(default_factory=_Stage)
    reply: _Stage = field(default_factory=_Stage)
    archive: _Stage = field(default_factory=_Stage)


def _walk(events: Iterable[StageEvent]) -> _CaseWalk:
    """Fold one case's events: roles, per-department events and the worker's three stages."""
    out = _CaseWalk()
    due: date | None = None
    stage = ""
    for ev in events:
        p = ev.payload
        day = _day(ev.at)
        changes = p.get("set") or {}
        routing = p.get("routing")
        if ev.type in ROUTING_EVENTS and isinstance(routing, dict):
            co = [str(d) for d in routing.get("co") or []]
            lead = routing.get("lead")
            out.roles.update({d: "co" for d in co})
            if lead:
                out.roles[str(lead)] = "lead"
        dept = str(p.get("dept") or "")
        if ev.type in DEPT_EVENTS and dept:
            out.dept_events.append((DEPT_EVENTS[ev.type], dept, out.roles.get(dept, "lead")))
        if ev.type == "department_handled" and dept:
            handled_on = p.get("date")
            out.handled.setdefault(dept, date.fromisoformat(handled_on) if handled_on else day)
        if ev.type in (*ANSWER_EVENTS, "case_withdrawn") and out.end is None:
            out.end = day
        # the worker's stages, judged by the deadline in force when each was done
        if ev.type == "case_routed" and out.routing.done_on_time is None:
            out.routing.done_on_time = due is None or day <= due
        if ev.type in STATION_REPLIES and out.reply.done_on_time is None:
            out.reply.done_on_time = due is None or day <= due
        if ev.type == "case_archived" and out.archive.done_on_time is None:
            out.archive.done_on_time = due is None or day <= due
        if "due_date" in changes:
            due = date.fromisoformat(changes["due_date"]) if changes["due_date"] else None
        if "stage" in changes:
            stage = str(changes["stage"])
        if ev.type in ("case_withdrawn", "objection_recorded"):
            stage = ""  # nothing more is due from the worker on this case's current stage
    current = {"routing": out.routing, "reply": out.reply, "archive": out.archive}.get(stage)
    if current is not None and current.done_on_time is None:
        current.waiting_due = due
    return out


def _tally(stage: _Stage, as_of: date) -> tuple[int, int]:
    """(on time, late) of one stage: late when done late, or waiting past its deadline."""
    if stage.done_on_time is not None:
        return (1, 0) if stage.done_on_time else (0, 1)
    if stage.waiting_due is not None and stage.waiting_due < as_of:
        return 0, 1
    return 0, 0


def _opinion_outcome(row: DeptDeadline, walk: _CaseWalk, as_of: date) -> str | None:
    """How one department's deadline row stands: on_time, late, overdue_open or pending.

    None when the opinion is not (or no longer) due.
    """
    if row.due_date is None:
        return None
    due = date.fromisoformat(row.due_date)
    if row.opinion_on is not None:
        on_time = row.on_time if row.on_time is not None else date.fromisoformat(row.opinion_on) <= due
        return "on_time" if on_time else "late"
    handled = walk.handled.get(row.dept)
    if handled is not None:
        return "on_time" if handled <= due else "late"
    if row.returned_at is not None:
        return None  # the department sent the case back: counted as a return
    until = min(walk.end, as_of) if walk.end is not None else as_of
    if due < until:
        return "overdue_open"
    return None if walk.end is not None else "pending"


def parse_period(date_from: str | None, date_to: str | None) -> tuple[date, date]:
    """A period typed as two ISO dates (YYYY-MM-DD), both inclusive.

    Raises ValidationError naming `from` and/or `to` when a date is missing, malformed or out
    of 2000-2100, or when `to` is before `from`.
    """
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for field_name, raw, label in (("from", date_from, "开始日期"), ("to", date_to, "结束日期")):
        typed = str(raw or "").strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", typed):
                raise ValueError(typed)
            day = date.fromisoformat(typed)
        except ValueError:
            errors[field_name] = f"{label}格式应为YYYY-MM-DD"
            continue
        if not 2000 <= day.year <= 2100:
            errors[field_name] = f"{label}应在2000年至2100年之间"
            continue
        days[field_name] = day
    if not errors and days["to"] < days["from"]:
        errors["to"] = "结束日期不能早于开始日期"
    if errors:
        raise ValidationError(errors)
    return days["from"], days["to"]


def compute_performance(session: Session, date_from: date, date_to: date) -> Performance:
    """绩效考评 (五(四)) of the cases received from `date_from` to `date_to` inclusive.

    Returns a `Performance`: one `StationRow` per station code among the cases (one on a
    station store, many on a city store), one `DeptRoleRow` per department and role that had
    a deadline or an event, one `WorkerRow` per first receiver. Raises ValidationError on
    `date_to` when the period is reversed.
    """
    if date_to < date_from:
        raise ValidationError({"date_to": "结束日期不能早于开始日期"})
    start, end = date_from.isoformat(), (date_to + timedelta(days=1)).isoformat()
    as_of = min(date_to, session.today())
    with read(session.store.engine) as conn:
        cases = scope_cases(conn, start, end)
        deadlines = scope_deadlines(conn, start, end)
        events = scope_events(conn, start, end, EVENT_TYPES)
        names = {name: str(shown) for name, shown in display_names(conn).items()}
    by_case: dict[str, list[StageEvent]] = defaultdict(list)
    for ev in events:
        by_case[ev.case_uuid].append(ev)
    walks = {c.uuid: _walk(by_case.get(c.uuid, ())) for c in cases}
    station_of = {c.uuid: c.station_code for c in cases}

    dept: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    station: dict[str, Counter[str]] = defaultdict(Counter)
    for row in deadlines:
        outcome = _opinion_outcome(row, walks[row.case_uuid], as_of)
        if outcome is None:
            continue
        figures = dept[(row.dept, row.role)]
        figures["due"] += 1
        figures[outcome] += 1
        if outcome == "on_time":
            station[station_of[row.case_uuid]]["opinions_on_time"] += 1
        elif outcome in ("late", "overdue_open"):
            station[station_of[row.case_uuid]]["opinions_overdue"] += 1
    for uuid, walk in walks.items():
        for figure, name, role in walk.dept_events:
            dept[(name, role)][figure] += 1
            station[station_of[uuid]][figure] += 1

    workers: dict[str, Counter[str]] = defaultdict(Counter)
    for case in cases:
        walk = walks[case.uuid]
        figures = workers[case.handler]
        figures["cases"] += 1
        for key, stage in (("routing", walk.routing), ("reply", walk.reply), ("archive", walk.archive)):
            on_time, late = _tally(stage, as_of)
            figures[f"{key}_on_time"] += on_time
            figures[f"{key}_late"] += late
            if key == "routing":
                station[case.station_code]["routing_on_time"] += on_time
                station[case.station_code]["routing_late"] += late
        _station_case(station[case.station_code], case, as_of)
    answered = timeliness(events)
    for uuid, on_time in answered.items():
        station[station_of[uuid]]["concluded"] += 1
        station[station_of[uuid]]["on_time"] += int(on_time)

    return Performance(
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        stations=tuple(_station_rows(session, station)),
        departments=tuple(_dept_rows(dept)),
        workers=tuple(WorkerRow(name, names.get(name, name), **figs) for name, figs in sorted(workers.items())),
    )


def _station_case(figures: Counter[str], case: ScopeCase, as_of: date) -> None:
    """A case's part of its station's totals (the monthly statistics' definitions)."""
    figures["total"] += 1
    try:
        status: Status | None = Status(case.status)
    except ValueError:  # a status this app does not know: counted, never as resolved or closed
        status = None
    figures["accepted"] += int(status not in NOT_COUNTED)
    figures["resolved"] += int(status in RESOLVED)
    closed = status in CLOSED_STATUSES
    figures["overdue_open"] += int(not closed and case.due_date is not None and case.due_date < as_of.isoformat())


def _station_rows(session: Session, station: dict[str, Counter[str]]) -> list[StationRow]:
    from station_app.services.query_service import station_choices

    names = station_choices(session)  # on a city store, the stations it provisioned or enrolled
    rows = []
    for code, figs in sorted(station.items()):
        label = session.station_name if code == session.station_code else names.get(code, code)
        rows.append(StationRow(code, label, **figs))
    return rows


def _dept_rows(dept: dict[tuple[str, str], Counter[str]]) -> list[DeptRoleRow]:
    known = [d.value for d in Department]
    order = known + sorted({d for d, _ in dept} - set(known))
    return [
        DeptRoleRow(code, dept_label(code), role, **dept[(code, role)])
        for code in order
        for role in ("lead", "co")
        if (code, role) in dept
    ]
