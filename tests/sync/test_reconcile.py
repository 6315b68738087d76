"""A station restored from an older backup, reconciled with the city (SYNC.md §3.8): the city
refuses the new epoch, sends the station's own chains back in a restore bundle, the station
takes them after its head (no number issued twice), and sync goes on; a station that went on
writing after the restore is refused whole, nothing stored, the divergence reported."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ADMIN
from tests.factories import refer_intake
from tests.sync.cityhelp import CITY_ADMIN, CITY_CODE, World, cli, make_world, ok

CODE = "232701100001"


def _add(data: Path, name: str) -> str:
    stdin = json.dumps(refer_intake(name=name), ensure_ascii=False)
    return str(ok(cli("case", "add", data_dir=data, user=ADMIN, stdin=stdin))["case_no"])


def _case_nos(data: Path, user: str, station: str | None = None) -> set[str]:
    args = ("case", "list", "--json", "--limit", "1000", *(("--station", station) if station else ()))
    return {r["case_no"] for r in ok(cli(*args, data_dir=data, user=user))}


def _restored_behind_the_city(w: World) -> tuple[Path, set[str], set[str]]:
    """Two cases, a backup, two more cases synced up to the city and acked, then the backup
    taken back: the station is behind what the city acknowledged."""
    station, city = w.stations[CODE], w.city
    early = {_add(station, "张三"), _add(station, "李四")}
    backups = w.stick("backups")
    archive = ok(cli("backup", "--to", str(backups), data_dir=station, user=ADMIN))["file"]
    late = {_add(station, "王五"), _add(station, "赵六")}
    up = ok(cli("sync", "export", "--to", str(w.stick("up1")), data_dir=station, user=ADMIN))
    ok(cli("sync", "import", up["bundles"][0]["file"], data_dir=city, user=CITY_ADMIN))
    down = ok(cli("sync", "export", "--to", str(w.stick("down1")), data_dir=city, user=CITY_ADMIN))
    ok(cli("sync", "import", down["bundles"][0]["file"], data_dir=station, user=ADMIN))
    restored = cli("restore", archive, "--yes", data_dir=station, user=ADMIN)
    assert restored.returncode == 0, restored.stderr
    assert _case_nos(station, ADMIN) == early
    return station, early, late


def test_a_restored_station_is_reconciled_and_issues_no_number_twice(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    station, city = w.stations[CODE], w.city
    _, early, late = _restored_behind_the_city(w)

    up = ok(cli("sync", "export", "--to", str(w.stick("up2")), data_dir=station, user=ADMIN))
    refused = cli("sync", "import", up["bundles"][0]["file"], data_dir=city, user=CITY_ADMIN)
    assert refused.returncode == 2 and json.loads(refused.stdout)["fields"]["bundle"] == "fork"
    status = ok(cli("sync", "status", "--json", data_dir=city, user=CITY_ADMIN))
    assert [p["forks"] for p in status["peers"] if p["peer"] == CODE] == [1]

    restore_dir = w.stick("restore")
    sent = ok(cli("sync", "reconcile", CODE, "--to", str(restore_dir), data_dir=city, user=CITY_ADMIN))
    assert sent["station_code"] == CODE and sent["forks_closed"] == 1
    assert [b["recipient"] for b in sent["bundles"]] == [CODE] and sent["bundles"][0]["events"] > 0
    status = ok(cli("sync", "status", "--json", data_dir=city, user=CITY_ADMIN))
    assert [p["forks"] for p in status["peers"] if p["peer"] == CODE] == [0]

    got = ok(cli("sync", "import", str(restore_dir), data_dir=station, user=ADMIN))
    assert got["bundles"] == 1 and got["refused"] == [] and got["events"] > 0
    assert _case_nos(station, ADMIN) == early | late  # its own cases are back
    fresh = _add(station, "孙七")
    assert fresh not in early | late and fresh.endswith("-000005")  # the counter moved past them

    up = ok(cli("sync", "export", "--to", str(w.stick("up3")), data_dir=station, user=ADMIN))
    taken = ok(cli("sync", "import", up["bundles"][0]["file"], data_dir=city, user=CITY_ADMIN))
    assert taken["bundles"] == 1 and taken["events"] >= 1  # the new epoch is read now
    assert _case_nos(city, CITY_ADMIN, CODE) == early | late | {fresh}
    assert ok(cli("audit", "verify", data_dir=station, user=ADMIN))["ok"] is True
    assert ok(cli("audit", "verify", data_dir=city, user=CITY_ADMIN))["ok"] is True


def test_a_station_that_wrote_after_the_restore_is_refused_whole_and_keeps_its_work(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    station, city = w.stations[CODE], w.city
    _, early, _ = _restored_behind_the_city(w)
    written_after = _add(station, "周八")  # the desk went on working before the city answered

    restore_dir = w.stick("restore")
    ok(cli("sync", "reconcile", CODE, "--to", str(restore_dir), data_dir=city, user=CITY_ADMIN))
    bundle = next(restore_dir.glob("*.msb"))
    before = ok(cli("audit", "verify", data_dir=station, user=ADMIN))
    refused = cli("sync", "import", str(bundle), data_dir=station, user=ADMIN)
    assert refused.returncode == 2 and json.loads(refused.stdout)["fields"]["bundle"] == "fork"
    assert _case_nos(station, ADMIN) == early | {written_after}  # nothing taken, nothing lost
    assert ok(cli("audit", "verify", data_dir=station, user=ADMIN))["events"] == before["events"]
    status = ok(cli("sync", "status", "--json", data_dir=station, user=ADMIN))
    assert [p["forks"] for p in status["peers"] if p["peer"] == CITY_CODE] == [1]


def test_only_a_city_coordinator_reconciles_and_only_an_enrolled_station(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    station, city = w.stations[CODE], w.city
    at_station = cli("sync", "reconcile", CODE, "--to", str(w.stick()), data_dir=station, user=ADMIN)
    assert at_station.returncode == 1 and at_station.stdout == ""
    unknown = cli("sync", "reconcile", "232799999999", "--to", str(w.stick()), data_dir=city, user=CITY_ADMIN)
    assert unknown.returncode == 2 and "station" in json.loads(unknown.stdout)["fields"]
    assert list(w.stick().iterdir()) == []
