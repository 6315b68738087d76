"""Provisioning and binding: `init --provision`, `sync bind`, the recovery wrap of the store key,
and the fingerprints both sides read out on the phone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station_app.errors import PermissionDenied
from station_app.store.keystore import Keystore
from station_app.store.station_store import keys_path
from sync.provisioning import fingerprint_groups, open_recovery_key, unwrap_store_key
from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.sync.cityhelp import CITY_ADMIN, CITY_CODE, RECOVERY, cli, make_city, ok, open_store

A = "232701100001"


def test_bind_a_standalone_station_and_recover_its_key_at_the_city(tmp_path: Path) -> None:
    city, made = make_city(tmp_path)
    assert len(fingerprint_groups(made["fingerprint"]).split(" ")) == 16
    station = tmp_path / "standalone"
    ok(cli("init", "--station-code", A, "--station-name", "西林吉镇调解站", "--town-code", "232701100",
           "--admin", ADMIN, data_dir=station))  # fmt: skip
    other = tmp_path / "prov-other.json"
    ok(cli("city", "provision", "--station-code", "232701101001", "--station-name", "图强镇调解站",
           "--town-code", "232701101", "--out", str(other), data_dir=city, user=CITY_ADMIN))  # fmt: skip
    wrong = cli("sync", "bind", "--provision", str(other), data_dir=station, user=ADMIN)
    assert wrong.returncode == 2 and "provision" in json.loads(wrong.stdout)["fields"]

    prov = tmp_path / "prov.json"
    out = ok(cli("city", "provision", "--station-code", A, "--station-name", "西林吉镇调解站",
                 "--town-code", "232701100", "--relay", "https://relay.example.cn", "--out", str(prov),
                 data_dir=city, user=CITY_ADMIN))  # fmt: skip
    assert out == {"file": str(prov), "station_code": A, "city_fingerprint": made["fingerprint"]}
    bound = ok(cli("sync", "bind", "--provision", str(prov), data_dir=station, user=ADMIN))
    assert bound["city_fingerprint"] == made["fingerprint"] and bound["station_code"] == A
    assert cli("sync", "bind", "--provision", str(prov), data_dir=station, user=ADMIN).returncode == 1
    ident = tmp_path / "id.json"
    assert (
        ok(cli("sync", "identity", "--out", str(ident), data_dir=station, user=ADMIN))["fingerprint"]
        == bound["fingerprint"]
    )
    assert ok(cli("city", "enroll", str(ident), data_dir=city, user=CITY_ADMIN))["fingerprint"] == bound["fingerprint"]
    assert ok(cli("sync", "status", "--json", data_dir=station, user=ADMIN))["peers"][0]["peer"] == CITY_CODE

    # the store key, wrapped to the city's recovery key, readable without a password
    wrap = Keystore.load(keys_path(station)).section("recovery_wrap")
    assert wrap["station_code"] == A and wrap["city_code"] == CITY_CODE
    city_session = open_store(city, CITY_ADMIN)
    station_session = open_store(station, ADMIN)
    try:
        with pytest.raises(PermissionDenied):
            open_recovery_key(city_session, "not-the-passphrase")
        recovery = open_recovery_key(city_session, RECOVERY)
        assert unwrap_store_key(wrap, recovery) == station_session.store.key
    finally:
        city_session.close()
        station_session.close()


def test_a_bad_provisioning_file_makes_no_store(tmp_path: Path) -> None:
    city, _ = make_city(tmp_path)
    prov = tmp_path / "prov.json"
    ok(cli("city", "provision", "--station-code", A, "--station-name", "西林吉镇调解站", "--town-code",
           "232701100", "--out", str(prov), data_dir=city, user=CITY_ADMIN))  # fmt: skip
    doc = json.loads(prov.read_text())
    doc["station_name"] = "改过的名称"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    for bad in (forged, tmp_path / "missing.json"):
        result = cli("init", "--provision", str(bad), "--admin", ADMIN, data_dir=tmp_path / "st")
        assert result.returncode == 2 and "provision" in json.loads(result.stdout)["fields"]
        assert not (tmp_path / "st").exists()
    same = cli("city", "init", "--city-code", "232701", "--city-name", "测试", "--admin", CITY_ADMIN,
               data_dir=tmp_path / "city2", STATION_RECOVERY_PASSPHRASE=ADMIN_PASSWORD)  # fmt: skip
    assert same.returncode == 2 and "recovery_passphrase" in json.loads(same.stdout)["fields"]
