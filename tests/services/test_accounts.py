"""Disabling accounts and the signed account events that `audit verify` checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from station_app.clock import FixedClock
from station_app.errors import AuthError, PermissionDenied, StationError
from station_app.services import audit_service
from station_app.services.session import Session, login
from station_app.services.user_service import (
    add_user,
    change_password,
    disable_user,
    enable_user,
    list_users,
    record_signed,
    set_role,
)
from station_app.store import account_trust
from station_app.store.db import read, write
from station_app.store.keystore import GENERIC_LOGIN_ERROR, Keystore
from station_app.store.station_store import db_path, keys_path
from tests.conftest import ADMIN, FAST_KDF, run_cli, sqlcipher_connect

WORKER, WORKER_PASSWORD = "wangli", "worker-pass-123"


def _events(session: Session, type_: str) -> list[dict[str, object]]:
    with read(session.store.engine) as conn:
        rows = conn.execute(text("SELECT payload FROM events WHERE type = :t ORDER BY seq"), {"t": type_})
        return [json.loads(r[0]) for r in rows]


@pytest.fixture
def team(station: Session) -> Session:
    add_user(station, WORKER, "worker", WORKER_PASSWORD, "王丽", FAST_KDF)
    return station


def test_disable_and_enable_through_the_cli(team: Session, data_dir: Path) -> None:
    team.close()
    assert run_cli("case", "list", "--json", data_dir=data_dir, user=WORKER, password=WORKER_PASSWORD).returncode == 0
    # only an admin may disable, and not themself
    refused = run_cli("users", "disable", ADMIN, data_dir=data_dir, user=WORKER, password=WORKER_PASSWORD)
    assert refused.returncode == 1 and refused.stdout == "" and refused.stderr.count("\n") == 1
    own = run_cli("users", "disable", ADMIN, data_dir=data_dir, user=ADMIN)
    assert own.returncode == 1 and "自己" in own.stderr

    done = run_cli("users", "disable", WORKER, data_dir=data_dir, user=ADMIN)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"name": WORKER, "active": False}
    blocked = run_cli("case", "list", "--json", data_dir=data_dir, user=WORKER, password=WORKER_PASSWORD)
    assert blocked.returncode == 1 and blocked.stderr.strip() == GENERIC_LOGIN_ERROR
    listed = json.loads(run_cli("users", "list", data_dir=data_dir, user=ADMIN).stdout)
    assert {u["name"]: u["active"] for u in listed} == {ADMIN: True, WORKER: False}  # kept for the audit
    assert run_cli("audit", "verify", data_dir=data_dir, user=ADMIN).returncode == 0

    back = run_cli("users", "enable", WORKER, data_dir=data_dir, user=ADMIN)
    assert json.loads(back.stdout) == {"name": WORKER, "active": True}
    assert run_cli("case", "list", "--json", data_dir=data_dir, user=WORKER, password=WORKER_PASSWORD).returncode == 0


def test_a_disabled_accounts_password_no_longer_opens_the_key(team: Session, data_dir: Path, clock: FixedClock) -> None:
    disable_user(team, WORKER)
    with pytest.raises(AuthError):
        Keystore.load(keys_path(data_dir)).unwrap(WORKER, WORKER_PASSWORD, clock.now())
    [event] = [e for e in _events(team, "user_changed") if e.get("active") is False]
    assert event["name"] == WORKER and event["sig"]
    with pytest.raises(StationError):
        disable_user(team, WORKER)  # already disabled
    enable_user(team, WORKER)
    assert Keystore.load(keys_path(data_dir)).unwrap(WORKER, WORKER_PASSWORD, clock.now()) == team.store.key


def test_the_last_active_admin_cannot_be_disabled_or_demoted(team: Session) -> None:
    with pytest.raises(StationError):
        set_role(team, ADMIN, "worker")
    add_user(team, "zhaogang", "admin", "second-admin-77", kdf=FAST_KDF)
    other = login(team.data_dir, "zhaogang", "second-admin-77", team.clock)
    try:
        disable_user(other, ADMIN)
        with pytest.raises(StationError):
            disable_user(other, "zhaogang")  # themself
    finally:
        other.close()


def test_user_added_carries_the_public_key_and_a_valid_signature(team: Session, data_dir: Path) -> None:
    added = {str(e["name"]): e for e in _events(team, "user_added")}
    keystore = Keystore.load(keys_path(data_dir))
    for name in (ADMIN, WORKER):
        public = keystore.public_keys(name)
        assert public is not None and added[name]["sign_key"] == public[1]
        assert added[name]["sig"]
    assert audit_service.accounts(team) == []


def test_a_role_edited_in_place_is_caught_by_audit_verify(team: Session, data_dir: Path) -> None:
    key = team.store.key
    team.close()
    conn = sqlcipher_connect(db_path(data_dir), key)
    conn.execute("UPDATE users SET role = 'admin' WHERE name = ?", (WORKER,))
    conn.close()
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["ok"] is False and out["reason"] == account_trust.ROW_CHANGED
    assert out["accounts"]["problems"] == [{"name": WORKER, "reason": account_trust.ROW_CHANGED, "event": None}]
    assert WORKER in proc.stderr


def test_a_role_event_not_signed_by_an_admin_is_caught(team: Session, data_dir: Path, clock: FixedClock) -> None:
    """A worker holding the store key appends `user_changed` making themself admin, signed with
    their own key: the event is recorded, and `audit verify` names it."""
    worker = login(data_dir, WORKER, WORKER_PASSWORD, clock)
    try:
        with write(worker.store.engine) as conn:
            record_signed(worker, conn, "user_changed", {"name": WORKER, "role": "admin"})
        [forged] = [e for e in _events(worker, "user_changed") if e.get("role") == "admin"]
        problems = audit_service.accounts(worker)
    finally:
        worker.close()
    assert [(p.name, p.reason) for p in problems] == [(WORKER, account_trust.NOT_ADMIN)]
    assert forged["sig"]
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1 and json.loads(proc.stdout)["reason"] == account_trust.NOT_ADMIN


def test_an_unsigned_role_event_after_signing_began_is_caught(team: Session) -> None:
    from station_app.store.log import append_local

    with write(team.store.engine) as conn:
        append_local(conn, "user_changed", {"name": WORKER, "role": "head"}, origin=team.station_code,
                     author=ADMIN, at=team.now_iso())  # fmt: skip
    assert [(p.name, p.reason) for p in audit_service.accounts(team)] == [(WORKER, account_trust.UNSIGNED)]


def test_a_password_reset_gives_a_new_key_and_a_role_change_is_signed(team: Session, data_dir: Path) -> None:
    before = Keystore.load(keys_path(data_dir)).public_keys(WORKER)
    change_password(team, WORKER, "brand-new-words-5", kdf=FAST_KDF)
    after = Keystore.load(keys_path(data_dir)).public_keys(WORKER)
    assert before is not None and after is not None and before[1] != after[1]
    [reset] = [e for e in _events(team, "password_changed") if e["name"] == WORKER]
    assert reset["sign_key"] == after[1]
    set_role(team, WORKER, "head")
    assert {u.name: u.role.value for u in list_users(team)}[WORKER] == "head"
    assert audit_service.accounts(team) == []
    worker = login(data_dir, WORKER, "brand-new-words-5", team.clock)
    try:
        change_password(worker, WORKER, "my-own-choice-42", kdf=FAST_KDF)  # the user's own change keeps the key
        assert Keystore.load(keys_path(data_dir)).public_keys(WORKER) == after
        with pytest.raises(PermissionDenied):
            disable_user(worker, ADMIN)
    finally:
        worker.close()
    assert audit_service.accounts(team) == []


def test_an_old_account_gets_its_key_at_its_first_login(tmp_path: Path, clock: FixedClock) -> None:
    """The golden store (before per-account keys): the admin's first login records its key."""
    import shutil

    from tests.store.test_golden import GOLDEN, _pw

    store = tmp_path / "v5-0.1"
    shutil.copytree(GOLDEN / "v5-0.1", store)
    session = login(store, ADMIN, _pw(store), clock)
    try:
        [event] = _events(session, "user_key_set")
        assert event["name"] == ADMIN and session.keys is not None and event["sign_key"] == session.keys.sign_public
        assert audit_service.accounts(session) == []
    finally:
        session.close()
    again = login(store, ADMIN, _pw(store), clock)  # once only
    try:
        assert len(_events(again, "user_key_set")) == 1
    finally:
        again.close()
