"""Unlock, the generic login error, lockout (persisted, injected clock), password change."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from station_app.clock import FixedClock
from station_app.errors import AuthError
from station_app.services.session import Session, login
from station_app.services.station_service import init_station
from station_app.services.user_service import add_user, change_password, list_users, unlock_user
from station_app.store.db import read
from station_app.store.keystore import GENERIC_LOGIN_ERROR, Keystore
from station_app.store.station_store import db_path, keys_path
from tests.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    FAST_KDF,
    STATION_CODE,
    STATION_NAME,
    TOWN_CODE,
    run_cli,
)

WORKER = "wang"
WORKER_PASSWORD = "worker-pass-1"
PAGE = 4096


def _add_worker(station: Session) -> None:
    add_user(station, WORKER, "worker", WORKER_PASSWORD, kdf=FAST_KDF)


def _fail(data_dir: Path, clock: FixedClock, user: str = WORKER, password: str = "wrong-password") -> None:
    with pytest.raises(AuthError) as info:
        login(data_dir, user, password, clock)
    assert str(info.value) == GENERIC_LOGIN_ERROR


def _checkpoint(session: Session) -> None:
    with session.store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def test_default_kdf_cost_is_real_and_unlocks(tmp_path: Path, clock: FixedClock) -> None:
    """The one store on the default Argon2id cost (OWASP or stronger)."""
    session = init_station(tmp_path / "s", STATION_CODE, STATION_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD, clock)
    session.close()
    entry = json.loads(keys_path(tmp_path / "s").read_text(encoding="utf-8"))["users"][ADMIN]
    assert entry["kdf"]["alg"] == "argon2id"
    assert entry["kdf"]["m"] >= 19456 and entry["kdf"]["t"] >= 2
    _fail(tmp_path / "s", clock, ADMIN)
    again = login(tmp_path / "s", ADMIN, ADMIN_PASSWORD, clock)
    assert again.store.key == session.store.key and len(again.store.key) == 32
    again.close()


def test_wrong_password_and_unknown_user_get_the_same_generic_error(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    """A wrong password and an unknown account are refused with the same words."""
    _fail(data_dir, clock, ADMIN, "not-the-password")
    _fail(data_dir, clock, "nobody", ADMIN_PASSWORD)
    ok = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    ok.close()


def test_wrong_password_on_the_cli_is_one_line_without_traceback(station: Session, data_dir: Path) -> None:
    """The command line says one line, never a traceback, for a wrong password."""
    station.close()
    for user in (ADMIN, "nobody"):
        proc = run_cli("case", "list", "--json", data_dir=data_dir, user=user, password="not-the-password")
        assert proc.returncode == 1
        assert proc.stdout == ""
        assert proc.stderr.strip() == GENERIC_LOGIN_ERROR
        assert proc.stderr.count("\n") == 1
        assert "Traceback" not in proc.stderr


def test_lockout_after_five_failures_for_fifteen_minutes_persisted(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    """Five failures lock the account for fifteen minutes, across programs."""
    _add_worker(station)
    station.close()
    start = clock.now()
    for _ in range(4):
        _fail(data_dir, clock)
        clock.advance(seconds=10)
    # four failures do not lock; the fifth does
    assert Keystore.load(keys_path(data_dir)).locked_until(WORKER, clock.now()) is None
    _fail(data_dir, clock)
    locked_at = clock.now()
    # persisted: a keystore freshly read from disk (a restarted program) sees the lock
    until = Keystore.load(keys_path(data_dir)).locked_until(WORKER, clock.now())
    assert until == locked_at + timedelta(minutes=15)
    assert until > start
    # the correct password is refused while locked, with the same generic message
    _fail(data_dir, clock, password=WORKER_PASSWORD)
    clock.advance(minutes=14, seconds=59)
    _fail(data_dir, clock, password=WORKER_PASSWORD)
    # other accounts are not affected
    admin = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    admin.close()
    clock.set(locked_at + timedelta(minutes=15))
    worker = login(data_dir, WORKER, WORKER_PASSWORD, clock)
    assert worker.role.value == "worker"
    worker.close()


def test_every_attempt_is_recorded_in_the_database(station: Session, data_dir: Path, clock: FixedClock) -> None:
    """Every login attempt reaches the database's `login_attempts`."""
    _add_worker(station)
    station.close()
    expected: list[tuple[str, bool]] = []
    for _ in range(5):
        _fail(data_dir, clock)
        expected.append((WORKER, False))
        clock.advance(seconds=1)
    _fail(data_dir, clock, password=WORKER_PASSWORD)  # locked: refused, still recorded
    expected.append((WORKER, False))
    _fail(data_dir, clock, "nobody")
    expected.append(("nobody", False))
    clock.advance(minutes=16)
    session = login(data_dir, WORKER, WORKER_PASSWORD, clock)
    expected.append((WORKER, True))
    with read(session.store.engine) as conn:
        rows = conn.execute(text("SELECT user_name, ok, at FROM login_attempts ORDER BY id")).all()
    session.close()
    # a name that is not an account (perhaps a password typed as a name) is kept as a tag only
    assert rows[6][0].startswith("?") and "nobody" not in rows[6][0]
    expected[6] = (rows[6][0], False)
    assert [(r[0], bool(r[1])) for r in rows] == expected
    assert rows[-1][2] == clock.now().isoformat()
    # handed over: the key file keeps no pending attempts
    assert json.loads(keys_path(data_dir).read_text(encoding="utf-8"))["attempts"] == []


