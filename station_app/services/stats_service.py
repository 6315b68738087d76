"""Statistics of the cases received in a period (the GUI's statistics screen and the monthly report).

Scope: the cases whose *received* date falls in [date_from, date_to] (both inclusive).

Definitions:
- accepted 受理件数 = all cases in scope except not_accepted (不予受理) and withdrawn (撤回).
- resolved 办结件数 = cases whose status is replied (已答复), closed_on_spot (当场办结) or archived
  (已归档): the payer has had the station's answer and has not (or no longer) objected.
- resolution rate 办结率 = resolved / accepted (None when nothing was accepted).
- concluded 已答复件数 = cases that reached an answer to the payer: a written reply (reply_issued),
  an answer at the desk (closed_on_spot), or for a refer matter the department's report that it
  was handled or the payer's confirmation at the callback (department_handled, payer_confirmed),
  whatever happened afterwards (objection, archive).
- on time 按时办结: a concluded case each of whose stages up to that answer (routing, approval,
  department opinions, city dispatch, reply) ended on or before its working-day deadline, as
  extended when an extension was granted. Stage deadlines are read from the event log.
- on-time rate 按时办结率 = on time / concluded (None when nothing was concluded).
- overdue open 在办超期 = cases in scope still open whose current deadline is before the end of the
  period (or today, if earlier).
- per department 部门履职 (五(四) 绩效考评与责任追究), over the same cases: cases the department
  handles (lead or co), returns, extensions granted to it, clue transfers naming it, and the
  incidents recorded against it (工作失误, 引发舆情, 造成严重后果), with the list of incidents
  (date, case number, department, kind: never their text, which may name people).
- 绩效考评 (五(四)) per station, per department as lead and as co-handler, and per worker:
  `Performance`, computed by performance_service over the same cases; its definitions are in
  `DeptRoleRow`, `WorkerRow` and `StationRow`, its tables (`Performance.views()`) are what the
  screen, the Excel export and the monthly report show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from station_app.domain.enums import (
    CLOSED_STATUSES,
    DEPARTMENT_NAMES,
    TOWNS,
    Category,
    Department,
    IncidentKind,
    Status,
    Track,
)
from station_app.dto.stats import DEPT_COLUMNS as DEPT_COLUMNS
from station_app.dto.stats import DEPT_FIGURES as DEPT_FIGURES
from station_app.dto.stats import ROLE_LABELS as ROLE_LABELS
from station_app.dto.stats import STATION_COLUMNS as STATION_COLUMNS
from station_app.dto.stats import STATION_FIGURES as STATION_FIGURES
from station_app.dto.stats import WORKER_COLUMNS as WORKER_COLUMNS
from station_app.dto.stats import WORKER_FIGURES as WORKER_FIGURES
from station_app.dto.stats import Column as Column
from station_app.dto.stats import CountRow as CountRow
from station_app.dto.stats import DeptRoleRow as DeptRoleRow
from station_app.dto.stats import DeptWorkRow as DeptWorkRow
from station_app.dto.stats import IncidentRow as IncidentRow
from station_app.dto.stats import Performance as Performance
from station_app.dto.stats import PerformanceView as PerformanceView
from station_app.dto.stats import StationRow as StationRow
from station_app.dto.stats import Stats as Stats
from station_app.dto.stats import WorkerRow as WorkerRow
from station_app.dto.stats import format_cell as format_cell
from station_app.dto.stats import share as share
from station_app.dto.stats import whole_month
from station_app.errors import ValidationError
from station_app.services.session import Session
from station_app.store.db import read
from station_app.store.read_model.stats import (
    StageEvent,
    department_case_counts,
    period_case_events,
    period_counts,
    period_overdue,
    scope_events,
)

if TYPE_CHECKING:
    from station_app.services.paper_service import PaperResult

RESOLVED = frozenset({Status.REPLIED, Status.CLOSED_ON_SPOT, Status.ARCHIVED})
NOT_COUNTED = frozenset({Status.NOT_ACCEPTED, Status.WITHDRAWN})
ANSWER_EVENTS = frozenset({"reply_issued", "closed_on_spot", "department_handled", "payer_confirmed"})
STAGE_EVENTS = (
    "case_registered",
    "case_routed",
    "closed_on_spot",
    "department_returned",
    "opinion_recorded",
    "extension_granted",
    "escalation_requested",
    "escalation_approved",
    "escalation_declined",
    "minutes_recorded",
    "reply_issued",
    "department_handled",
    "payer_confirmed",
    "submitted_to_city",
    "city_assigned",
)


_INCIDENT_FIELDS = {
    IncidentKind.WORK_ERROR: "work_errors",
    IncidentKind.PUBLIC_OPINION: "public_opinion",
    IncidentKind.SERIOUS_CONSEQUENCE: "serious",
}
_DEPT_EVENTS = {
    "department_returned": "returns",
    "extension_granted": "extensions",
    "clue_transferred": "clue_transfers",
}


def _rows(counts: dict[str, int], labels: dict[str, str], keep_zero: bool = True) -> tuple[CountRow, ...]:
    out = [
        CountRow(code, label, counts.get(code, 0)) for code, label in labels.items() if keep_zero or counts.get(code)
    ]
    out += [CountRow(code, code, n) for code, n in sorted(counts.items()) if code not in labels]
    return tuple(out)


def compute_stats(session: Session, date_from: date, date_to: date) -> Stats:
    """Counts and rates of the cases received from `date_from` to `date_to` inclusive.

    With their 绩效考评 (`Stats.performance`, see performance_service). Raises ValidationError on
    `date_to` when the period is reversed.
    """
    if date_to < date_from:
        raise ValidationError({"date_to": "结束日期不能早于开始日期"})
    start, end = date_from.isoformat(), (date_to + timedelta(days=1)).isoformat()
    as_of = min(date_to, session.today()).isoformat()
    with read(session.store.engine) as conn:

        def group(col: str) -> dict[str, int]:
            return period_counts(conn, start, end, col)

        by_cat, by_town, by_lead = group("category"), group("town_code"), group("lead")
        by_track, by_status = group("track"), group("status")
        overdue = period_overdue(conn, start, end, as_of, (s.value for s in CLOSED_STATUSES))
        events = scope_events(conn, start, end, STAGE_EVENTS)
        work, incidents = _department_work(conn, start, end)
    answered = timeliness(events)
    concluded, on_time = len(answered), sum(answered.values())
    from station_app.services.performance_service import compute_performance

    performance = compute_performance(session, date_from, date_to)
    total = sum(by_status.values())
    return Stats(
        date_from=date_from,
        date_to=date_to,
        total=total,
        accepted=total - sum(by_status.get(s.value, 0) for s in NOT_COUNTED),
        resolved=sum(by_status.get(s.value, 0) for s in RESOLVED),
        concluded=concluded,
        on_time=on_time,
        overdue_open=overdue,
        by_category=_rows(by_cat, {str(int(c)): c.label for c in Category}),
        by_town=_rows(by_town, dict(TOWNS)),
        by_department=_rows(
            by_lead, {d.value: d.full_name for d in Department} | {"": "无(不予受理)"}, keep_zero=False
        ),
        by_track=_rows(by_track, {t.value: t.label for t in Track}),
        by_status=_rows(by_status, {s.value: s.label for s in Status}, keep_zero=False),
        by_department_work=work,
        incidents=incidents,
        performance=performance,
    )


def _department_work(conn: Connection, start: str, end: str) -> tuple[tuple[DeptWorkRow, ...], tuple[IncidentRow, ...]]:
    """Per-department figures and the incident list over the cases in scope (五(四))."""
    counts: dict[str, dict[str, int]] = {}

    def bump(dept: str, key: str) -> None:
        counts.setdefault(dept, {})[key] = counts.get(dept, {}).get(key, 0) + 1

    for dept, n in department_case_counts(conn, start, end).items():
        counts.setdefault(dept, {})["cases"] = n
    incidents: list[IncidentRow] = []
    for ev in period_case_events(conn, start, end, (*_DEPT_EVENTS, "incident_recorded")):
        type_, at, payload, case_no = ev.type, ev.at, ev.payload, ev.case_no
        dept = str(payload.get("dept") or "")
        if not dept:
            continue  # an extension of the whole case names no department
        if type_ == "incident_recorded":
            try:
                kind = IncidentKind(str(payload.get("incident_kind")))
            except ValueError:
                continue
            bump(dept, _INCIDENT_FIELDS[kind])
            incidents.append(IncidentRow(str(at), str(case_no), dept, kind))
        else:
            bump(dept, _DEPT_EVENTS[type_])
    order = [d.value for d in Department] + sorted(set(counts) - {d.value for d in Department})
    rows = tuple(DeptWorkRow(code, dept_label(code), **counts[code]) for code in order if code in counts)
    return rows, tuple(incidents)


def dept_label(code: str) -> str:
    """The department's full name for a code; the code itself when it is not a known department."""
    try:
        return DEPARTMENT_NAMES[Department(code)]
    except ValueError:
        return code


