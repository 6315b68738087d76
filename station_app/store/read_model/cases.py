"""One case as the projection holds it: its row, departments, notes, events and papers.

Dates are ISO strings as stored (`YYYY-MM-DD`, times `YYYY-MM-DDTHH:MM:SS+08:00`); JSON columns
come back decoded where the row is a dict, raw where it is a plain row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, text

from station_app.domain.enums import CLOSED_STATUSES, Status

SUMMARY_COLUMNS = (
    "id, uuid, case_no, received_at, town_code, applicant_kind, applicant_name, applicant_id, applicant_phone,"
    " employer, category, track, lead, status, stage, stage_start, due_date, due_estimated, extended, handler,"
    " station_code"
)
"""The columns of a list row, in the order `query_service` reads them (index 0 to 20)."""

CLOSED_SQL = ", ".join(f"'{s.value}'" for s in CLOSED_STATUSES)
# The open statuses by name: `status IN (...)` seeks each one's range of the status indexes
# (open cases are few after years of closed ones), where `NOT IN` reads every case's entry.
OPEN_SQL = ", ".join(f"'{s.value}'" for s in Status if s not in CLOSED_STATUSES)


def case_row(conn: Connection, ref: str) -> dict[str, Any] | None:
    """One case's full row with its texts, by case number or UUID.

    Args:
        conn: An open connection.
        ref: A case number (`232701100001-2025-000001`) or a case UUID.

    Returns:
        Every `cases` column, `summary`, `claim` and `intake` (the raw JSON) from `case_texts`,
        plus the decoded `intake_json` (dict), `co_list` and `reasons_list` (lists); None when
        no case has that number or UUID.
    """
    row = (
        conn.execute(
            text(
                "SELECT c.*, t.summary, t.claim, t.intake FROM cases c JOIN case_texts t ON t.case_id = c.id"
                " WHERE c.case_no = :r OR c.uuid = :r"
            ),
            {"r": ref},
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    out = dict(row)
    out["intake_json"] = json.loads(out["intake"])
    out["co_list"] = json.loads(out["co"])
    out["reasons_list"] = json.loads(out["reasons"])
    return out


def summary_row(conn: Connection, case_id: int) -> Row[Any] | None:
    """The list row (`SUMMARY_COLUMNS`, in order) of the case with this integer id, or None."""
    return conn.execute(text(f"SELECT {SUMMARY_COLUMNS} FROM cases WHERE id = :i"), {"i": case_id}).first()


def department_rows(conn: Connection, case_uuid: str) -> Sequence[Row[Any]]:
    """The case's departments for its detail, lead first then by code.

    Returns:
        Rows of (dept, role, signed_at, returned_at, return_reason, opinion, opinion_at,
        opinion_file (JSON or None), due_date, due_estimated, extended, opinion_on, on_time).
    """
    return conn.execute(
        text(
            "SELECT dept, role, signed_at, returned_at, return_reason, opinion, opinion_at, opinion_file,"
            " due_date, due_estimated, extended, opinion_on, on_time"
            " FROM case_departments WHERE case_uuid = :c ORDER BY role DESC, dept"
        ),
        {"c": case_uuid},
    ).all()


def note_rows(conn: Connection, case_uuid: str) -> Sequence[Row[Any]]:
    """The case's notes in the order they were made: rows of (kind, body JSON, at, author)."""
    return conn.execute(
        text("SELECT kind, body, at, author FROM case_notes WHERE case_uuid = :c ORDER BY id"), {"c": case_uuid}
    ).all()


def event_rows(conn: Connection, case_uuid: str) -> Sequence[Row[Any]]:
    """The case's events in log order: rows of (seq, at, author, type, payload JSON)."""
    return conn.execute(
        text("SELECT seq, at, author, type, payload FROM events WHERE case_uuid = :c ORDER BY seq"),
        {"c": case_uuid},
    ).all()


def paper_rows(conn: Connection, case_uuid: str) -> Sequence[Row[Any]]:
    """The case's printed papers by time: rows of (paper_no, kind, issued_at, author, reprint)."""
    return conn.execute(
        text("SELECT paper_no, kind, issued_at, author, reprint FROM papers WHERE case_uuid = :c ORDER BY issued_at"),
        {"c": case_uuid},
    ).all()


@dataclass(frozen=True)
class CaseDepartment:
    """One department's standing on a case, as the lifecycle builders read it.

    Attributes:
        role: `lead` (牵头) or `co` (协办).
        signed_at: When it signed for the case, or None.
        opinion: Its written opinion, or None while it owes one.
        due_date: Its own opinion deadline (`YYYY-MM-DD`), or None.
        due_estimated: Whether that deadline was counted past the imported holiday table.
        extended: Whether its deadline was extended once already.
        on_time: Whether its opinion came by its deadline; None before it came or with no deadline.
        returned_at: When it returned the case as not its business, or None.
    """

    role: str
    signed_at: str | None
    opinion: str | None
    due_date: str | None
    due_estimated: bool
    extended: bool
    on_time: bool | None
    returned_at: str | None


def case_departments(conn: Connection, case_uuid: str) -> dict[str, CaseDepartment]:
    """The case's departments by code (`Department` values), in table order."""
    rows = conn.execute(
        text(
            "SELECT dept, role, signed_at, opinion, due_date, due_estimated, extended, on_time, returned_at"
            " FROM case_departments WHERE case_uuid = :c"
        ),
        {"c": case_uuid},
    )
    return {
        str(r[0]): CaseDepartment(
            role=r[1],
            signed_at=r[2],
            opinion=r[3],
            due_date=r[4],
            due_estimated=bool(r[5]),
            extended=bool(r[6]),
            on_time=None if r[7] is None else bool(r[7]),
            returned_at=r[8],
        )
        for r in rows
    }


def has_note(conn: Connection, case_uuid: str, kind: str) -> bool:
    """Whether the case has a note of this kind (an event type such as `minutes_recorded`)."""
    found = conn.execute(
        text("SELECT 1 FROM case_notes WHERE case_uuid = :c AND kind = :k LIMIT 1"), {"c": case_uuid, "k": kind}
    ).first()
    return found is not None


def note_bodies(conn: Connection, case_uuid: str, kind: str) -> list[str]:
    """The JSON bodies of the case's notes of one kind, in table order."""
    rows = conn.execute(
        text("SELECT body FROM case_notes WHERE case_uuid = :c AND kind = :k"), {"c": case_uuid, "k": kind}
    )
    return [str(r[0]) for r in rows]


def event_payloads(conn: Connection, case_uuid: str, event_type: str) -> list[dict[str, Any]]:
    """The decoded payloads of the case's events of one type (`department_returned`...)."""
    rows = conn.execute(
        text("SELECT payload FROM events WHERE case_uuid = :c AND type = :t"), {"c": case_uuid, "t": event_type}
    )
    return [json.loads(r[0]) for r in rows]
