"""Reading cases: one case in full, pages of the list, filters and search."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

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
    strip_invisible,
)
from station_app.dto.case import CaseDetail, CaseSummary, DepartmentProgress, TimelineEntry
from station_app.errors import NotFound
from station_app.rules.deadlines import deadline_state as rules_deadline_state
from station_app.rules.deadlines import stage_due
from station_app.services.action_checks import blocked_actions
from station_app.services.session import Session
from station_app.store.db import read
from station_app.store.projection import local_name
from station_app.store.read_model import case_list, cases
from station_app.store.read_model.case_list import SORTABLE as SORTABLE
from station_app.store.read_model.case_list import CaseQuery as CaseQuery
from station_app.store.read_model.case_list import ListScope, PartyKeys
from station_app.store.search_index import fts_query, is_bigram_query
from station_app.store.search_index import phone_key as party_phone
from station_app.store.simplified import simplified_variant, to_simplified

EVENT_LABELS: dict[str, str] = {a.event: a.label for a in ACTIONS.values()} | {
    "case_registered": "受理登记",
    "personal_data_revealed": "查看完整个人信息",
    "paper_printed": "打印文书",
    "deadline_recomputed": "按导入的节假日安排重算时限",
    "disclosure_approved": "对外提供信息报批",
}


def load_row(conn: Connection, ref: str) -> dict[str, Any] | None:
    """One case's full row by case number or UUID, or None (see `read_model.cases.case_row`)."""
    return cases.case_row(conn, ref)


def deadline_state(
    session: Session, stage_start: str | None, due: str | None, status: str, today: date
) -> DeadlineState:
    """How close the case's current deadline is.

    `NONE` for a closed case or one without a due date, else `rules.deadlines.deadline_state`
    (dates are ISO `YYYY-MM-DD`; working days on the station's calendar).
    """
    if not due or Status(status) in CLOSED_STATUSES:
        return DeadlineState.NONE
    start = date.fromisoformat(stage_start) if stage_start else None
    return rules_deadline_state(session.calendar(), start, date.fromisoformat(due), today, session.deadline_settings())


def due_for(stage: StageKey, track: Track, status: Status) -> str:
    """What the case's current deadline is for and who owes it, as "书面答复(受理站)"; "" when closed."""
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
    """One case in full, by case number or UUID, as the detail screen and `case show` present it.

    Its summary with deadline state, intake, routing, departments' progress, notes, timeline,
    papers, and the actions this user may take now (with the reason an offered one is blocked).

    Raises:
        NotFound: no case has that number or UUID.
    """
    with read(session.store.engine) as conn:
        row = load_row(conn, ref)
        if row is None:
            raise NotFound("未找到该案件")
        summary_row = cases.summary_row(conn, int(row["id"]))
        depts = cases.department_rows(conn, row["uuid"])
        notes = cases.note_rows(conn, row["uuid"])
        events = cases.event_rows(conn, row["uuid"])
        papers = cases.paper_rows(conn, row["uuid"])
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
_SPACED_CASE_NO_RE = re.compile(r"\d{12}\s+\d{4}(\s+\d{1,6})?", re.ASCII)


def fold_query(query: str) -> str:
    """The query folded the way intake folds input.

    Invisible characters (zero-width spaces, BOM, bidi marks) dropped and full-width forms made
    ASCII; a number (ID, phone, case number) without its spaces, with an upper-case X and a phone
    in its stored form, however intake would have taken it (`(0457)2812345`, `转801`); a valid
    credit code with its spaces and dashes removed.
    """
    q = unicodedata.normalize("NFKC", strip_invisible(query)).strip()
    if q and any(c.isdigit() for c in q):
        if check_phone(q) is None:
            return normalize_phone(q)
        if check_uscc(q) is None:
            return normalize_uscc(q)
    if not q or not _NUMBER_RE.fullmatch(q) or not any(c.isdigit() for c in q):
        return " ".join(q.split())
    if _SPACED_CASE_NO_RE.fullmatch(q):  # 232701100001 2025 000001: a case number typed in groups
        return "-".join(q.split())
    compact = re.sub(r"\s+", "", q)
    if check_phone(compact) is None:
        return normalize_phone(compact)
    if "-" in compact:  # a case number (232701100001-2025-000001) or a part of one keeps its dashes
        return compact
    return normalize_id_number(compact)