def timeliness(events: Iterable[StageEvent]) -> dict[str, bool]:
    """Whether each answered case was answered on time.

    Returns case uuid -> on time, for the cases answered (ANSWER_EVENTS), from their stage events
    in log order: on time when every stage up to the answer ended by the deadline in force (as
    extended).
    """
    state: dict[str, tuple[date | None, bool, bool]] = {}  # uuid -> (current due, late, answered)
    for ev in events:
        if ev.type not in STAGE_EVENTS:
            continue
        due, late, answered = state.get(ev.case_uuid, (None, False, False))
        if answered:
            continue
        changes = ev.payload.get("set") or {}
        day = datetime.fromisoformat(ev.at).date()
        if due is not None and ("stage" in changes or ev.type in ANSWER_EVENTS) and day > due:
            late = True
        if "due_date" in changes:
            due = date.fromisoformat(changes["due_date"]) if changes["due_date"] else None
        state[ev.case_uuid] = (due, late, ev.type in ANSWER_EVENTS)
    return {uuid: not late for uuid, (_, late, answered) in state.items() if answered}


def month_range(month: str) -> tuple[date, date]:
    """`2025-11` -> (2025-11-01, 2025-11-30); refused when malformed."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", month or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise ValidationError({"month": "月份格式应为YYYY-MM"})
    first = date(int(m.group(1)), int(m.group(2)), 1)
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def period_key(first: date, last: date) -> str:
    """The report's period as it is numbered (a reprint of the same period keeps its number).

    `2025-11` for a whole calendar month, else `2025-08-04..2025-12-01`.

    Raises:
        ValidationError: `date_to` before `date_from`.
    """
    if last < first:
        raise ValidationError({"date_to": "结束日期不能早于开始日期"})
    if whole_month(first, last):
        return f"{first.year:04d}-{first.month:02d}"
    return f"{first.isoformat()}..{last.isoformat()}"


def print_period_report(session: Session, first: date, last: date) -> PaperResult:
    """Build, number and record the statistics report of the cases received `first`..`last`.

    Both days inclusive (五(四) 绩效考评 for a chosen period); a whole month is the monthly report.

    Raises:
        ValidationError: `date_to` before `date_from`.
    """
    from station_app.services.paper_service import print_report

    return print_report(session, period_key(first, last), compute_stats(session, first, last))


def preview_period_report(session: Session, first: date, last: date) -> PaperResult:
    """A draft of `print_period_report`'s paper for the screen (样稿): nothing numbered or recorded."""
    from station_app.services.paper_service import preview_report

    return preview_report(session, period_key(first, last), compute_stats(session, first, last))


def print_monthly_report(session: Session, month: str) -> PaperResult:
    """Build, number and record the monthly report; returns the paper service's PaperResult."""
    return print_period_report(session, *month_range(month))


def preview_monthly_report(session: Session, month: str) -> PaperResult:
    """A draft of the monthly report for the screen (样稿): nothing numbered or recorded."""
    return preview_period_report(session, *month_range(month))


def monthly_report(session: Session, month: str) -> bytes:
    """The monthly statistics report of `month` (YYYY-MM) as PDF bytes (the print is recorded)."""
    return print_monthly_report(session, month).pdf
