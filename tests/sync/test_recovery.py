"""Key recovery (DESIGN.md "Key recovery"): a station whose every password is lost gets its
store back through the city, once, for that request and that station only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from station_app.services.session import login
from station_app.store.db import read
from station_app.store.keystore import Keystore
from station_app.store.station_store import keys_path
from tests.conftest import ADMIN, ADMIN_PASSWORD, cli_env, run_cli
from tests.factories import intake_json
from tests.sync.cityhelp import CITY_ADMIN, World, cli, make_world, ok, open_store

NEW_PASSWORD = "river-lamp-5517"
A, B = "232701100001", "232701101001"


def request(world: World, code: str, out: Path, password: str = NEW_PASSWORD) -> dict[str, str]:
    """`recovery request` at station `code` (no login: only the new password)."""
    return ok(cli("recovery", "request", "--out", str(out), data_dir=world.stations[code],
                  STATION_NEW_PASSWORD=password))  # fmt: skip


def answer(world: World, req: Path, out: Path, user: str = CITY_ADMIN, **env: str) -> object:
    """`city recover` by `user` (the recovery passphrase comes from cityhelp's environment)."""
    return cli("city", "recover", str(req), "--out", str(out), data_dir=world.city, user=user, **env)


def apply(world: World, code: str, resp: Path, admin: str = "newadmin", password: str = NEW_PASSWORD) -> object:
    return cli("recovery", "apply", str(resp), "--admin", admin, data_dir=world.stations[code],
               STATION_NEW_PASSWORD=password)  # fmt: skip


def stored_epoch(data: Path, user: str) -> str:
    """The store's `store_epoch` as `user` reads it (newadmin has the password chosen at the request)."""
    session = login(data, user, NEW_PASSWORD if user == "newadmin" else ADMIN_PASSWORD)
    try:
        epoch = session.store.meta("store_epoch")
        assert epoch, "every bound station has a store epoch"
        return str(epoch)
    finally:
        session.close()


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = make_world(tmp_path, (A, B))
    ok(cli("case", "add", data_dir=w.stations[A], user=ADMIN, stdin=json.dumps(intake_json(name="林冲"))))
    return w


def test_a_station_with_every_password_lost_is_recovered_through_the_city(world: World, tmp_path: Path) -> None:
    req, resp = tmp_path / "req.json", tmp_path / "resp.json"
    made = request(world, A, req)
    assert made["station_code"] == A and len(made["fingerprint"]) == 64
    answered = ok(answer(world, req, resp))
    assert answered["fingerprint"] == made["fingerprint"]  # what the city read back on the phone
    epoch_before = Keystore.load(keys_path(world.stations[A])).section("recovery_wrap")["wrapped"]
    station_epoch = stored_epoch(world.stations[A], ADMIN)
    done = ok(apply(world, A, resp))
    assert done == {"station_code": A, "admin": "newadmin", "rotated": True, "store_epoch": done["store_epoch"],
                    "request_id": made["request_id"], "fingerprint": made["fingerprint"]}  # fmt: skip
    # the new admin works with the data intact, and the audit (accounts included) verifies
    new_admin = {"password": NEW_PASSWORD}
    listed = ok(run_cli("case", "list", "--json", data_dir=world.stations[A], user="newadmin", **new_admin))
    assert [r["applicant"] for r in listed] == ["林冲"]
    verified = run_cli("audit", "verify", data_dir=world.stations[A], user="newadmin", **new_admin)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # the store key was rotated: the recovery wrap now wraps another key, still to the city
    after = Keystore.load(keys_path(world.stations[A])).section("recovery_wrap")
    assert after["wrapped"] != epoch_before and after["city_code"] == "232700"
    # a new store epoch, and the recovery is an event of the station's own log too
    assert done["store_epoch"] != station_epoch and stored_epoch(world.stations[A], "newadmin") == done["store_epoch"]
    station = login(world.stations[A], "newadmin", NEW_PASSWORD)
    try:
        with read(station.store.engine) as conn:
            recovered = conn.execute(text("SELECT author, payload FROM events WHERE type = 'store_recovered'")).all()
    finally:
        station.close()
    assert len(recovered) == 1
    payload = json.loads(recovered[0][1])
    assert payload["name"] == "newadmin" and payload["request_id"] == made["request_id"]
    assert payload["city_code"] == "232700"
    # the city's log records who answered which request
    city = open_store(world.city, CITY_ADMIN)
    try:
        with read(city.store.engine) as conn:
            rows = conn.execute(text("SELECT author, payload FROM events WHERE type = 'recovery_answered'")).all()
    finally:
        city.close()
    assert len(rows) == 1 and rows[0][0].endswith("/" + CITY_ADMIN)
    assert json.loads(rows[0][1])["request_id"] == made["request_id"]


def test_an_answer_works_once_and_recovery_works_again_after_the_rotation(world: World, tmp_path: Path) -> None:
    req, resp = tmp_path / "req.json", tmp_path / "resp.json"
    request(world, A, req)
    ok(answer(world, req, resp))
    ok(apply(world, A, resp))
    replayed = apply(world, A, resp, admin="intruder")
    assert replayed.returncode == 1 and "只能使用一次" in replayed.stderr
    # the rotated key is still recoverable: a second request, answered, applies
    req2, resp2 = tmp_path / "req2.json", tmp_path / "resp2.json"
    request(world, A, req2, password="second-lamp-9921")
    ok(answer(world, req2, resp2))
    ok(apply(world, A, resp2, admin="third", password="second-lamp-9921"))


def test_an_answer_for_station_a_does_not_open_station_b(world: World, tmp_path: Path) -> None:
    req_a, resp_a = tmp_path / "a.json", tmp_path / "a-resp.json"
    request(world, A, req_a)
    request(world, B, tmp_path / "b.json")
    ok(answer(world, req_a, resp_a))
    refused = apply(world, B, resp_a)
    assert refused.returncode == 2 and "response" in json.loads(refused.stdout)["fields"]
    assert Keystore.load(keys_path(world.stations[B])).section("recovery_pending") is not None


@pytest.mark.parametrize("field", ["wrapped", "signature", "admin_sign_key", "request_id"])
def test_a_tampered_answer_is_refused_and_changes_nothing(world: World, tmp_path: Path, field: str) -> None:
    req, resp = tmp_path / "req.json", tmp_path / "resp.json"
    request(world, A, req)
    ok(answer(world, req, resp))
    doc = json.loads(resp.read_text(encoding="utf-8"))
    value = doc[field]
    doc[field] = value[:-1] + ("0" if value[-1] != "0" else "1")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    keys_before = keys_path(world.stations[A]).read_bytes()
    refused = apply(world, A, bad)
    assert refused.returncode == 2 and "response" in json.loads(refused.stdout)["fields"], refused.stdout
    assert keys_path(world.stations[A]).read_bytes() == keys_before
    ok(apply(world, A, resp))  # the genuine answer still applies


def test_the_new_password_must_be_the_one_chosen_at_the_request(world: World, tmp_path: Path) -> None:
    req, resp = tmp_path / "req.json", tmp_path / "resp.json"
    request(world, A, req)
    ok(answer(world, req, resp))
    wrong = apply(world, A, resp, password="another-lamp-3310")
    assert wrong.returncode == 2 and "password" in json.loads(wrong.stdout)["fields"]


def test_only_a_city_admin_with_the_recovery_passphrase_answers(world: World, tmp_path: Path) -> None:
    req = tmp_path / "req.json"
    request(world, A, req)
    added = run_cli("users", "add", "coord", "--role", "coordinator", data_dir=world.city, user=CITY_ADMIN,
                    env=cli_env(ADMIN_PASSWORD, STATION_NEW_PASSWORD="harbor-gate-6614"))  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    audited = run_cli("audit", "verify", data_dir=world.city, user=CITY_ADMIN)
    assert audited.returncode == 0, audited.stdout + audited.stderr  # the city's accounts are signed too
    coordinator = run_cli(
        "city", "recover", str(req), "--out", str(tmp_path / "r1.json"),
        data_dir=world.city, user="coord", password="harbor-gate-6614",
    )  # fmt: skip
    assert coordinator.returncode == 1 and not (tmp_path / "r1.json").exists()
    wrong_env = cli_env(ADMIN_PASSWORD, STATION_RECOVERY_PASSPHRASE="not-the-passphrase-1")
    wrong = run_cli("city", "recover", str(req), "--out", str(tmp_path / "r2.json"), data_dir=world.city,
                    user=CITY_ADMIN, env=wrong_env)  # fmt: skip
    assert wrong.returncode == 1 and "口令" in wrong.stderr and not (tmp_path / "r2.json").exists()


def test_a_revoked_station_is_not_recovered(world: World, tmp_path: Path) -> None:
    req = tmp_path / "req.json"
    request(world, B, req)
    ok(cli("city", "revoke", B, "--reason", "设备丢失", data_dir=world.city, user=CITY_ADMIN))
    refused = answer(world, req, tmp_path / "resp.json")
    assert refused.returncode == 1 and "吊销" in refused.stderr