def search_hint(query: str) -> str | None:
    """Why `query` is too short to search, or None.

    Searches take two Chinese characters (a name, a pair of characters of any text), pinyin
    initials, or three characters of anything.
    """
    q = fold_query(query)
    if " " in q:
        return next((hint for word in q.split() if (hint := search_hint(word))), None)
    if not q or len(q) >= 3 or is_bigram_query(q) or (len(q) == 2 and q.isascii() and q.isalpha()):
        return None
    return "请至少输入两个汉字或三个字符"


def search_ids(conn: Connection, query: str, limit: int = SEARCH_LIMIT) -> list[int]:
    """Case ids matching `query` (names, ID, phone, employer, text, pinyin initials).

    Several words (a name and an employer) find the cases that match every one, in any order.
    Traditional and simplified characters find each other (張偉, 张伟).
    """
    q = fold_query(query)
    if not q:
        return []
    if " " in q:
        # Each word's matches, the fewest first: a name typed after a word every case shares (漠河市,
        # an employer with hundreds of cases) must not be looked for among that word's newest only.
        matches = sorted((search_ids(conn, word, SEARCH_LIMIT * 20) for word in q.split()), key=len)
        found = matches[0]
        for other in matches[1:]:
            also = set(other)
            found = [i for i in found if i in also]
        return found[:limit]
    ids: list[int] = []
    seen: set[int] = set()

    def take(found: list[int]) -> None:
        for i in found:
            if i not in seen:
                seen.add(i)
                ids.append(i)

    # Newest cases first from every index (the term index holds (term, case_id), the FTS
    # indexes are ordered by rowid): the limit keeps the latest matches, whose rows sit at the
    # end of `cases` where the list's pages are, instead of the oldest ones spread over the file.
    # The index holds the simplified form of traditional names and texts: 張偉 finds 张伟 too.
    for form in (q, to_simplified(q)) if simplified_variant(q) else (q,):
        term = form.lower() if form.isascii() else form
        take(case_list.term_matches(conn, term, limit))
        if len(form) >= 3:
            take(case_list.text_matches(conn, fts_query(form), limit))
        elif len(ids) < limit and is_bigram_query(form):
            take(case_list.bigram_matches(conn, fts_query(form), limit))
    return ids[:limit]


def _scope(session: Session, q: CaseQuery, conn: Connection) -> ListScope:
    """What the list filter reads besides `q`: today, the user, and the search's matches."""
    matched = search_ids(conn, q.search) if q.search else None
    return ListScope(session.today().isoformat(), session.user, matched)


def count_cases(session: Session, q: CaseQuery | None = None) -> int:
    """How many cases `q` selects.

    Every case: one row kept by the store (`case_total`); a filter counts over its index range only.
    """
    q = q or CaseQuery()
    with read(session.store.engine) as conn:
        return case_list.count_matching(conn, q, _scope(session, q, conn))


def list_cases(session: Session, q: CaseQuery | None = None, offset: int = 0, limit: int = 200) -> list[CaseSummary]:
    """A page of the cases `q` selects, in its order.

    By deadline, open cases with a deadline come first either way round (what is due is what the
    desk looks for), then the others.
    """
    q = q or CaseQuery()
    today = session.today()
    with read(session.store.engine) as conn:
        rows = case_list.list_page(conn, q, _scope(session, q, conn), offset, limit)
    return [_summary(session, r, today) for r in rows]


@dataclass(frozen=True)
class DuplicateCase:
    """An earlier case of the same person or employer, and what they share.

    `matched` holds `id_number`, `phone`, `uscc` or `employer` (the employer's name).
    """

    case: CaseSummary
    matched: tuple[str, ...]