def test_unlock_by_an_admin_clears_the_lockout(station: Session, data_dir: Path, clock: FixedClock) -> None:
    """An admin's unlock lets a locked-out account log in again."""
    _add_worker(station)
    station.close()
    for _ in range(5):
        _fail(data_dir, clock)
    _fail(data_dir, clock, password=WORKER_PASSWORD)
    admin = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    [info] = [u for u in list_users(admin) if u.name == WORKER]
    assert info.locked_until is not None
    unlock_user(admin, WORKER)
    admin.close()
    assert Keystore.load(keys_path(data_dir)).locked_until(WORKER, clock.now()) is None
    worker = login(data_dir, WORKER, WORKER_PASSWORD, clock)
    worker.close()


def test_an_open_admin_session_does_not_erase_later_lockouts_or_attempts(
    station: Session, data_dir: Path, clock: FixedClock
) -> None:
    """An older session's save of the key file keeps a lockout made after it was unlocked.

    The admin's session was unlocked before a worker got locked out at the login window;
    saving the key file from that session must not undo the lock or lose the attempts.
    """
    _add_worker(station)
    admin = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    for _ in range(5):
        _fail(data_dir, clock)
    [info] = [u for u in list_users(admin) if u.name == WORKER]
    assert info.locked_until is not None
    add_user(admin, "li", "worker", "another-pass-1", kdf=FAST_KDF)
    admin.close()
    assert Keystore.load(keys_path(data_dir)).locked_until(WORKER, clock.now()) is not None
    _fail(data_dir, clock, password=WORKER_PASSWORD)
    clock.advance(minutes=15)
    again = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    with read(again.store.engine) as conn:
        failures = conn.execute(
            text("SELECT count(*) FROM login_attempts WHERE user_name = :u AND NOT ok"), {"u": WORKER}
        ).scalar_one()
    again.close()
    assert failures == 6


