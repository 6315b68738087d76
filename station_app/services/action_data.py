"""Reading an action's data (texts, departments, dates) and the deadlines the actions start.

Shared by the lifecycle builders; every refusal is a `ValidationError` naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from station_app.domain.enums import Department
from station_app.errors import ValidationError
from station_app.services.session import Session


def text_field(data: dict[str, Any], key: str, label: str, required: bool = True, limit: int = 10000) -> str:
    """The stripped text at `key` ("" when optional and absent); refused when missing,
    not a string or longer than `limit`."""
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


def dept_field(data: dict[str, Any], key: str, allowed: set[str] | None = None) -> str:
    """A department code at `key`, optionally one of `allowed` (the case's departments)."""
    value = data.get(key)
    try:
        dept = Department(str(value))
    except ValueError:
        raise ValidationError({key: "部门代码无效"}) from None
    if allowed is not None and dept.value not in allowed:
        raise ValidationError({key: "该部门不是本案承办部门"})
    return dept.value


def dept_list(data: dict[str, Any], key: str) -> list[str]:
    """A list of department codes at `key` (sorted, no repeats; [] when absent)."""
    raw = data.get(key) or []
    if not isinstance(raw, list):
        raise ValidationError({key: "部门应为列表"})
    return sorted({dept_field({key: c}, key) for c in raw})


def date_field(
    session: Session, data: dict[str, Any], key: str, label: str, required: bool = True, earliest: date | None = None
) -> date:
    """A YYYY-MM-DD date at `key` (today when optional and absent), never after today and not
    before `earliest` (the day the case was received, for instance)."""
    raw = data.get(key)
    if raw in (None, ""):
        if required:
            raise ValidationError({key: f"请填写{label}"})
        return session.today()
    try:
        day = date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationError({key: f"{label}格式应为YYYY-MM-DD"}) from None
    if day > session.today():
        raise ValidationError({key: f"{label}不能晚于今天"})
    if earliest is not None and day < earliest:
        raise ValidationError({key: f"{label}不能早于{earliest.isoformat()}"})
    return day


def received_on(row: dict[str, Any]) -> date:
    """The day the case was received (the earliest date any of its acts can carry)."""
    return date.fromisoformat(str(row["received_at"])[:10])


def deadline(session: Session, start: date, days: int) -> dict[str, Any]:
    """`set` fields of a stage that starts on `start` and lasts `days` working days."""
    due, estimated = session.calendar().add_working_days(start, days)
    return {"stage_start": start.isoformat(), "due_date": due.isoformat(), "due_estimated": estimated}


def departments(conn: Connection, case_uuid: str) -> dict[str, dict[str, Any]]:
    """The case's departments: role, signature, opinion, own deadline and extension."""
    rows = conn.execute(
        text(
            "SELECT dept, role, signed_at, opinion, due_date, due_estimated, extended, on_time, returned_at"
            " FROM case_departments WHERE case_uuid = :c"
        ),
        {"c": case_uuid},
    )
    return {
        r[0]: {
            "role": r[1],
            "signed_at": r[2],
            "opinion": r[3],
            "due_date": r[4],
            "due_estimated": bool(r[5]),
            "extended": bool(r[6]),
            "on_time": None if r[7] is None else bool(r[7]),
            "returned_at": r[8],
        }
        for r in rows
    }


def has_note(conn: Connection, case_uuid: str, kind: str) -> bool:
    """Whether the case has an event of this type on record."""
    return (
        conn.execute(
            text("SELECT 1 FROM case_notes WHERE case_uuid = :c AND kind = :k LIMIT 1"), {"c": case_uuid, "k": kind}
        ).first()
        is not None
    )


def opinion_dues(session: Session, depts: list[str], start: date, cap: date | None = None) -> dict[str, dict[str, Any]]:
    """`dept_due` for departments whose opinion stage starts on `start`: each gets the opinion
    time limit (a setting), never later than `cap` (a major case's 15-day term)."""
    due, estimated = session.calendar().add_working_days(start, session.deadline_settings().opinion_days)
    if cap is not None and due > cap:
        due = cap
    return {d: {"due_date": due.isoformat(), "due_estimated": estimated, "extended": False} for d in depts}


def latest_due(dues: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`set` fields for the case's own deadline while departments give opinions: the latest
    of their deadlines."""
    if not dues:
        return {}
    last = max(dues.values(), key=lambda d: str(d["due_date"]))
    return {"due_date": last["due_date"], "due_estimated": any(d["due_estimated"] for d in dues.values())}
