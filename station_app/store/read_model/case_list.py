"""The case list's queries: filters, pages, counts, search lookups and duplicates.

Its filters as one `WHERE`, its pages and counts, the search indexes' lookups, earlier cases of the
same party, and the open cases' late departments.

Search words are folded by the query service (`query_service.fold_query`); here they are
looked up as given. Dates are ISO strings (`YYYY-MM-DD`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, text

from station_app.store.read_model.cases import CLOSED_SQL, OPEN_SQL, SUMMARY_COLUMNS
from station_app.store.search_index import EMPLOYER, ID_NUMBER, PHONE, TERM, USCC, key_token, keys_match

SORTABLE = {
    "received_at": "received_at",
    "case_no": "case_no",
    "applicant": "applicant_name",
    "category": "category",
    "track": "track",
    "status": "status",
    "due_date": "due_date",
    "town": "town_code",
    "lead": "lead",
}
"""The list's sort keys and the column each sorts by."""


@dataclass(frozen=True)
class CaseQuery:
    """Filters of the case list; all optional."""

    search: str | None = None
    status: str | None = None
    track: str | None = None
    dept: str | None = None
    town: str | None = None
    category: int | None = None
    overdue: bool = False
    due_today: bool = False
    waiting_opinions: bool = False
    mine: bool = False
    open_only: bool = False
    awaiting_feedback: bool = False  # 报送 matters the city assigned, no feedback to 12345 yet (四(五))
    conflicted: bool = False  # cases with an open sync conflict (DESIGN.md "No silent overwrite")
    received_from: str | None = None
    received_to: str | None = None
    station: str | None = None  # a city store: one station's cases (its 12-digit code)
    order_by: str = "received_at"
    descending: bool = True


@dataclass(frozen=True)
class ListScope:
    """What a list filter is read against besides the query itself.

    Attributes:
        today: The station's day (`YYYY-MM-DD`) for the overdue and due-today filters.
        user: The account name for "mine" (the first receiver, 首问责任制 四(一)).
        matched: The case ids a search found (newest first), or None when the query has no
            search words.
    """

    today: str
    user: str
    matched: list[int] | None = None


# The filters that are one column equal to the query's field: (column, CaseQuery field).
_EQUALS = (
    ("station_code", "station"),
    ("status", "status"),
    ("track", "track"),
    ("town_code", "town"),
    ("category", "category"),
)


def _where(q: CaseQuery, scope: ListScope) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if scope.matched is not None:
        if not scope.matched:
            return "0", {}
        clauses.append(f"id IN ({','.join(str(int(i)) for i in scope.matched)})")
    for column, name in _EQUALS:
        value = getattr(q, name)
        if value:
            clauses.append(f"{column} = :{name}")
            params[name] = value
    if q.dept:
        clauses.append("uuid IN (SELECT case_uuid FROM case_departments WHERE dept = :dept)")
        params["dept"] = q.dept
    if q.overdue:
        clauses.append(f"due_date < :today AND status IN ({OPEN_SQL})")
        params["today"] = scope.today
    if q.due_today:
        clauses.append(f"due_date = :today AND status IN ({OPEN_SQL})")
        params["today"] = scope.today
    if q.waiting_opinions:
        clauses.append(
            "status IN ('routed', 'in_progress') AND uuid IN"
            " (SELECT case_uuid FROM case_departments WHERE opinion IS NULL)"
        )
    if q.mine:
        clauses.append(f"handler = :me AND status NOT IN ({CLOSED_SQL})")
        params["me"] = scope.user
    if q.open_only:
        clauses.append(f"status IN ({OPEN_SQL})")
    if q.awaiting_feedback:
        # 四(五): the assigned department feeds back to the payer and to the 12345 office; the case
        # waits on the 12345 office's copy until a feedback sent `to` the office is on record
        # (the assigned matters come from the notes' kind index: a few, however many cases are open)
        clauses.append(
            "uuid IN (SELECT case_uuid FROM case_notes WHERE kind = 'city_assigned')"
            f" AND status IN ({OPEN_SQL})"
            " AND NOT EXISTS (SELECT 1 FROM case_notes f, json_each(f.body, '$.to') t"
            " WHERE f.case_uuid = cases.uuid AND f.kind = 'city_feedback_recorded' AND t.value = 'office')"
        )
    if q.conflicted:
        clauses.append("uuid IN (SELECT case_uuid FROM conflicts WHERE state = 'open')")
    if q.received_from:
        clauses.append("received_at >= :rf")
        params["rf"] = q.received_from
    if q.received_to:
        clauses.append("received_at < :rt")
        params["rt"] = q.received_to
    return (" AND ".join(clauses) or "1"), params


def _count(conn: Connection, where: str, params: dict[str, Any]) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM cases WHERE {where}"), params).scalar_one())


def case_total(conn: Connection) -> int:
    """The number of cases in the store, from the row its triggers keep (migration 10)."""
    return int(conn.execute(text("SELECT n FROM case_total WHERE id = 1")).scalar_one())


def count_matching(conn: Connection, q: CaseQuery, scope: ListScope) -> int:
    """How many cases `q` selects.

    With no filter the kept total, else a count over the filter's index range only.
    """
    where, params = _where(q, scope)
    if where == "1":
        return case_total(conn)
    return _count(conn, where, params)


