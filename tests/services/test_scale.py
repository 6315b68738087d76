"""A store that grows to a city's million cases: what the list and search read stays bounded.

Opening the list reads its first page through an index and the total from one row; one
station's cases in a city store come from their own index range; searches keep the newest
matches. `station-app bench --profile city` reports its figures (a tiny store here; the real
sizes are measured on demand, never in tests).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from station_app.bench import CITY_FIGURES
from station_app.bench_city import (
    STATIONS,
    CityStore,
    build_city_store,
    open_list,
    register_city_figures,
    run_city_bench,
)
from station_app.clock import FixedClock
from station_app.services import case_service, query_service
from station_app.services.audit_service import rebuild_projections
from station_app.services.query_service import CaseQuery, count_cases, search_ids
from station_app.services.session import Session, login
from station_app.store.db import read
from station_app.store.migrations import LATEST, schema_version
from station_app.store.station_store import db_path
from tests.conftest import ADMIN, ADMIN_PASSWORD, as_schema_14, sqlcipher_connect
from tests.factories import refer_intake

CITY_CASES = 240  # four per synthetic station
FULL_SCAN = re.compile(r"^SCAN cases$")  # every row read, through no index


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> CityStore:
    return build_city_store(CITY_CASES, tmp_path_factory.mktemp("city") / "store")


@pytest.fixture
def city_session(city: CityStore) -> Iterator[Session]:
    session = login(city.encrypted, "admin", "bench-password-1")
    yield session
    session.close()


@contextmanager
def _recorded(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _plans(session: Session, statements: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    with session.store.engine.connect() as conn:
        return [
            (s, [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p)])
            for s, p in statements
            if s.lstrip().upper().startswith("SELECT")
        ]


def test_opening_the_list_reads_its_page_by_index_and_the_total_from_one_row(city_session: Session) -> None:
    with _recorded(city_session.store.engine) as statements:
        rows, total = open_list(city_session, CaseQuery())
    assert (rows, total) == (100, CITY_CASES)
    plans = _plans(city_session, statements)
    for statement, plan in plans:
        assert not any(FULL_SCAN.match(line) for line in plan), (statement, plan)
        assert not any("TEMP B-TREE" in line for line in plan), (statement, plan)  # no sort of every case
    page = next(plan for s, plan in plans if "ORDER BY" in s)
    assert any("ix_cases_received_at" in line for line in page), page
    assert not any("count(" in s.lower() for s, _ in plans)  # the total is the kept row, not a count


def test_one_stations_cases_come_from_their_own_index_range(city_session: Session) -> None:
    station = STATIONS[3]
    with _recorded(city_session.store.engine) as statements:
        rows, total = open_list(city_session, CaseQuery(station=station))
    assert (rows, total) == (CITY_CASES // len(STATIONS), CITY_CASES // len(STATIONS))
    page = query_service.list_cases(city_session, CaseQuery(station=station), limit=100)
    assert {c.case_no.split("-")[0] for c in page} == {station}
    assert [c.received_at for c in page] == sorted((c.received_at for c in page), reverse=True)
    with _recorded(city_session.store.engine) as more:
        assert count_cases(city_session, CaseQuery(station=station)) == total
    for statement, plan in _plans(city_session, statements + more):
        assert all("ix_cases_station_received" in line for line in plan if "cases" in line), (statement, plan)
        assert not any("TEMP B-TREE" in line for line in plan), (statement, plan)


def test_a_city_store_holds_every_stations_chain(city_session: Session) -> None:
    with read(city_session.store.engine) as conn:
        per_station = dict(conn.execute(text("SELECT station_code, count(*) FROM cases GROUP BY station_code")).all())
        chains = conn.execute(text("SELECT count(*) FROM chain_heads WHERE origin = stream")).scalar_one()
    assert per_station == {s: CITY_CASES // len(STATIONS) for s in STATIONS}
    assert chains >= len(STATIONS)


def test_a_search_with_more_matches_than_it_keeps_keeps_the_newest(city_session: Session) -> None:
    with read(city_session.store.engine) as conn:
        everyone = search_ids(conn, "漠河市", limit=10_000)  # every synthetic employer's name starts so
        newest = search_ids(conn, "漠河市", limit=7)
        pair = search_ids(conn, "漠河", limit=7)
    assert len(everyone) == CITY_CASES
    assert newest == sorted(everyone, reverse=True)[:7]
    assert pair == newest


def test_the_city_bench_reports_its_figures_and_reuses_the_built_store(city: CityStore) -> None:
    from sync.exchange_bench import city_import_figures

    register_city_figures(city_import_figures)
    try:
        result = run_city_bench(CITY_CASES, city.folder)
        again = run_city_bench(CITY_CASES, city.folder)
    finally:
        CITY_FIGURES.remove(city_import_figures)
    assert result["profile"] == "city" and result["cases"] == CITY_CASES
    assert result["built_now"] is False and result["build_s"] == city.build_s  # the store built once
    for key in ("search_p95_ms", "list_open_ms", "station_list_open_ms", "encrypted_vs_plain"):
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["station_cases"] == CITY_CASES // len(STATIONS)
    assert result["stations"] == len(STATIONS)
    # a backlog of a tenth of the store's cases (a registration and five notes each, and the station's
    # own first events: its admin, its keys) imported into a copy
    assert result["city_bundle_cases"] == CITY_CASES // 10
    assert 6 * result["city_bundle_cases"] < result["city_bundle_events"] < 6 * result["city_bundle_cases"] + 10
    assert result["city_bundle_import_s"] > 0
    assert again["city_bundle_events"] == result["city_bundle_events"]  # into a copy: the store stays as built


def test_the_bench_command_takes_the_city_profile(city: CityStore, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from station_app.cli import main

    assert (
        main(
            [
                "bench",
                "--profile",
                "city",
                "--cases",
                str(CITY_CASES),
                "--workdir",
                str(city.folder),
                "--json",
                "--no-gui",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert {"search_p95_ms", "list_open_ms", "encrypted_vs_plain", "station_list_open_ms"} <= set(result)


def test_the_case_total_follows_intakes_and_a_rebuild(station: Session) -> None:
    for name in ("张伟", "李娜", "王芳"):
        case_service.intake(station, refer_intake(name=name))
    assert count_cases(station) == 3
    assert rebuild_projections(station)["identical"]
    with read(station.store.engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 3
    assert count_cases(station) == 3


def test_an_older_store_gets_its_total_and_indexes(station: Session, data_dir: Path, clock: FixedClock) -> None:
    for name in ("张伟", "李娜"):
        case_service.intake(station, refer_intake(name=name))
    key = station.store.key
    station.close()
    conn = sqlcipher_connect(db_path(data_dir), key)  # as migration 7 left it
    as_schema_14(conn)
    conn.execute("DROP TRIGGER tr_case_total_insert")
    conn.execute("DROP TRIGGER tr_case_total_delete")
    conn.execute("DROP TABLE case_total")
    conn.execute("DROP INDEX ix_search_terms_term_case")
    conn.execute("DROP INDEX ix_cases_station_received")
    conn.execute("CREATE INDEX ix_search_terms_term ON search_terms (term)")
    conn.execute("PRAGMA user_version = 7")
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.close()

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    try:
        assert schema_version(session.store.engine) == LATEST
        assert count_cases(session) == 2
        case_service.intake(session, refer_intake(name="王芳"))
        assert count_cases(session) == 3
        assert {c.applicant_name for c in query_service.list_cases(session, CaseQuery(search="李娜"))} == {"李娜"}
    finally:
        session.close()


def test_new_cases_and_events_get_ids_that_sort_in_the_order_made(station: Session) -> None:
    nos = [case_service.intake(station, refer_intake(name=n)).case_no for n in ("张伟", "李娜")]
    with read(station.store.engine) as conn:
        uuids = [conn.execute(text("SELECT uuid FROM cases WHERE case_no = :n"), {"n": n}).scalar_one() for n in nos]
        events = [r[0] for r in conn.execute(text("SELECT uuid FROM events ORDER BY seq")).all()]
    assert all(uuid.UUID(u).version == 7 for u in uuids + events)
    assert uuids == sorted(uuids)
    # ids made within one millisecond may come in either order; across milliseconds they sort
    assert [u[:13] for u in events] == sorted(u[:13] for u in events)


@pytest.mark.parametrize("query", [CaseQuery(open_only=True), CaseQuery(overdue=True), CaseQuery(due_today=True)])
def test_the_desks_open_case_counts_seek_the_open_statuses(city_session: Session, query: CaseQuery) -> None:
    """The work queues count open cases; years of closed ones are never read."""
    with _recorded(city_session.store.engine) as statements:
        total = count_cases(city_session, query)
    assert total == len(query_service.list_cases(city_session, query, limit=10_000))
    for statement, plan in _plans(city_session, statements):
        assert all(line.startswith("SEARCH") for line in plan if "cases" in line), (statement, plan)
        assert any("ix_cases_status_due" in line for line in plan), (statement, plan)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (CaseQuery(awaiting_feedback=True), "ix_case_notes_kind"),
        (CaseQuery(waiting_opinions=True), "ix_case_departments_owed"),
        (CaseQuery(conflicted=True), "conflicts"),
    ],
)
def test_the_citys_queues_read_their_own_rows(city_session: Session, query: CaseQuery, index: str) -> None:
    """The 12345 feedback queue starts from the notes of the matters the city assigned, the
    opinions queue from the opinions still owed: neither reads every open case's rows (a city
    keeps years of them)."""
    with _recorded(city_session.store.engine) as statements:
        count_cases(city_session, query)
    (plan,) = [plan for _statement, plan in _plans(city_session, statements)]
    assert any(index in line for line in plan), plan
    assert not any(re.match(r"^SCAN (case_notes|case_departments)$", line) for line in plan), plan  # every row
    assert not any("CORRELATED" in line and "ix_case_notes_case_uuid" in line for line in plan), plan


def test_late_departments_are_counted_from_the_opinions_still_owed(city_session: Session) -> None:
    with _recorded(city_session.store.engine) as statements:
        query_service.late_departments(city_session)
    (plan,) = [plan for _statement, plan in _plans(city_session, statements)]
    assert any("ix_case_departments_owed" in line for line in plan), plan
