"""The store's own records besides cases.

Accounts, settings, the work calendar, disclosure approvals, open deadlines counted on an estimated
calendar, and the checks an audit runs.

Dates are ISO strings (`YYYY-MM-DD`); settings come back as their raw JSON text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, text
from sqlalchemy.exc import DBAPIError

# -- accounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """One row of `users`, as the projection of the account events left it.

    Attributes:
        name: The account name (login).
        role: A `Role` value (`clerk`, `head`, `admin`, `coordinator`).
        display_name: The name shown and printed (王丽); may be empty.
        active: False once the account was disabled.
        sign_key: The account's public signing key as the log knows it, or None.
    """

    name: str
    role: str
    display_name: str
    active: bool
    sign_key: str | None


def account(conn: Connection, name: str) -> Account | None:
    """The account called `name`, or None when the store has none."""
    row = conn.execute(
        text("SELECT name, role, display_name, active, sign_key FROM users WHERE name = :n"), {"n": name}
    ).first()
    if row is None:
        return None
    return Account(str(row[0]), str(row[1]), row[2], bool(row[3]), row[4])


def account_names(conn: Connection) -> list[str]:
    """Every account's name, sorted."""
    return [str(r[0]) for r in conn.execute(text("SELECT name FROM users ORDER BY name"))]


def active_names(conn: Connection, role: str) -> list[str]:
    """The names of the active accounts with this role (a `Role` value), sorted."""
    rows = conn.execute(text("SELECT name FROM users WHERE role = :r AND active ORDER BY name"), {"r": role})
    return [str(r[0]) for r in rows]


def display_names(conn: Connection) -> dict[str, str | None]:
    """Each account's display name by account name (None where it has none)."""
    return {str(r[0]): r[1] for r in conn.execute(text("SELECT name, display_name FROM users"))}


def account_display_name(conn: Connection, name: str) -> str | None:
    """The display name of one account; None when it has none or there is no such account."""
    row = conn.execute(text("SELECT display_name FROM users WHERE name = :n"), {"n": name}).first()
    return str(row[0]) if row and row[0] else None


# -- settings and the work calendar ---------------------------------------------------------


def stored_settings(conn: Connection) -> dict[str, str]:
    """Every stored setting: key -> its JSON text (settings never set are not stored)."""
    return {str(k): str(v) for k, v in conn.execute(text("SELECT key, value FROM settings"))}


def stored_setting(conn: Connection, key: str) -> str | None:
    """One stored setting's JSON text, or None when it was never set."""
    raw = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": key}).scalar()
    return None if raw is None else str(raw)


def calendar_years(conn: Connection) -> set[int]:
    """The years whose holiday arrangement (国务院办公厅 notice) the store holds."""
    return {int(r[0]) for r in conn.execute(text("SELECT year FROM calendar_years"))}


def calendar_days(conn: Connection) -> list[tuple[str, str]]:
    """The special days of those years as (day, kind).

    `holiday` or `workday` (a weekend worked as a shift day).
    """
    return [(str(d), str(k)) for d, k in conn.execute(text("SELECT day, kind FROM calendar_days"))]


@dataclass(frozen=True)
class EstimatedDeadline:
    """An open case with a deadline counted past the imported holiday table.

    Its own deadline or one of its departments' deadlines is `due_estimated`.

    Attributes:
        uuid: The case's UUID.
        case_no: Its number.
        stage_start: The day its running stage started.
        due_date: Its own due date, or None.
        due_estimated: Whether its own due date is estimated.
    """

    uuid: str
    case_no: str
    stage_start: str
    due_date: str | None
    due_estimated: bool


def estimated_deadlines(conn: Connection, closed: Iterable[str]) -> list[EstimatedDeadline]:
    """The open cases with an estimated deadline, in case order.

    Not in a `closed` status, with a running stage, and an estimated deadline of their own or of
    a department.
    """
    names = list(closed)
    not_closed = f"c.status NOT IN ({', '.join(f':s{i}' for i in range(len(names)))})"
    params = {f"s{i}": s for i, s in enumerate(names)}
    rows = conn.execute(
        text(
            "SELECT c.uuid, c.case_no, c.stage_start, c.due_date, c.due_estimated FROM cases c"
            f" WHERE c.stage_start IS NOT NULL AND {not_closed} AND (c.due_estimated = 1 OR EXISTS"
            " (SELECT 1 FROM case_departments d WHERE d.case_uuid = c.uuid AND d.due_estimated = 1"
            " AND d.due_date IS NOT NULL)) ORDER BY c.id"
        ),
        params,
    ).all()
    return [EstimatedDeadline(str(u), str(n), str(s), d, bool(e)) for u, n, s, d, e in rows]