def list_page(conn: Connection, q: CaseQuery, scope: ListScope, offset: int, limit: int) -> list[Row[Any]]:
    """A page of the list rows (`SUMMARY_COLUMNS`) that `q` selects, in its order.

    By deadline, open cases with a deadline come first either way round, then the others (two
    walks of the due-date index instead of sorting every case by an expression). Ties go by id
    in the same direction. An unknown `order_by` sorts by the day received.
    """
    where, params = _where(q, scope)
    order = SORTABLE.get(q.order_by, "received_at")
    direction = "DESC" if q.descending else "ASC"

    def page(condition: str, off: int, lim: int) -> list[Row[Any]]:
        sql = (
            f"SELECT {SUMMARY_COLUMNS} FROM cases WHERE ({where}) AND {condition}"
            f" ORDER BY {order} {direction}, id {direction} LIMIT :lim OFFSET :off"
        )
        return list(conn.execute(text(sql), {**params, "lim": lim, "off": off}).all())

    if order != "due_date":
        return page("1", offset, limit)
    running = f"status NOT IN ({CLOSED_SQL}) AND due_date IS NOT NULL"
    rows = page(running, offset, limit)
    if len(rows) < limit:
        before = offset + len(rows) if rows else _count(conn, f"({where}) AND {running}", params)
        rows += page(f"NOT ({running})", max(0, offset - before), limit - len(rows))
    return rows


def term_matches(conn: Connection, term: str, limit: int) -> list[int]:
    """Case ids whose search terms (names, ID, phone, pinyin initials) include `term`, newest first."""
    rows = conn.execute(
        text("SELECT rowid FROM case_keys WHERE case_keys MATCH :q ORDER BY rowid DESC LIMIT :n"),
        {"q": keys_match([key_token(TERM, term)]), "n": limit},
    )
    return [int(r[0]) for r in rows]


def text_matches(conn: Connection, match: str, limit: int) -> list[int]:
    """Case ids whose texts match the FTS5 expression `match` (trigram index), newest first."""
    rows = conn.execute(
        text("SELECT rowid FROM cases_fts WHERE cases_fts MATCH :q ORDER BY rowid DESC LIMIT :n"),
        {"q": match, "n": limit},
    )
    return [int(r[0]) for r in rows]


def bigram_matches(conn: Connection, match: str, limit: int) -> list[int]:
    """Case ids whose texts hold the two-character FTS5 expression `match`, newest first."""
    rows = conn.execute(
        text("SELECT rowid FROM cases_bigrams WHERE cases_bigrams MATCH :q ORDER BY rowid DESC LIMIT :n"),
        {"q": match, "n": limit},
    )
    return [int(r[0]) for r in rows]


@dataclass(frozen=True)
class PartyKeys:
    """The normalised identifiers to look for among earlier cases (any may be missing).

    Attributes:
        id_number: An applicant's ID number as stored.
        phone: A phone as stored without its extension; a stored phone with an extension
            (`0457-2812345-123`) matches too.
        uscc: One or two unified social credit codes, matched as applicant's or respondent's.
        employer: The ways an employer's name may have been written (full-width or ASCII
            brackets, spaces, traditional characters), each matched exactly; empty for none.
    """

    id_number: str | None = None
    phone: str | None = None
    uscc: tuple[str, str] | None = None
    employer: tuple[str, ...] = ()


def party_cases(conn: Connection, keys: PartyKeys, limit: int = 20) -> list[Row[Any]]:
    """Cases sharing any of `keys`, newest first (by day received), from the `case_keys` index.

    Returns:
        Rows of `SUMMARY_COLUMNS` followed by applicant_uscc and respondent_uscc (index 21 and
        22); [] when `keys` holds nothing.
    """
    tokens: list[str] = []
    if keys.id_number is not None:
        tokens.append(key_token(ID_NUMBER, keys.id_number))
    if keys.phone is not None:
        tokens.append(key_token(PHONE, keys.phone))
    if keys.uscc is not None:
        tokens.extend(key_token(USCC, code) for code in sorted(set(keys.uscc)))
    tokens.extend(key_token(EMPLOYER, name) for name in keys.employer)
    if not tokens:
        return []
    sql = (
        f"SELECT {SUMMARY_COLUMNS}, applicant_uscc, respondent_uscc FROM cases"
        " WHERE id IN (SELECT rowid FROM case_keys WHERE case_keys MATCH :q)"
        " ORDER BY received_at DESC, id DESC LIMIT :lim"
    )
    params = {"q": keys_match(tokens)}
    return list(conn.execute(text(sql), {**params, "lim": limit}).all())


def late_department_counts(conn: Connection, today: str) -> list[tuple[str, int]]:
    """Departments owing a written opinion past their own due date on open cases.

    Returns:
        (department code, number of open cases it owes) pairs, most first, then by code.
    """
    rows = conn.execute(
        text(
            # from the opinions still owed (migration 16), not every department row a city keeps
            "SELECT d.dept, count(DISTINCT c.id) FROM case_departments d INDEXED BY ix_case_departments_owed"
            " JOIN cases c ON c.uuid = d.case_uuid"
            f" WHERE d.opinion IS NULL AND d.due_date < :today AND c.status NOT IN ({CLOSED_SQL})"
            " GROUP BY d.dept ORDER BY count(DISTINCT c.id) DESC, d.dept"
        ),
        {"today": today},
    ).all()
    return [(str(r[0]), int(r[1])) for r in rows]


def known_employers(conn: Connection, limit: int) -> list[tuple[str, str]]:
    """Employers named in the store with their USCC, as (name, uscc), most recent case first."""
    sql = (
        "SELECT name, uscc FROM ("
        " SELECT applicant_name AS name, applicant_uscc AS uscc, id FROM cases"
        "  WHERE applicant_kind = 'employer' AND applicant_uscc IS NOT NULL"
        " UNION ALL"
        " SELECT respondent_name, respondent_uscc, id FROM cases WHERE respondent_uscc IS NOT NULL"
        ") GROUP BY name ORDER BY max(id) DESC LIMIT :n"
    )
    return [(str(r[0]), str(r[1])) for r in conn.execute(text(sql), {"n": limit})]
