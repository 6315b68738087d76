"""Reading cases: one case in full, pages of the list, filters and search."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from station_app.domain.enums import CLOSED_STATUSES, Category, Department, Status, Track
from station_app.domain.ids import CaseNo, CaseUuid
from station_app.domain.lifecycle import ACTIONS, allowed_actions
from station_app.domain.routing import RoutingDecision
from station_app.domain.stage import DeadlineState, StageKey
from station_app.domain.validation import (
    check_id_number,
    check_phone,
    check_uscc,
    normalize_id_number,
    normalize_phone,
    normalize_uscc,
)
from station_app.dto.case import CaseDetail, CaseSummary, DepartmentProgress, TimelineEntry
from station_app.errors import NotFound
from station_app.rules.deadlines import deadline_state as rules_deadline_state
from station_app.rules.deadlines import stage_due
from station_app.services.action_checks import blocked_actions
from station_app.services.session import Session
from station_app.store.db import read
from station_app.store.projection import local_name
from station_app.store.search_index import fts_query, is_bigram_query
from station_app.store.simplified import simplified_variant, to_simplified

SUMMARY_COLUMNS = (
    "id, uuid, case_no, received_at, town_code, applicant_kind, applicant_name, applicant_id, applicant_phone,"
    " employer, category, track, lead, status, stage, stage_start, due_date, due_estimated, extended, handler,"
    " station_code"
)
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
EVENT_LABELS: dict[str, str] = {a.event: a.label for a in ACTIONS.values()} | {
    "case_registered": "受理登记",
    "personal_data_revealed": "查看完整个人信息",
    "paper_printed": "打印文书",
    "deadline_recomputed": "按导入的节假日安排重算时限",
    "disclosure_approved": "对外提供信息报批",
}
CLOSED_SQL = ", ".join(f"'{s.value}'" for s in CLOSED_STATUSES)
# The open statuses by name: `status IN (...)` seeks each one's range of the status indexes
# (open cases are few after years of closed ones), where `NOT IN` reads every case's entry.
OPEN_SQL = ", ".join(f"'{s.value}'" for s in Status if s not in CLOSED_STATUSES)


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
    received_from: str | None = None
    received_to: str | None = None
    station: str | None = None  # a city store: one station's cases (its 12-digit code)
    order_by: str = "received_at"
    descending: bool = True


def load_row(conn: Connection, ref: str) -> dict[str, Any] | None:
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


def deadline_state(
    session: Session, stage_start: str | None, due: str | None, status: str, today: date
) -> DeadlineState:
    """`NONE` for a closed case or one without a due date, else `rules.deadlines.deadline_state`
    (dates are ISO `YYYY-MM-DD`; working days on the station's calendar)."""
    if not due or Status(status) in CLOSED_STATUSES:
        return DeadlineState.NONE
    start = date.fromisoformat(stage_start) if stage_start else None
    return rules_deadline_state(session.calendar(), start, date.fromisoformat(due), today, session.deadline_settings())


def due_for(stage: StageKey, track: Track, status: Status) -> str:
    """ "书面答复(受理站)": what the case's current deadline is for and who owes it ("" when closed)."""
    due = stage_due(stage, track) if status.is_open else None
    if status is Status.ESCALATED:
        return "等待领导小组审批"
    return f"{due[0]}({due[1]})" if due else ""


def _summary(session: Session, r: Any, today: date) -> CaseSummary:
    return CaseSummary(
        id=int(r[0]),
        uuid=CaseUuid(r[1]),
        case_no=CaseNo(r[2]),
        received_at=r[3],
        town_code=r[4],
        applicant_kind=r[5],
        applicant_name=r[6],
        applicant_id=r[7],
        applicant_phone=r[8],
        employer=r[9],
        category=Category(int(r[10])),
        track=Track(r[11]),
        lead=Department(r[12]) if r[12] else None,
        status=Status(r[13]),
        stage=StageKey(r[14]),
        stage_start=r[15],
        due_date=r[16],
        due_estimated=bool(r[17]),
        extended=bool(r[18]),
        handler=r[19],
        deadline_state=deadline_state(session, r[15], r[16], r[13], today),
        due_for=due_for(StageKey(r[14]), Track(r[11]), Status(r[13])),
        station_code=r[20],
    )


def get_case(session: Session, ref: str) -> CaseDetail:
    with read(session.store.engine) as conn:
        row = load_row(conn, ref)
        if row is None:
            raise NotFound("未找到该案件")
        summary_row = conn.execute(text(f"SELECT {SUMMARY_COLUMNS} FROM cases WHERE id = :i"), {"i": row["id"]}).first()
        depts = conn.execute(
            text(
                "SELECT dept, role, signed_at, returned_at, return_reason, opinion, opinion_at, opinion_file,"
                " due_date, due_estimated, extended, opinion_on, on_time"
                " FROM case_departments WHERE case_uuid = :c ORDER BY role DESC, dept"
            ),
            {"c": row["uuid"]},
        ).all()
        notes = conn.execute(
            text("SELECT kind, body, at, author FROM case_notes WHERE case_uuid = :c ORDER BY id"), {"c": row["uuid"]}
        ).all()
        events = conn.execute(
            text("SELECT seq, at, author, type, payload FROM events WHERE case_uuid = :c ORDER BY seq"),
            {"c": row["uuid"]},
        ).all()
        papers = conn.execute(
            text(
                "SELECT paper_no, kind, issued_at, author, reprint FROM papers WHERE case_uuid = :c ORDER BY issued_at"
            ),
            {"c": row["uuid"]},
        ).all()
    assert summary_row is not None
    summary = _summary(session, summary_row, session.today())
    note_list = tuple({"kind": n[0], **json.loads(n[1]), "at": n[2], "author": n[3]} for n in notes)
    approval = next((n for n in reversed(note_list) if n["kind"] == "escalation_approved"), None)
    routing = RoutingDecision.from_json(
        {"track": row["track"], "lead": row["lead"], "co": row["co_list"], "reasons": row["reasons_list"]}
    )
    timeline = tuple(
        TimelineEntry(
            e[0],
            e[1],
            local_name(e[2], session.origin or session.station_code),
            e[3],
            EVENT_LABELS.get(e[3]) or str(e[3]),
            _public_payload(json.loads(e[4])),
        )
        for e in events
    )
    progress = tuple(_progress(d, summary.status, session.today()) for d in depts)
    recorded = frozenset(str(n["kind"]) for n in note_list)
    offered = tuple(
        a.name
        for a in allowed_actions(summary.status, session.role, summary.track, session.user == row["handler"], recorded)
    )
    refusing = [d.dept.value for d in progress if d.returned_at or d.overdue or d.on_time is False]
    return CaseDetail(
        summary=summary,
        intake=row["intake_json"],
        routing=routing,
        departments=progress,
        notes=note_list,
        timeline=timeline,
        allowed_actions=offered,
        blocked=blocked_actions(
            offered,
            summary.track,
            bool(row["approved"]),
            ((d.dept.value, d.opinion) for d in progress),
            recorded,
            refusing,
        ),
        approved=bool(row["approved"]),
        objection_route=row["objection_route"],
        satisfaction=row["satisfaction"],
        papers=tuple(
            {"paper_no": p[0], "kind": p[1], "issued_at": p[2], "author": p[3], "reprint": p[4]} for p in papers
        ),
        clue_transferred=bool(row.get("clue_transferred")),
        task_group=tuple(Department(d) for d in (approval or {}).get("task_group") or ()),
    )


def _progress(d: Any, status: Status, today: date) -> DepartmentProgress:
    """One `case_departments` row; overdue while its opinion is missing after its due date."""
    due, opinion = d[8], d[5]
    overdue = bool(due) and not opinion and status.is_open and today.isoformat() > str(due)
    return DepartmentProgress(
        Department(d[0]),
        d[1],
        d[2],
        d[3],
        d[4],
        opinion,
        d[6],
        json.loads(d[7]) if d[7] else None,
        due_date=due,
        due_estimated=bool(d[9]),
        extended=bool(d[10]),
        opinion_on=d[11],
        on_time=None if d[12] is None else bool(d[12]),
        overdue=overdue,
    )


def _public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Timeline view of a payload: no attachment bytes, no intake copy."""
    return {k: v for k, v in payload.items() if k not in ("file", "intake", "set")}


# -- search and list ------------------------------------------------------------------------

SEARCH_LIMIT = 500


_NUMBER_RE = re.compile(r"[0-9xX+\-\s]+")


def fold_query(query: str) -> str:
    """The query folded the way intake folds input: full-width forms to ASCII; a number (ID,
    phone, case number) without its spaces, with an upper-case X and a phone in its stored form."""
    q = unicodedata.normalize("NFKC", query).strip()
    if not q or not _NUMBER_RE.fullmatch(q) or not any(c.isdigit() for c in q):
        return " ".join(q.split())
    compact = re.sub(r"\s+", "", q)
    if check_phone(compact) is None:
        return normalize_phone(compact)
    if "-" in compact:  # a case number (232701100001-2025-000001) or a part of one keeps its dashes
        return compact
    return normalize_id_number(compact)


def search_hint(query: str) -> str | None:
    """Why `query` is too short to search, or None. Searches take two Chinese characters (a
    name, a pair of characters of any text), pinyin initials, or three characters of anything."""
    q = fold_query(query)
    if " " in q:
        return next((hint for word in q.split() if (hint := search_hint(word))), None)
    if not q or len(q) >= 3 or is_bigram_query(q) or (len(q) == 2 and q.isascii() and q.isalpha()):
        return None
    return "请至少输入两个汉字或三个字符"


def search_ids(conn: Connection, query: str, limit: int = SEARCH_LIMIT) -> list[int]:
    """Case ids matching `query` (names, ID, phone, employer, text, pinyin initials); several
    words (a name and an employer) find the cases that match every one. Traditional and
    simplified characters find each other (張偉, 张伟)."""
    q = fold_query(query)
    if not q:
        return []
    if " " in q:
        words = q.split()
        found = search_ids(conn, words[0], limit)
        for word in words[1:]:
            also = set(search_ids(conn, word, SEARCH_LIMIT * 20))
            found = [i for i in found if i in also]
        return found[:limit]
    ids: list[int] = []
    seen: set[int] = set()

    def take(rows: Any) -> None:
        for (i,) in rows:
            if i not in seen:
                seen.add(i)
                ids.append(int(i))

    # Newest cases first from every index (the term index holds (term, case_id), the FTS
    # indexes are ordered by rowid): the limit keeps the latest matches, whose rows sit at the
    # end of `cases` where the list's pages are, instead of the oldest ones spread over the file.
    # The index holds the simplified form of traditional names and texts: 張偉 finds 张伟 too.
    for form in (q, to_simplified(q)) if simplified_variant(q) else (q,):
        term = form.lower() if form.isascii() else form
        take(
            conn.execute(
                text("SELECT case_id FROM search_terms WHERE term = :t ORDER BY case_id DESC LIMIT :n"),
                {"t": term, "n": limit},
            )
        )
        if len(form) >= 3:
            take(
                conn.execute(
                    text("SELECT rowid FROM cases_fts WHERE cases_fts MATCH :q ORDER BY rowid DESC LIMIT :n"),
                    {"q": fts_query(form), "n": limit},
                )
            )
        elif len(ids) < limit and is_bigram_query(form):
            take(
                conn.execute(
                    text("SELECT rowid FROM cases_bigrams WHERE cases_bigrams MATCH :q ORDER BY rowid DESC LIMIT :n"),
                    {"q": fts_query(form), "n": limit},
                )
            )
    return ids[:limit]


def _where(session: Session, q: CaseQuery, conn: Connection) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    today = session.today().isoformat()
    if q.search:
        ids = search_ids(conn, q.search)
        if not ids:
            return "0", {}
        clauses.append(f"id IN ({','.join(str(i) for i in ids)})")
    if q.station:
        clauses.append("station_code = :station")
        params["station"] = q.station
    if q.status:
        clauses.append("status = :status")
        params["status"] = q.status
    if q.track:
        clauses.append("track = :track")
        params["track"] = q.track
    if q.town:
        clauses.append("town_code = :town")
        params["town"] = q.town
    if q.category:
        clauses.append("category = :category")
        params["category"] = q.category
    if q.dept:
        clauses.append("uuid IN (SELECT case_uuid FROM case_departments WHERE dept = :dept)")
        params["dept"] = q.dept
    if q.overdue:
        clauses.append(f"due_date < :today AND status IN ({OPEN_SQL})")
        params["today"] = today
    if q.due_today:
        clauses.append(f"due_date = :today AND status IN ({OPEN_SQL})")
        params["today"] = today
    if q.waiting_opinions:
        clauses.append(
            "status IN ('routed', 'in_progress') AND uuid IN"
            " (SELECT case_uuid FROM case_departments WHERE opinion IS NULL)"
        )
    if q.mine:
        clauses.append(f"handler = :me AND status NOT IN ({CLOSED_SQL})")
        params["me"] = session.user
    if q.open_only:
        clauses.append(f"status IN ({OPEN_SQL})")
    if q.received_from:
        clauses.append("received_at >= :rf")
        params["rf"] = q.received_from
    if q.received_to:
        clauses.append("received_at < :rt")
        params["rt"] = q.received_to
    return (" AND ".join(clauses) or "1"), params


def count_cases(session: Session, q: CaseQuery | None = None) -> int:
    """How many cases `q` selects. Every case: one row kept by the store (`case_total`); a
    filter counts over its index range only."""
    q = q or CaseQuery()
    with read(session.store.engine) as conn:
        where, params = _where(session, q, conn)
        if where == "1":
            return case_total(conn)
        return _count(conn, where, params)


def list_cases(session: Session, q: CaseQuery | None = None, offset: int = 0, limit: int = 200) -> list[CaseSummary]:
    """A page of the cases `q` selects, in its order. By deadline, open cases with a deadline come
    first either way round (what is due is what the desk looks for), then the others."""
    q = q or CaseQuery()
    order = SORTABLE.get(q.order_by, "received_at")
    direction = "DESC" if q.descending else "ASC"
    today = session.today()
    with read(session.store.engine) as conn:
        where, params = _where(session, q, conn)

        def page(condition: str, off: int, lim: int) -> list[Any]:
            sql = (
                f"SELECT {SUMMARY_COLUMNS} FROM cases WHERE ({where}) AND {condition}"
                f" ORDER BY {order} {direction}, id {direction} LIMIT :lim OFFSET :off"
            )
            return list(conn.execute(text(sql), {**params, "lim": lim, "off": off}).all())

        if order != "due_date":
            rows = page("1", offset, limit)
        else:  # two walks of the due-date index instead of sorting every case by an expression
            running = f"status NOT IN ({CLOSED_SQL}) AND due_date IS NOT NULL"
            rows = page(running, offset, limit)
            if len(rows) < limit:
                before = offset + len(rows) if rows else _count(conn, f"({where}) AND {running}", params)
                rows += page(f"NOT ({running})", max(0, offset - before), limit - len(rows))
    return [_summary(session, r, today) for r in rows]


def _count(conn: Connection, where: str, params: dict[str, Any]) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM cases WHERE {where}"), params).scalar_one())


def case_total(conn: Connection) -> int:
    """The number of cases in the store, from the row its triggers keep (migration 10)."""
    return int(conn.execute(text("SELECT n FROM case_total WHERE id = 1")).scalar_one())


@dataclass(frozen=True)
class DuplicateCase:
    """An earlier case of the same person or employer, and what they share: `matched` holds
    `id_number`, `phone`, `uscc` or `employer` (the employer's name)."""

    case: CaseSummary
    matched: tuple[str, ...]


def _duplicate_keys(intake: dict[str, Any]) -> dict[str, Any]:
    """The normalised identifiers of a (half-typed) intake: through the validator's
    normalisers, so that `0457 2812345` finds `0457-2812345` and spaces in an ID do not
    matter. Values the validator would refuse are left out."""
    applicant = intake.get("applicant") if isinstance(intake.get("applicant"), dict) else {}
    respondent = intake.get("respondent") if isinstance(intake.get("respondent"), dict) else {}
    assert isinstance(applicant, dict) and isinstance(respondent, dict)
    keys: dict[str, Any] = {}
    id_number, phone = str(applicant.get("id_number") or ""), str(applicant.get("phone") or "")
    if id_number and check_id_number(id_number) is None:
        keys["id_number"] = normalize_id_number(id_number)
    if phone and check_phone(phone) is None:
        keys["phone"] = normalize_phone(phone)
    employer = applicant if applicant.get("kind") == "employer" else respondent
    codes = [str(party.get("uscc") or "") for party in (applicant, respondent)]
    if usccs := sorted({normalize_uscc(c) for c in codes if c and check_uscc(c) is None}):
        keys["uscc"] = (usccs * 2)[:2]  # one or two codes, as two parameters
    name = str(employer.get("name") or "").strip()
    if name:
        keys["employer"] = name
    return keys


def find_duplicates(session: Session, intake: dict[str, Any]) -> list[DuplicateCase]:
    """Earlier cases of the same person (ID number or phone) or employer (USCC or name), in
    any category and any state, open or closed, newest first (at most 20).

    `intake` is the desk form's intake JSON as typed: identifiers are normalised by the
    validator first (one validator for every way in). A landline matches with or without
    an extension.
    """
    keys = _duplicate_keys(intake)
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if "id_number" in keys:
        clauses.append("applicant_id = :id_number")
        params["id_number"] = keys["id_number"]
    if "phone" in keys:
        main = keys["phone"] if keys["phone"].startswith("1") else "-".join(keys["phone"].split("-")[:2])
        clauses.append("applicant_phone = :phone OR applicant_phone LIKE :phone_ext")
        params.update(phone=main, phone_ext=main + "-%")
    if "uscc" in keys:
        clauses.append("applicant_uscc IN (:uscc, :uscc2) OR respondent_uscc IN (:uscc, :uscc2)")
        params.update(uscc=keys["uscc"][0], uscc2=keys["uscc"][1])
    if "employer" in keys:
        clauses.append("employer = :employer")
        params["employer"] = keys["employer"]
    if not clauses:
        return []
    with read(session.store.engine) as conn:
        rows = conn.execute(
            text(
                f"SELECT {SUMMARY_COLUMNS}, applicant_uscc, respondent_uscc FROM cases"
                f" WHERE {' OR '.join(f'({c})' for c in clauses)} ORDER BY received_at DESC, id DESC LIMIT 20"
            ),
            params,
        ).all()
    today = session.today()
    out: list[DuplicateCase] = []
    for r in rows:
        matched = []
        if "id_number" in keys and r[7] == keys["id_number"]:
            matched.append("id_number")
        if "phone" in keys and r[8] and (r[8] == params["phone"] or str(r[8]).startswith(params["phone"] + "-")):
            matched.append("phone")
        if "uscc" in keys and {r[21], r[22]} & set(keys["uscc"]):
            matched.append("uscc")
        if "employer" in keys and r[9] == keys["employer"]:
            matched.append("employer")
        out.append(DuplicateCase(_summary(session, r, today), tuple(matched)))
    return out


def late_departments(session: Session) -> list[tuple[Department, int]]:
    """Departments owing a written opinion past their own due date, with the number of open
    cases each owes (most first): the same rule as `DepartmentProgress.overdue`."""
    with read(session.store.engine) as conn:
        rows = conn.execute(
            text(
                "SELECT d.dept, count(DISTINCT c.id) FROM case_departments d JOIN cases c ON c.uuid = d.case_uuid"
                f" WHERE d.opinion IS NULL AND d.due_date < :today AND c.status NOT IN ({CLOSED_SQL})"
                " GROUP BY d.dept ORDER BY count(DISTINCT c.id) DESC, d.dept"
            ),
            {"today": session.today().isoformat()},
        ).all()
    return [(Department(r[0]), int(r[1])) for r in rows]


def station_choices(session: Session) -> dict[str, str]:
    """On a city store, the stations whose cases it may hold ({code: name}, by code) for the
    list's station filter; empty on a station store (it holds its own cases only)."""
    if not session.is_city:
        return {}
    from station_app.store.sync_state import list_peers

    with read(session.store.engine) as conn:
        return {p.peer: p.name or p.peer for p in sorted(list_peers(conn, "station"), key=lambda p: p.peer)}
