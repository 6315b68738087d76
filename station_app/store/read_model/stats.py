"""Read-model queries for the statistics and 绩效考评 (五(四)).

The cases received in a period, their counts by column, their departments' opinion-deadline rows and
their events, as plain values and dataclasses. The statistics services fold them into per-station,
per-department and per-worker figures; no rule lives here.

Every query takes the period as ISO strings `start` (inclusive) and `end` (exclusive) on
`cases.received_at`, the same scope as the monthly statistics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

_SCOPE = "SELECT uuid FROM cases WHERE received_at >= :a AND received_at < :b"


@dataclass(frozen=True)
class ScopeCase:
    """One case of the period: who received it (首问), where, and where it stands now."""

    uuid: str
    station_code: str
    handler: str
    status: str
    due_date: str | None


@dataclass(frozen=True)
class DeptDeadline:
    """One department's opinion-deadline row on a case (`case_departments`)."""

    case_uuid: str
    dept: str
    role: str  # lead | co
    due_date: str | None
    opinion_on: str | None
    on_time: bool | None
    returned_at: str | None


@dataclass(frozen=True)
class StageEvent:
    """One event of a case in log order: its type, day-time and payload."""

    case_uuid: str
    type: str
    at: str
    payload: dict[str, Any]


def scope_cases(conn: Connection, start: str, end: str) -> list[ScopeCase]:
    """The cases received in [start, end), in case order."""
    rows = conn.execute(
        text(
            "SELECT uuid, station_code, handler, status, due_date FROM cases"
            " WHERE received_at >= :a AND received_at < :b ORDER BY id"
        ),
        {"a": start, "b": end},
    )
    return [ScopeCase(str(u), str(s), str(h), str(st), due) for u, s, h, st, due in rows]


def scope_deadlines(conn: Connection, start: str, end: str) -> list[DeptDeadline]:
    """The departments' opinion-deadline rows of the cases received in [start, end)."""
    rows = conn.execute(
        text(
            "SELECT case_uuid, dept, role, due_date, opinion_on, on_time, returned_at FROM case_departments"
            f" WHERE case_uuid IN ({_SCOPE}) ORDER BY case_uuid, dept"
        ),
        {"a": start, "b": end},
    )
    return [
        DeptDeadline(str(c), str(d), str(r), due, on, None if t is None else bool(t), ret)
        for c, d, r, due, on, t, ret in rows
    ]


def scope_events(conn: Connection, start: str, end: str, types: Iterable[str]) -> list[StageEvent]:
    """The events of the given types on the cases received in [start, end), in log order."""
    names = sorted(set(types))
    marks = ", ".join(f":t{n}" for n in range(len(names)))
    params: dict[str, Any] = {"a": start, "b": end, **{f"t{n}": t for n, t in enumerate(names)}}
    rows = conn.execute(
        text(
            f"SELECT case_uuid, type, at, payload FROM events WHERE type IN ({marks})"
            f" AND case_uuid IN ({_SCOPE}) ORDER BY seq"
        ),
        params,
    )
    return [StageEvent(str(c), str(t), str(at), json.loads(p)) for c, t, at, p in rows]


_PERIOD = "received_at >= :a AND received_at < :b"
_GROUPABLE = frozenset({"category", "town_code", "lead", "track", "status"})


def period_counts(conn: Connection, start: str, end: str, column: str) -> dict[str, int]:
    """The cases received in [start, end) counted by one column's value.

    Args:
        conn: An open connection.
        start: First day, inclusive (`YYYY-MM-DD`).
        end: Day after the last, exclusive.
        column: One of `category`, `town_code`, `lead`, `track`, `status`.

    Returns:
        Value (as text; "" for none, as a case not accepted has no lead) -> number of cases.

    Raises:
        ValueError: `column` is not one the statistics group by.
    """
    if column not in _GROUPABLE:
        raise ValueError(column)
    sql = f"SELECT {column}, count(*) FROM cases WHERE {_PERIOD} GROUP BY {column}"
    return {str(k) if k is not None else "": int(n) for k, n in conn.execute(text(sql), {"a": start, "b": end})}


def period_overdue(conn: Connection, start: str, end: str, as_of: str, closed: Iterable[str]) -> int:
    """How many cases received in [start, end) are still open with a past due date.

    Open: status not in `closed`; past: a due date before `as_of` (`YYYY-MM-DD`).
    """
    names = sorted(set(closed))
    marks = ", ".join(f":s{n}" for n in range(len(names)))
    params: dict[str, Any] = {"a": start, "b": end, "d": as_of, **{f"s{n}": s for n, s in enumerate(names)}}
    sql = f"SELECT count(*) FROM cases WHERE {_PERIOD} AND status NOT IN ({marks}) AND due_date < :d"
    return int(conn.execute(text(sql), params).scalar_one())


def department_case_counts(conn: Connection, start: str, end: str) -> dict[str, int]:
    """Department code -> the number of cases received in [start, end) it was assigned to."""
    rows = conn.execute(
        text(f"SELECT dept, count(*) FROM case_departments WHERE case_uuid IN ({_SCOPE}) GROUP BY dept"),
        {"a": start, "b": end},
    )
    return {str(d): int(n) for d, n in rows}


@dataclass(frozen=True)
class CaseEvent:
    """One event of a case with the case's number, for the lists the statistics print."""

    type: str
    at: str
    payload: dict[str, Any]
    case_no: str


def period_case_events(conn: Connection, start: str, end: str, types: Iterable[str]) -> list[CaseEvent]:
    """The events of the given types on the cases received in [start, end), in log order."""
    names = sorted(set(types))
    marks = ", ".join(f":t{n}" for n in range(len(names)))
    params: dict[str, Any] = {"a": start, "b": end, **{f"t{n}": t for n, t in enumerate(names)}}
    rows = conn.execute(
        text(
            "SELECT e.type, e.at, e.payload, c.case_no FROM events e JOIN cases c ON c.uuid = e.case_uuid"
            f" WHERE e.type IN ({marks}) AND e.case_uuid IN ({_SCOPE}) ORDER BY e.seq"
        ),
        params,
    )
    return [CaseEvent(str(t), str(at), json.loads(p), str(no)) for t, at, p, no in rows]
