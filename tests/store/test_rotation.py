"""`keys rotate`: the database under a new random key, every wrap redone, crash-safe."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlcipher3

from station_app.clock import FixedClock
from station_app.errors import AuthError, StationError
from station_app.services import audit_service, case_service
from station_app.services.key_service import rotate_store_key
from station_app.services.session import Session, login
from station_app.services.user_service import add_user, disable_user, enable_user
from station_app.store.rotation import staged_path
from station_app.store.station_store import db_path, keys_path
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, ROOT, cli_env, loop_count, run_cli
from tests.factories import intake_json

WORKER, WORKER_PASSWORD = "wangli", "worker-pass-123"


def _opens(data_dir: Path, key: bytes) -> bool:
    conn = sqlcipher3.dbapi2.connect(str(db_path(data_dir)), isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.dbapi2.DatabaseError:
        return False
    finally:
        conn.close()


@pytest.fixture
def team(station: Session) -> Session:
    add_user(station, WORKER, "worker", WORKER_PASSWORD, "王丽", FAST_KDF)
    for name in ("张三", "李四"):
        case_service.intake(station, intake_json(name=name))
    return station


def _case_numbers(session: Session) -> list[str]:
    from station_app.services import query_service
    from station_app.services.query_service import CaseQuery

    return sorted(c.case_no for c in query_service.list_cases(session, CaseQuery()))


def test_rotate_through_the_cli(team: Session, data_dir: Path, clock: FixedClock) -> None:
    old_key, cases = team.store.key, _case_numbers(team)
    wraps_before = json.loads(keys_path(data_dir).read_text(encoding="utf-8"))["users"]
    team.close()
    refused = run_cli("keys", "rotate", data_dir=data_dir, user=WORKER, password=WORKER_PASSWORD)
    assert refused.returncode == 1 and refused.stdout == "" and refused.stderr.count("\n") == 1
    proc = run_cli("keys", "rotate", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"rotated": True, "accounts": [ADMIN, WORKER]}
    assert not _opens(data_dir, old_key)  # a copy of the old key opens nothing any more
    wraps_after = json.loads(keys_path(data_dir).read_text(encoding="utf-8"))["users"]
    for name in (ADMIN, WORKER):
        assert wraps_after[name]["store"] != wraps_before[name]["store"]
        assert wraps_after[name]["wrapped"] == wraps_before[name]["wrapped"]  # the passwords' wraps of the seeds stay
    for user, password in ((ADMIN, ADMIN_PASSWORD), (WORKER, WORKER_PASSWORD)):
        session = login(data_dir, user, password, clock)
        try:
            assert session.store.key != old_key and _opens(data_dir, session.store.key)
            assert _case_numbers(session) == cases
        finally:
            session.close()
    assert run_cli("audit", "verify", data_dir=data_dir, user=ADMIN).returncode == 0
    assert not staged_path(keys_path(data_dir)).exists()


def test_the_session_goes_on_after_a_rotation_and_a_disabled_account_gets_no_new_key(
    team: Session, data_dir: Path, clock: FixedClock
) -> None:
    disable_user(team, WORKER)
    result = rotate_store_key(team)
    assert result.accounts == (ADMIN,)
    case_service.intake(team, intake_json(name="王五"))  # the open session works on the new key
    assert len(_case_numbers(team)) == 3
    assert audit_service.verify(team).ok and audit_service.accounts(team) == []
    enable_user(team, WORKER)  # sealed again to the account's public key: its own password works
    login(data_dir, WORKER, WORKER_PASSWORD, clock).close()


def test_an_account_without_a_personal_key_stops_the_rotation(tmp_path: Path, clock: FixedClock) -> None:
    from tests.store.test_golden import GOLDEN, _pw

    store = tmp_path / "v5-0.1"
    shutil.copytree(GOLDEN / "v5-0.1", store)
    session = login(store, ADMIN, _pw(store), clock)  # the admin gets its key; the worker has not logged in
    try:
        key = session.store.key
        with pytest.raises(StationError) as info:
            rotate_store_key(session)
        assert "wangli" in str(info.value)
        assert _opens(store, key) and not staged_path(keys_path(store)).exists()  # nothing changed
    finally:
        session.close()


def test_a_kill_at_any_point_leaves_the_old_or_the_new_key_working(team: Session, data_dir: Path) -> None:
    """SIGKILL a program that rotates the key in a loop, at random moments: afterwards every
    account logs in with its password, the cases are all there and the log verifies."""
    cases = _case_numbers(team)
    team.close()
    rng = random.Random(20251130)
    clock = FixedClock(team.clock.now())
    rounds = loop_count(6, 60)
    for _ in range(rounds):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.store.rotation_child", str(data_dir), ADMIN, ADMIN_PASSWORD],
            cwd=ROOT,
            env=cli_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.startswith("rotated"), first
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        for user, password in ((WORKER, WORKER_PASSWORD), (ADMIN, ADMIN_PASSWORD)):
            try:
                session = login(data_dir, user, password, clock)
            except AuthError as exc:  # pragma: no cover - the failure this test exists for
                pytest.fail(f"{user} cannot log in after a kill: {exc}")
            try:
                assert _case_numbers(session) == cases
                assert audit_service.verify(session).ok
            finally:
                session.close()
        assert not staged_path(keys_path(data_dir)).exists()
