"""Search by name (two characters too), pinyin initials, ID, phone, employer and text, on
~2,000 cases saved through the real intake path; results are bounded and index-driven."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from station_app.clock import FixedClock
from station_app.services import case_service, query_service
from station_app.services.query_service import SEARCH_LIMIT, CaseQuery, search_ids
from station_app.services.session import Session
from station_app.services.station_service import init_station
from station_app.store.db import read
from station_app.store.search_index import initials
from station_app.synthetic import make_intake
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, START, STATION_CODE, STATION_NAME, TOWN_CODE
from tests.factories import intake_json

FILLER = 2000
TARGET_NAME = "张伟"
TARGET_ID = "232723197003051234"  # replaced below by a valid one
TARGET_EMPLOYER = "漠河市冻土层管道维修有限公司"
TARGET_SUMMARY = "反映冬季冻土层管道抢修期间加班工资未计入缴费基数。"


@dataclass
class Loaded:
    session: Session
    rows: dict[str, dict[str, Any]]  # case_no -> the fields search covers
    target: str


def _fields(data: dict[str, Any], case_no: str) -> dict[str, Any]:
    applicant = data["applicant"]
    respondent = data.get("respondent") or {}
    employer = applicant["name"] if applicant["kind"] == "employer" else respondent.get("name")
    return {
        "case_no": case_no,
        "names": [n for n in (applicant["name"], respondent.get("name"), applicant.get("contact")) if n],
        "employer": employer,
        "texts": [
            applicant["name"],
            applicant.get("contact"),
            applicant.get("id_number"),
            applicant.get("phone"),
            applicant.get("uscc"),
            respondent.get("name"),
            respondent.get("uscc"),
            employer,
            data.get("summary"),
            data.get("claim"),
            case_no,
        ],
        "summary": data.get("summary") or "",
        "claim": data.get("claim") or "",
    }


def expected(rows: dict[str, dict[str, Any]], q: str) -> set[str]:
    """What a search for `q` must find, computed independently of the index."""
    out = set()
    for no, f in rows.items():
        names = [n for n in [*f["names"], f["employer"]] if n]
        if q.isascii() and q.isalpha() and any(initials(n) == q for n in names):
            out.add(no)  # pinyin initials of a name
        elif len(q) >= 3:
            if any(t and q.lower() in str(t).lower() for t in f["texts"]):
                out.add(no)  # any text field (FTS5 trigram)
        elif not q.isascii():
            chinese = [*f["names"], f["employer"] or "", f["summary"], f["claim"]]
            if any(q in t for t in chinese):
                out.add(no)  # two characters: names, contact, employer, summary, claim
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    from station_app.synthetic import make_id

    data_dir: Path = tmp_path_factory.mktemp("search") / "station"
    session = init_station(
        data_dir, STATION_CODE, STATION_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD, FixedClock(START), FAST_KDF
    )
    rng = random.Random(1234)
    rows: dict[str, dict[str, Any]] = {}
    for _ in range(FILLER):
        data = make_intake(rng)
        res = case_service.intake(session, data)
        rows[res.case_no] = _fields(case_service.coerce_intake(data).to_json(), res.case_no)
    global TARGET_ID
    TARGET_ID = make_id(rng, region="232723")
    data = intake_json(
        name=TARGET_NAME, id_number=TARGET_ID, phone="15845671234", employer=TARGET_EMPLOYER, summary=TARGET_SUMMARY
    )
    res = case_service.intake(session, data)
    rows[res.case_no] = _fields(case_service.coerce_intake(data).to_json(), res.case_no)
    yield Loaded(session, rows, res.case_no)
    session.close()


def _search(loaded: Loaded, q: str) -> set[str]:
    hits = query_service.list_cases(loaded.session, CaseQuery(search=q), limit=SEARCH_LIMIT)
    return {h.case_no for h in hits}


def _queries() -> list[str]:
    return [
        TARGET_NAME,  # two characters: FTS5 trigram alone finds nothing
        "zw",  # pinyin initials of 张伟
        "ZW",
        "__ID_PART__",  # a substring of the ID number
        "__ID__",
        "15845671234",  # the phone
        "1584567",  # its first seven digits
        TARGET_EMPLOYER,
        "冻土层管道",  # part of the employer's name (and of the summary)
        "加班工资未计入",  # summary text
        "冻土",  # two characters of text
    ]


def _resolve(q: str) -> str:
    return {"__ID_PART__": TARGET_ID[6:14], "__ID__": TARGET_ID}.get(q, q)


def test_the_store_holds_every_case(loaded: Loaded) -> None:
    assert query_service.count_cases(loaded.session) == FILLER + 1


@pytest.mark.parametrize("raw", _queries())
def test_search_finds_the_target_and_only_matching_cases(loaded: Loaded, raw: str) -> None:
    q = _resolve(raw)
    want = expected(loaded.rows, q.lower() if q.isascii() and q.isalpha() else q)
    assert loaded.target in want  # the reference agrees the target matches
    assert len(want) < SEARCH_LIMIT
    assert _search(loaded, q) == want


def test_initials_are_the_pinyin_of_the_name() -> None:
    assert initials("张伟") == "zw" and initials("欧阳娜娜") == "oynn"


def test_two_character_names_of_filler_cases_are_found(loaded: Loaded) -> None:
    rng = random.Random(3)
    for no in rng.sample(sorted(loaded.rows), 30):
        name = loaded.rows[no]["names"][0]
        if len(name) > 6:
            continue
        for q in {name, name[:2], name[-2:]}:
            assert no in _search(loaded, q), q


def test_results_are_bounded_when_everything_matches(loaded: Loaded) -> None:
    with read(loaded.session.store.engine) as conn:
        ids = search_ids(conn, "漠河市")  # every employer name starts with it
    assert len(ids) == SEARCH_LIMIT
    page = query_service.list_cases(loaded.session, CaseQuery(search="漠河市"), limit=50)
    assert len(page) == 50
    assert all("漠河市" in (c.employer or "") for c in page)
    assert len(query_service.list_cases(loaded.session, limit=100)) == 100
    second = query_service.list_cases(loaded.session, offset=100, limit=100)
    first = query_service.list_cases(loaded.session, limit=100)
    assert not {c.case_no for c in first} & {c.case_no for c in second}


def test_no_match_and_operator_characters_are_harmless(loaded: Loaded) -> None:
    for q in ("不存在的名字", '"', "a OR b", "*", "NEAR(a b)", "%", "_", "  ", "'; DROP TABLE cases; --"):
        want = expected(loaded.rows, q.strip()) if q.strip() else set()
        assert _search(loaded, q) == want, q


FULL_SCAN = re.compile(r"^SCAN cases(\s|$)")


@contextmanager
def _recorded(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and their parameters) the store runs inside the block."""
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