def _duplicate_keys(intake: dict[str, Any]) -> PartyKeys:
    """The normalised identifiers of a (half-typed) intake.

    Through the validator's normalisers, so that `0457 2812345` finds `0457-2812345` and spaces in
    an ID do not matter. Values the validator would refuse are left out; a landline loses its
    extension.
    """
    applicant = intake.get("applicant") if isinstance(intake.get("applicant"), dict) else {}
    respondent = intake.get("respondent") if isinstance(intake.get("respondent"), dict) else {}
    assert isinstance(applicant, dict) and isinstance(respondent, dict)
    id_key: str | None = None
    phone_key: str | None = None
    uscc_key: tuple[str, str] | None = None
    id_number, phone = str(applicant.get("id_number") or ""), str(applicant.get("phone") or "")
    if id_number and check_id_number(id_number) is None:
        id_key = normalize_id_number(id_number)
    if phone and check_phone(phone) is None:
        phone_key = party_phone(normalize_phone(phone))
    employer = applicant if applicant.get("kind") == "employer" else respondent
    codes = [str(party.get("uscc") or "") for party in (applicant, respondent)]
    if usccs := sorted({normalize_uscc(c) for c in codes if c and check_uscc(c) is None}):
        uscc_key = (usccs[0], usccs[-1])  # one or two codes, as two parameters
    return PartyKeys(id_key, phone_key, uscc_key, _name_forms(str(employer.get("name") or "")))


def _name_forms(name: str) -> tuple[str, ...]:
    """The ways an employer's name typed as `name` may have been stored.

    As typed; without invisible characters and spaces, full width folded; with full-width
    brackets (the usual form in a registered name); and the simplified form of each. Empty when
    nothing is typed.
    """
    folded = "".join(unicodedata.normalize("NFKC", strip_invisible(name)).split())
    forms = {name.strip(), folded, folded.replace("(", "（").replace(")", "）")}
    forms |= {to_simplified(form) for form in forms}
    return tuple(sorted(form for form in forms if form))


def find_duplicates(session: Session, intake: dict[str, Any]) -> list[DuplicateCase]:
    """Earlier cases of the same person or employer, newest first (at most 20).

    The same person: ID number or phone; the same employer: USCC or name. In any category and any
    state, open or closed.

    `intake` is the desk form's intake JSON as typed: identifiers are normalised by the
    validator first (one validator for every way in). A landline matches with or without
    an extension.
    """
    keys = _duplicate_keys(intake)
    with read(session.store.engine) as conn:
        rows = case_list.party_cases(conn, keys, limit=20)
    today = session.today()
    out: list[DuplicateCase] = []
    for r in rows:
        matched = []
        if keys.id_number is not None and r[7] == keys.id_number:
            matched.append("id_number")
        if keys.phone is not None and r[8] and (r[8] == keys.phone or str(r[8]).startswith(keys.phone + "-")):
            matched.append("phone")
        if keys.uscc is not None and {r[21], r[22]} & set(keys.uscc):
            matched.append("uscc")
        if r[9] in keys.employer:
            matched.append("employer")
        out.append(DuplicateCase(_summary(session, r, today), tuple(matched)))
    return out


def late_departments(session: Session) -> list[tuple[Department, int]]:
    """Departments owing a written opinion past their own due date.

    With the number of open cases each owes (most first): the same rule as
    `DepartmentProgress.overdue` (四(二): each department's own time limit).
    """
    with read(session.store.engine) as conn:
        rows = case_list.late_department_counts(conn, session.today().isoformat())
    return [(Department(code), n) for code, n in rows]


def station_choices(session: Session) -> dict[str, str]:
    """The stations a city store may hold cases of, for the list's station filter.

    {code: name}, by code; empty on a station store (it holds its own cases only).
    """
    if not session.is_city:
        return {}
    from station_app.store.sync_state import list_peers

    with read(session.store.engine) as conn:
        return {p.peer: p.name or p.peer for p in sorted(list_peers(conn, "station"), key=lambda p: p.peer)}
