"""The holiday table in the store: seeded at init, a year's State Council schedule imported."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection

from station_app.domain.enums import CLOSED_STATUSES
from station_app.domain.safe_input import line_problem
from station_app.errors import ValidationError
from station_app.resources import resource_path
from station_app.rules.calendar import WorkCalendar
from station_app.rules.festivals import missing_festivals
from station_app.rules.schedule import Schedule, read_schedule
from station_app.services.permissions import Act, require
from station_app.services.session import Session
from station_app.store.db import write
from station_app.store.read_model.station import estimated_deadlines, estimated_department_dues


def load_seed_payload() -> dict[str, Any]:
    """The bundled seed (from chinesecalendar) as a `calendar_imported` payload."""
    payload: dict[str, Any] = {"source": "", "years": [], "days": {}}
    for path in sorted(resource_path("calendar").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        payload["source"] = data.get("source", path.name)
        payload["years"] = sorted(set(payload["years"]) | {int(y) for y in data["years"]})
        payload["days"].update(data["days"])
    return payload


def import_schedule(session: Session, text_: str, source: str = "import") -> dict[str, Any]:
    """Import a holiday arrangement and recount the estimated deadlines it touches.

    Replaces the table for the years in `text_` (JSON or CSV, see rules.schedule) and recomputes
    the open cases' estimated deadlines whose counting touches those years. `source` (the file's
    name) is recorded as "import" when it holds a control or direction character or a line break.

    One transaction: the `calendar_imported` event, then one `deadline_recomputed` event per
    case whose due date changes (old and new date in the payload).

    Returns:
        `{"years": [...], "days": N, "recomputed": [{"case_no", "from", "to"}]}`.

    Raises:
        PermissionDenied: not a head or admin.
        ValidationError: the file is malformed (line or key named), or it would leave a
            statutory festival of 《全国年节及纪念日放假办法》 as a working day (`days[DATE]`).
    """
    require(session, Act.IMPORT_CALENDAR)
    schedule = read_schedule(text_)
    if missing := missing_festivals(schedule.days, schedule.years):
        raise ValidationError(missing, "日历缺少法定节日")
    days = {d.isoformat(): ("workday" if w else "holiday") for d, w in sorted(schedule.days.items())}
    years = sorted(schedule.years)
    old = session.calendar()
    new = old.merged(schedule)
    if line_problem(source):  # a file's name may hold any character; the log keeps a plain one
        source = "import"
    with write(session.store.engine) as conn:
        session.record(conn, "calendar_imported", {"source": source[:100], "years": years, "days": days})
        changes = _recompute(session, conn, old, new, schedule)
    return {"years": years, "days": len(days), "recomputed": changes}


def _recount(old: WorkCalendar, new: WorkCalendar, start: date, due: date) -> tuple[date, bool]:
    """The same number of working days from the same start, on the new calendar."""
    return new.add_working_days(start, old.working_days_between(start, due))


def _recompute(
    session: Session, conn: Connection, old: WorkCalendar, new: WorkCalendar, schedule: Schedule
) -> list[dict[str, str]]:
    """Re-count each open estimated deadline that runs into an imported year.

    The case's own deadline and each department's opinion deadline (四(二): per-department terms)
    keep the same number of working days from the stage's start, counted on the new calendar. One
    `deadline_recomputed` event per case that changes, carrying the case's new date (`set`) and
    the departments' (`dept_due`).
    """
    rows = estimated_deadlines(conn, (s.value for s in CLOSED_STATUSES))
    years = sorted(schedule.years)

    def touches(start: date, due: date) -> bool:
        return any(start.year <= y <= due.year for y in years)

    changes: list[dict[str, str]] = []
    for case in rows:
        case_uuid, case_no, start_text, due_text = case.uuid, case.case_no, case.stage_start, case.due_date
        case_estimated = case.due_estimated
        start = date.fromisoformat(start_text)
        payload: dict[str, object] = {}
        if case_estimated and due_text and touches(start, due := date.fromisoformat(due_text)):
            new_due, estimated = _recount(old, new, start, due)
            if new_due != due or not estimated:
                payload.update(
                    {
                        "from": due_text,
                        "to": new_due.isoformat(),
                        "working_days": old.working_days_between(start, due),
                        "set": {"due_date": new_due.isoformat(), "due_estimated": estimated},
                    }
                )
        dept_due: dict[str, dict[str, object]] = {}
        for dept, dept_due_text in estimated_department_dues(conn, case_uuid):
            old_due = date.fromisoformat(dept_due_text)
            if not touches(start, old_due):
                continue
            new_due, estimated = _recount(old, new, start, old_due)
            if new_due != old_due or not estimated:
                dept_due[str(dept)] = {"due_date": new_due.isoformat(), "due_estimated": estimated}
        if not payload and not dept_due:
            continue
        if dept_due:
            payload["dept_due"] = dept_due
        payload["reason"] = f"导入{'、'.join(str(y) for y in years)}年节假日安排"
        session.record(conn, "deadline_recomputed", payload, str(case_uuid))
        changes.append(
            {
                "case_no": str(case_no),
                "from": str(payload.get("from", due_text)),
                "to": str(payload.get("to", due_text)),
                **({"departments": ",".join(sorted(dept_due))} if dept_due else {}),
            }
        )
    return changes