@pytest.mark.parametrize(
    "raw", ["zw", "__ID_PART__", "15845671234", TARGET_EMPLOYER, "加班工资未计入", "冻土", "管道", "__CASE_NO__"]
)
def test_indexed_searches_never_scan_the_cases_table(loaded: Loaded, raw: str) -> None:
    """Names' initials, ID, phone, employer and text (two Chinese characters too) are answered
    from the indexes (exact keys, FTS5 trigram and pairs) and primary-key lookups, never by
    reading every case."""
    q = loaded.target if raw == "__CASE_NO__" else _resolve(raw)
    engine = loaded.session.store.engine
    with _recorded(engine) as statements:
        hits = query_service.list_cases(loaded.session, CaseQuery(search=q), limit=20)
    assert loaded.target in {h.case_no for h in hits}
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert any("case_keys" in s for s, _ in selects)
    with engine.connect() as conn:
        for statement, params in selects:
            plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
            assert not any(FULL_SCAN.match(line) for line in plan), (statement, plan)


def test_filters_status_and_overdue(loaded: Loaded) -> None:
    s = loaded.session
    registered = query_service.list_cases(s, CaseQuery(status="registered"), limit=SEARCH_LIMIT)
    assert registered and all(c.status.value == "registered" for c in registered)
    assert query_service.list_cases(s, CaseQuery(status="archived")) == []
    overdue = query_service.list_cases(s, CaseQuery(overdue=True), limit=5000)
    today = s.today().isoformat()
    assert overdue and all(c.due_date and c.due_date < today for c in overdue)
    assert all(c.deadline_state == "overdue" for c in overdue)
    assert len(overdue) == sum(1 for c in query_service.list_cases(s, limit=5000) if c.due_date and c.due_date < today)


def test_an_employer_applicants_contact_person_is_found_by_name(station: Session) -> None:
    from station_app.synthetic import make_uscc

    data = intake_json()
    data["applicant"] = {
        "kind": "employer",
        "name": "漠河市白桦宾馆",
        "uscc": make_uscc(random.Random(2)),
        "contact": "赵敏",
        "phone": "13845670000",
    }
    data.pop("respondent")
    no = case_service.intake(station, data).case_no
    other = case_service.intake(station, intake_json(name="李四")).case_no
    for q in ("赵敏", "zm", "漠河市白桦宾馆", "白桦宾馆", "白桦"):
        hits = {c.case_no for c in query_service.list_cases(station, CaseQuery(search=q))}
        assert hits == {no}, q
    assert other


@pytest.mark.parametrize("order_by", sorted(query_service.SORTABLE))
def test_every_sortable_column_pages_through_an_index(loaded: Loaded, order_by: str) -> None:
    """Clicking any column header sorts 100,000 cases without sorting them all in memory."""
    engine = loaded.session.store.engine
    with _recorded(engine) as statements:
        for descending in (False, True):
            page = query_service.list_cases(
                loaded.session, CaseQuery(order_by=order_by, descending=descending), offset=100, limit=50
            )
            assert len(page) == 50
    with engine.connect() as conn:
        for statement, params in statements:
            plan = " | ".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params))
            assert "TEMP B-TREE" not in plan and "USING" in plan, (order_by, plan)  # walks an index


def test_which_queries_are_too_short_to_search() -> None:
    from station_app.services.query_service import search_hint

    for q in ("张", "3", "z", "3年", "12", "A1"):
        assert search_hint(q), q
    for q in ("", "张伟", "zw", "123", "漠河市", "3年前"):
        assert search_hint(q) is None, q