def estimated_department_dues(conn: Connection, case_uuid: str) -> list[tuple[str, str]]:
    """The case's departments whose opinion deadline is estimated, as (dept, due_date), by code."""
    rows = conn.execute(
        text(
            "SELECT dept, due_date FROM case_departments WHERE case_uuid = :c AND due_estimated = 1"
            " AND due_date IS NOT NULL ORDER BY dept"
        ),
        {"c": case_uuid},
    )
    return [(str(d), str(due)) for d, due in rows]


# -- disclosure approvals (五(三)) -----------------------------------------------------------


def approval_rows(conn: Connection, case_uuid: str | None, origin: str) -> Sequence[Row[Any]]:
    """`disclosure_approved` events in log order.

    A case's, or (no `case_uuid`) the store `origin`'s own case-list approvals.

    Returns:
        Rows of (uuid, case_uuid, author, at, payload JSON).
    """
    where = "case_uuid = :c" if case_uuid else "case_uuid IS NULL AND origin = :o"
    return conn.execute(
        text(
            f"SELECT uuid, case_uuid, author, at, payload FROM events WHERE type = 'disclosure_approved' AND {where}"
            " ORDER BY seq"
        ),
        {"c": case_uuid, "o": origin},
    ).all()


def export_payloads(conn: Connection, origin: str) -> list[str]:
    """The JSON payloads of the `cases_exported` events the store `origin` recorded."""
    rows = conn.execute(text("SELECT payload FROM events WHERE type = 'cases_exported' AND origin = :o"), {"o": origin})
    return [str(r[0]) for r in rows]


# -- the store's own checks ----------------------------------------------------------------

# Columns compared before and after a rebuild (timestamps of the rebuild itself excluded).
_FINGERPRINT = {
    "cases": "SELECT * FROM cases ORDER BY uuid",
    "case_texts": (
        "SELECT c.uuid, t.summary, t.claim, t.intake FROM case_texts t JOIN cases c ON c.id = t.case_id ORDER BY c.uuid"
    ),
    "case_departments": "SELECT * FROM case_departments ORDER BY case_uuid, dept",
    "case_notes": "SELECT case_uuid, kind, body, at, author FROM case_notes ORDER BY id",
    "papers": "SELECT * FROM papers ORDER BY paper_no",
    "users": "SELECT * FROM users ORDER BY name",
    "settings": "SELECT * FROM settings ORDER BY key",
    "calendar_days": "SELECT * FROM calendar_days ORDER BY day",
    "conflicts": (
        "SELECT case_uuid, a_uuid, b_uuid, held, fields, state, resolved_by FROM conflicts ORDER BY a_uuid, b_uuid"
    ),
    "event_flags": "SELECT * FROM event_flags ORDER BY uuid",
}


def projection_fingerprint(conn: Connection) -> str:
    """A SHA-256 hex digest of every projection table's content in a fixed order.

    Two stores (or one store before and after a rebuild) with equal digests hold the same
    projections. The integer id of a case is left out: a rebuild may renumber it.
    """
    digest = hashlib.sha256()
    for name, sql in _FINGERPRINT.items():
        digest.update(name.encode())
        for row in conn.execute(text(sql)):
            values = list(row)
            if name == "cases":
                values = values[1:]  # the integer id may be renumbered
            digest.update(repr(values).encode("utf-8"))
    return digest.hexdigest()


def page_checks(conn: Connection) -> dict[str, list[str]]:
    """SQLCipher's page check and SQLite's `integrity_check`, by pragma name.

    `cipher_integrity_check` checks every page's HMAC. The problems each reported, empty when the
    file is sound; a page so damaged that the check itself stops is reported as the error it
    raised.
    """
    out: dict[str, list[str]] = {}
    for pragma in ("cipher_integrity_check", "integrity_check"):
        try:
            rows = [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}")]
        except DBAPIError as exc:
            rows = [f"{type(exc.orig).__name__}: {exc.orig}"]
        out[pragma] = [r for r in rows if r != "ok"]
    return out
