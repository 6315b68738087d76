"""Numbered migrations: the version is in the database; an older store is backed up, then migrated."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from station_app.clock import FixedClock
from station_app.services import case_service, query_service
from station_app.services.session import Session, login
from station_app.store.db import read
from station_app.store.migrations import LATEST, MIGRATIONS, schema_version
from station_app.store.station_store import db_path
from tests.conftest import ADMIN, ADMIN_PASSWORD, as_schema_14, sqlcipher_connect
from tests.factories import refer_intake

M3_INDEXES = ("ix_cases_status_due", "ix_cases_handler")  # migration 3's that migration 15 keeps
PARTY_INDEXES = ("ix_cases_applicant_id", "ix_cases_applicant_phone", "ix_cases_applicant_uscc", "ix_cases_employer")


def _indexes(conn: Any) -> set[str]:
    """The index names of a store, through a raw connection or a SQLAlchemy one."""
    sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
    rows = conn.exec_driver_sql(sql) if hasattr(conn, "exec_driver_sql") else conn.execute(sql)
    return {r[0] for r in rows}


@contextmanager
def _older_store(station: Session, data_dir: Path, version: int | None = None) -> Iterator[Any]:
    """The store's database opened raw once `station` is closed, to be made to look older.

    On leaving, its `user_version` becomes `version` (when given) and it is closed.
    """
    key = station.store.key
    station.close()
    conn = sqlcipher_connect(db_path(data_dir), key)
    try:
        yield conn
        if version is not None:
            conn.execute(f"PRAGMA user_version = {version}")
    finally:
        conn.close()


def test_schema_version_is_in_the_database(station: Session) -> None:
    numbers = [n for n, _ in MIGRATIONS]  # increasing; a number may be left free for a parallel change
    assert numbers == sorted(set(numbers)) and numbers[0] == 1 and numbers[-1] == LATEST
    assert schema_version(station.store.engine) == LATEST
    assert station.store.meta("schema_version") == str(LATEST)
    assert not (station.data_dir / "backups").exists()  # a new store needs no backup


def test_an_older_store_is_backed_up_encrypted_then_migrated(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    no = case_service.intake(station, refer_intake(name="张伟")).case_no
    key = station.store.key  # the backup is opened with it below
    # make it look like a version-2 store: migration 3's indexes gone, user_version 2
    with _older_store(station, data_dir, 2) as conn:
        as_schema_14(conn)
        for name in (*M3_INDEXES, *PARTY_INDEXES):
            conn.execute(f"DROP INDEX {name}")
        conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        assert not _indexes(conn) & set(M3_INDEXES)

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    assert schema_version(session.store.engine) == LATEST
    assert session.store.meta("schema_version") == str(LATEST)
    with read(session.store.engine) as rconn:
        names = _indexes(rconn)
    assert set(M3_INDEXES) <= names and not set(PARTY_INDEXES) & names  # made by 3, dropped by 15
    assert query_service.get_case(session, no).summary.applicant_name == "张伟"
    session.close()

    [backup] = list((data_dir / "backups").iterdir())
    assert "v2" in backup.name
    # the backup is still encrypted: plain sqlite3 cannot read it ...
    plain = sqlite3.connect(backup)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    plain.close()
    # ... but the store's key can, and it holds the pre-migration state with the data
    old = sqlcipher_connect(backup, key)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 2
    assert not _indexes(old) & set(M3_INDEXES)
    assert old.execute("SELECT count(*) FROM cases").fetchone()[0] == 1
    old.close()

    # unlocking again migrates nothing and makes no further backup
    login(data_dir, ADMIN, ADMIN_PASSWORD, clock).close()
    assert len(list((data_dir / "backups").iterdir())) == 1


def test_a_version_3_store_gains_the_pair_index_and_sort_indexes(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    from station_app.store.migrations import SORT_COLUMNS

    data = refer_intake(name="欧阳修")
    data["summary"] = "反映冬季冻土层管道抢修期间加班工资未计入缴费基数。"
    no = case_service.intake(station, data).case_no
    with _older_store(station, data_dir, 3) as conn:
        as_schema_14(conn)
        conn.execute("DROP TABLE cases_bigrams")
        for column in SORT_COLUMNS:
            conn.execute(f"DROP INDEX ix_cases_sort_{column}")

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    assert schema_version(session.store.engine) == LATEST
    with read(session.store.engine) as rconn:
        names = {r[0] for r in rconn.execute(text("SELECT name FROM sqlite_master"))}
    assert "cases_bigrams" in names
    assert {f"ix_cases_sort_{c}" for c in SORT_COLUMNS} <= names
    # two characters of the summary are found through the rebuilt pair index
    for q in ("冻土", "欧阳", "阳修"):
        assert [c.case_no for c in query_service.list_cases(session, query_service.CaseQuery(search=q))] == [no], q
    assert query_service.list_cases(session, query_service.CaseQuery(search="夏季")) == []
    session.close()


def test_a_version_4_store_moves_its_long_texts_out_of_the_cases_table(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    data = refer_intake(name="欧阳修")
    data["summary"] = "反映单位自2023年起未足额申报缴费基数。" * 20
    no = case_service.intake(station, data).case_no
    # a version-4 store kept summary, claim and the intake JSON in `cases`
    with _older_store(station, data_dir, 4) as conn:
        as_schema_14(conn)
        for column, kind in (("summary", "TEXT"), ("claim", "TEXT"), ("intake", "TEXT")):
            conn.execute(f"ALTER TABLE cases ADD COLUMN {column} {kind}")
        conn.execute(
            "UPDATE cases SET (summary, claim, intake) = (SELECT summary, claim, intake FROM case_texts"
            " WHERE case_id = cases.id)"
        )
        conn.execute("DROP TABLE case_texts")

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    assert schema_version(session.store.engine) == LATEST
    with read(session.store.engine) as rconn:
        columns = {r[1] for r in rconn.exec_driver_sql("PRAGMA table_info(cases)")}
        assert not columns & {"summary", "claim", "intake"}
        assert rconn.execute(text("SELECT count(*) FROM case_texts")).scalar_one() == 1
    detail = query_service.get_case(session, no)
    assert detail.summary.applicant_name == "欧阳修"
    assert detail.intake["summary"] == data["summary"]
    from station_app.services import audit_service

    assert audit_service.verify(session).ok
    assert audit_service.rebuild_projections(session)["identical"]
    session.close()


def test_a_version_5_store_gains_department_deadlines_and_the_clue_flag(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    """Migration 6: each department's own deadline and on-time flag, the case's clue-transfer flag."""
    no = case_service.intake(station, refer_intake(name="范仲淹")).case_no
    case_service.perform(station, no, "route", {})
    with _older_store(station, data_dir, 5) as conn:
        as_schema_14(conn)
        for column in ("due_date", "due_estimated", "extended", "opinion_on", "on_time"):
            conn.execute(f"ALTER TABLE case_departments DROP COLUMN {column}")
        conn.execute("ALTER TABLE cases DROP COLUMN clue_transferred")

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    assert schema_version(session.store.engine) == LATEST
    detail = query_service.get_case(session, no)
    assert not detail.clue_transferred and detail.departments[0].due_date is None  # emptied above
    detail = case_service.perform(session, no, "opinion", {"dept": "tax", "text": "意见。"})
    assert detail.departments[0].opinion_on == "2025-11-20"
    session.close()


def test_a_store_indexed_before_simplified_forms_finds_traditional_names_after_migrating(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    """Migration 13: a case whose name is in traditional characters is indexed again with its
    simplified form; a case in simplified characters keeps its index entries as they were."""
    trad = case_service.intake(station, refer_intake(name="張偉", summary="反映冬季採暖補貼未計入繳費基數。")).case_no
    simp = case_service.intake(station, refer_intake(name="李娜")).case_no
    with _older_store(station, data_dir, 7) as conn:
        as_schema_14(conn)
        # the index as an older program wrote it: the traditional forms only
        (case_id,) = conn.execute("SELECT id FROM cases WHERE case_no = ?", (trad,)).fetchone()
        conn.execute("DELETE FROM search_terms WHERE case_id = ? AND term NOT IN ('張偉', 'zw')", (case_id,))
        conn.execute("DELETE FROM cases_bigrams WHERE rowid = ?", (case_id,))
        conn.execute("INSERT INTO cases_bigrams (rowid, text) VALUES (?, '張偉 採暖 補貼')", (case_id,))
        conn.execute("DELETE FROM cases_fts WHERE rowid = ?", (case_id,))
        conn.execute(
            "INSERT INTO cases_fts (rowid, text) VALUES (?, '張偉 反映冬季採暖補貼未計入繳費基數。')", (case_id,)
        )

    def found(session: Session, q: str) -> list[str]:
        return [c.case_no for c in query_service.list_cases(session, query_service.CaseQuery(search=q))]

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    assert schema_version(session.store.engine) == LATEST
    for q in ("张伟", "張偉", "采暖补贴", "补贴", "採暖補貼", "zw"):
        assert found(session, q) == [trad], q
    for q in ("李娜", "ln"):
        assert found(session, q) == [simp], q
    session.close()


def test_a_store_from_a_newer_program_is_refused_untouched(station: Session, data_dir: Path, clock: FixedClock) -> None:
    from station_app.errors import StationError

    key = station.store.key
    station.close()
    conn = sqlcipher_connect(db_path(data_dir), key)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(StationError, match="版本"):
        login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    conn = sqlcipher_connect(db_path(data_dir), key)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST + 1
    conn.close()
    assert not (data_dir / "backups").exists()


def test_a_schema_14_store_moves_its_exact_terms_and_party_keys_to_the_key_index(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    """Migration 15: names, initials and case numbers are found as before, and the duplicate warning
    still finds a person by ID or phone (with or without extension) and an employer by name or
    credit code, from `case_keys` alone; `search_terms` and the four party b-trees are gone."""
    from station_app.services.query_service import find_duplicates
    from station_app.synthetic import make_id, make_uscc

    rng = random.Random(5)
    id_number, uscc = make_id(rng), make_uscc(rng)
    data = refer_intake(name="歐陽修", id_number=id_number, phone="0457-2812345-801", employer="漠河市兴安建筑有限公司")
    data["respondent"]["uscc"] = uscc
    first = case_service.intake(station, data).case_no
    other = case_service.intake(station, refer_intake(name="李娜", employer="漠河市北极林业有限公司")).case_no
    with _older_store(station, data_dir) as conn:
        as_schema_14(conn)

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    try:
        assert schema_version(session.store.engine) == LATEST
        with read(session.store.engine) as rconn:
            names = {r[0] for r in rconn.execute(text("SELECT name FROM sqlite_master"))}
        assert "case_keys" in names and "search_terms" not in names and not set(PARTY_INDEXES) & names

        def found(q: str) -> list[str]:
            return [c.case_no for c in query_service.list_cases(session, query_service.CaseQuery(search=q))]

        for q in ("歐陽修", "欧阳修", "欧阳", "oyx", first):
            assert found(q) == [first], q
        assert found("李娜") == [other]

        def warned(**applicant: str) -> list[tuple[str, tuple[str, ...]]]:
            typed = {"applicant": {"kind": "person", **applicant}}
            return [(d.case.case_no, d.matched) for d in find_duplicates(session, typed)]

        assert warned(id_number=id_number) == [(first, ("id_number",))]
        assert warned(phone="0457-2812345") == [(first, ("phone",))]
        assert warned(phone="0457-2812345-802") == [(first, ("phone",))]
        assert warned(phone="0457-2812346") == []
        employer = {"applicant": {"kind": "person"}, "respondent": {"name": "漠河市兴安建筑有限公司"}}
        assert [(d.case.case_no, d.matched) for d in find_duplicates(session, employer)] == [(first, ("employer",))]
        by_code = {"applicant": {"kind": "person"}, "respondent": {"uscc": uscc}}
        assert [(d.case.case_no, d.matched) for d in find_duplicates(session, by_code)] == [(first, ("uscc",))]
        # a case made after the migration is keyed the same way
        later = case_service.intake(session, refer_intake(name="王芳", id_number=id_number)).case_no
        assert [n for n, _ in warned(id_number=id_number)] == [later, first]
    finally:
        session.close()


def test_a_version_15_store_gains_the_queue_indexes_and_counts_the_same(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    """Migration 16: the notes by kind and the opinions still owed get their indexes; the desk's
    queues count what they counted before."""
    from station_app.services.queue_service import desk_overview

    no = case_service.intake(station, refer_intake(name="苏轼")).case_no
    case_service.perform(station, no, "route", {})
    clock.advance(days=30)  # tax's opinion is late now
    before = desk_overview(station)
    assert before.count("waiting") == 1 and before.late_departments
    with _older_store(station, data_dir, 15) as conn:
        conn.execute("DROP INDEX ix_case_notes_kind")
        conn.execute("DROP INDEX ix_case_departments_owed")

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    assert schema_version(session.store.engine) == LATEST
    with read(session.store.engine) as c:
        names = _indexes(c)
    assert {"ix_case_notes_kind", "ix_case_departments_owed"} <= names
    after = desk_overview(session)
    assert [q.count for q in after.queues] == [q.count for q in before.queues]
    assert after.late_departments == before.late_departments
    session.close()