def test_password_change_rewraps_and_never_reencrypts(station: Session, data_dir: Path, clock: FixedClock) -> None:
    """A password change re-wraps the account's keys; the database file is not re-encrypted."""
    key = station.store.key
    wrap_before = json.loads(keys_path(data_dir).read_text(encoding="utf-8"))["users"][ADMIN]
    _checkpoint(station)
    before = db_path(data_dir).read_bytes()
    change_password(station, ADMIN, "brand-new-pass-9", kdf=FAST_KDF)
    _checkpoint(station)
    after = db_path(data_dir).read_bytes()
    station.close()

    # The database file was not re-encrypted: the header salt and almost every page are
    # byte-identical (only the pages holding the new `password_changed` event differ;
    # a rekey would rewrite every page with fresh IVs). When the new event needs a new page,
    # the first page differs too: its header records the file's new size.
    assert before[:16] == after[:16]
    pages_before = [before[i : i + PAGE] for i in range(0, len(before), PAGE)]
    pages_after = [after[i : i + PAGE] for i in range(0, len(after), PAGE)]
    same = sum(1 for a, b in zip(pages_before, pages_after) if a == b)
    if len(pages_after) > len(pages_before) and pages_before[0] != pages_after[0]:
        same += 1
    assert len(pages_before) >= 10
    assert same >= len(pages_before) - 6, (same, len(pages_before))
    assert hashlib.sha256(before).digest() != hashlib.sha256(after).digest()

    wrap_after = json.loads(keys_path(data_dir).read_text(encoding="utf-8"))["users"][ADMIN]
    assert wrap_after["wrapped"] != wrap_before["wrapped"]
    assert wrap_after["kdf"]["salt"] != wrap_before["kdf"]["salt"]

    _fail(data_dir, clock, ADMIN, ADMIN_PASSWORD)
    fresh = login(data_dir, ADMIN, "brand-new-pass-9", clock)
    assert fresh.store.key == key
    fresh.close()


def test_a_worker_cannot_change_another_users_password(station: Session, data_dir: Path, clock: FixedClock) -> None:
    """Only an admin may set another account's password."""
    from station_app.errors import PermissionDenied

    _add_worker(station)
    worker = login(data_dir, WORKER, WORKER_PASSWORD, clock)
    with pytest.raises(PermissionDenied):
        change_password(worker, ADMIN, "hijacked-pass-1", kdf=FAST_KDF)
    change_password(worker, WORKER, "my-own-new-pass", kdf=FAST_KDF)
    worker.close()
    _fail(data_dir, clock, ADMIN, "hijacked-pass-1")
    login(data_dir, WORKER, "my-own-new-pass", clock).close()


def _attempt_in_a_process(data_dir: str, start: object, at: str) -> None:
    """One wrong password from another program (a second login window, the command line)."""
    from datetime import datetime

    from station_app.store.keystore import Keystore
    from station_app.store.station_store import keys_path

    keystore = Keystore.load(keys_path(Path(data_dir)))
    start.wait()  # type: ignore[attr-defined]
    try:
        keystore.unwrap(WORKER, "wrong-password", datetime.fromisoformat(at))
    except AuthError:
        pass


def test_failures_from_programs_running_at_once_all_count(station: Session, data_dir: Path, clock: FixedClock) -> None:
    """Eight programs try a wrong password at the same moment: none of the failures is lost.

    So the account is locked after five, exactly as if they had come one by one.
    """
    import multiprocessing

    _add_worker(station)
    station.close()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [
        ctx.Process(target=_attempt_in_a_process, args=(str(data_dir), start, clock.now().isoformat()))
        for _ in range(8)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    keystore = Keystore.load(keys_path(data_dir))
    assert keystore.locked_until(WORKER, clock.now()) is not None
    attempts = [
        a for a in json.loads(keys_path(data_dir).read_text(encoding="utf-8"))["attempts"] if a["user"] == WORKER
    ]
    assert len(attempts) == 8 and not any(a["ok"] for a in attempts)
    with pytest.raises(AuthError):
        login(data_dir, WORKER, WORKER_PASSWORD, clock)


def test_the_key_file_lock_holds_across_threads(station: Session, data_dir: Path) -> None:
    """The key file's lock is held per program, whichever thread takes it.

    The lock screen checks a password on a worker thread while the users page may change
    the key file on the GUI thread: the second waits, and the file lock is never lost.
    """
    import fcntl
    import os
    import threading

    keystore = station.store.keystore
    inside, release, entered = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with keystore.locked():
            inside.set()
            release.wait(5)

    def second() -> None:
        with keystore.locked():
            entered.set()

    t1 = threading.Thread(target=first)
    t1.start()
    assert inside.wait(5)
    t2 = threading.Thread(target=second)
    t2.start()
    assert not entered.wait(0.3)  # the second thread waits for the first
    release.set()
    t1.join(5)
    t2.join(5)
    assert entered.is_set()
    with keystore.locked():  # afterwards the file lock is still taken for real
        fd = os.open(keys_path(data_dir).with_suffix(".lock"), os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
