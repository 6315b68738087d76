"""Stores written by earlier versions (tests/golden/*) open, migrate, verify and rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.services import audit_service, query_service
from station_app.services.query_service import CaseQuery
from station_app.store.migrations import LATEST, schema_version
from tests.conftest import ADMIN, ADMIN_PASSWORD, START, run_cli

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
# Stores written before the password policy carry the password they were made with.
OLD_PASSWORDS = {"v5-0.1": "admin-pass-123"}


def _pw(golden_dir: Path) -> str:
    return OLD_PASSWORDS.get(golden_dir.name, ADMIN_PASSWORD)


STORES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir() and not p.name.startswith("."))

# What every golden store holds (tests/golden/make_golden.py): applicant name -> status.
STATUSES = {
    "张伟": "registered",
    "李娜": "routed",
    "王芳": "replied",
    "刘洋": "archived",
    "陈静": "withdrawn",
    "杨磊": "not_accepted",
    "赵敏": "escalated",
    "孙强": "submitted",
}


@pytest.fixture(params=STORES)
def golden_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    target = tmp_path / request.param
    shutil.copytree(GOLDEN / request.param, target)
    return target


def test_there_is_a_golden_store() -> None:
    assert STORES


def test_golden_store_migrates_verifies_and_rebuilds(golden_dir: Path) -> None:
    from station_app.services.session import login

    session = login(golden_dir, ADMIN, _pw(golden_dir), FixedClock(START))
    try:
        assert schema_version(session.store.engine) == LATEST
        report = audit_service.verify(session)
        assert report.ok, report
        cases = query_service.list_cases(session, CaseQuery())
        assert {c.applicant_name: c.status.value for c in cases} == STATUSES
        result = audit_service.rebuild_projections(session)
        assert result["identical"] is True
        assert {c.applicant_name: c.status.value for c in query_service.list_cases(session, CaseQuery())} == STATUSES
        assert [c.case_no for c in query_service.list_cases(session, CaseQuery(search="张伟"))]
    finally:
        session.close()
    proc = run_cli("audit", "verify", data_dir=golden_dir, user=ADMIN, password=_pw(golden_dir))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run_cli("audit", "rebuild", data_dir=golden_dir, user=ADMIN, password=_pw(golden_dir))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_damage_done_before_the_upgrade_is_still_caught_after_it(golden_dir: Path) -> None:
    from station_app.services.session import login
    from station_app.store.keystore import Keystore
    from station_app.store.station_store import db_path, keys_path
    from tests.conftest import sqlcipher_connect

    key = Keystore.load(keys_path(golden_dir)).unwrap(ADMIN, _pw(golden_dir), START)
    conn = sqlcipher_connect(db_path(golden_dir), key)
    assert conn.execute("PRAGMA user_version").fetchone()[0] < LATEST
    last, middle = conn.execute("SELECT max(seq), max(seq) / 2 FROM events").fetchone()
    conn.execute("DELETE FROM events WHERE seq IN (?, ?)", (last, middle))
    conn.close()
    session = login(golden_dir, ADMIN, _pw(golden_dir), FixedClock(START))
    try:
        report = audit_service.verify(session)
        assert not report.ok
        assert report.bad_seq == middle + 1  # the hole, named at the event after it
    finally:
        session.close()


def test_old_events_fit_their_payload_classes_and_travel(golden_dir: Path, tmp_path: Path) -> None:
    """Rows kept at hash_v 1 import into another store, which verifies them with its own copy."""
    from station_app.services.session import login
    from station_app.services.station_service import init_station
    from station_app.store.db import read
    from station_app.store.events import export_envelopes
    from station_app.store.log import import_foreign
    from station_app.store.payloads import check_payload
    from tests.conftest import FAST_KDF, TOWN_CODE

    session = login(golden_dir, ADMIN, _pw(golden_dir), FixedClock(START))
    try:
        with read(session.store.engine) as conn:
            batch = export_envelopes(conn)
    finally:
        session.close()
    # the old rows kept hash_v 1; the first login added the admin's signing key (a new event)
    assert {e.hash_v for e in batch if e.type != "user_key_set"} == {1}
    assert [e.type for e in batch if e.hash_v == 2] == ["user_key_set"]
    for env in batch:
        check_payload(env.type, env.payload)
    city = init_station(tmp_path / "other", "232701100009", "另一调解站", TOWN_CODE, ADMIN, ADMIN_PASSWORD,
                        FixedClock(START), FAST_KDF)  # fmt: skip
    try:
        result = import_foreign(city.store.engine, batch)
        assert result.committed and len(result.new) == len(batch) and not result.changes.flagged
        assert audit_service.verify(city).ok
        statuses = {c.applicant_name: c.status.value for c in query_service.list_cases(city, CaseQuery())}
        assert statuses == STATUSES
    finally:
        city.close()


def test_a_golden_store_at_schema_6_migrates_too(golden_dir: Path) -> None:
    """A store upgraded to schema 6 (department deadlines) by the program before the event log
    v2 takes only migration 7 and then verifies and rebuilds like one upgraded in one go."""
    from station_app.services.session import login
    from station_app.store.db import make_engine
    from station_app.store.keystore import Keystore
    from station_app.store.migrations import migrate
    from station_app.store.station_store import db_path, keys_path

    key = Keystore.load(keys_path(golden_dir)).unwrap(ADMIN, _pw(golden_dir), START)
    engine = make_engine(db_path(golden_dir), key)
    try:
        assert schema_version(engine) == 5
        assert migrate(engine, db_path(golden_dir), target=6) == [6]
        assert schema_version(engine) == 6
    finally:
        engine.dispose()
    session = login(golden_dir, ADMIN, _pw(golden_dir), FixedClock(START))
    try:
        assert schema_version(session.store.engine) == LATEST
        assert audit_service.verify(session).ok
        assert {c.applicant_name: c.status.value for c in query_service.list_cases(session, CaseQuery())} == STATUSES
        assert audit_service.rebuild_projections(session)["identical"] is True
    finally:
        session.close()
