"""`sync run` through a real relay (uvicorn on 127.0.0.1; SQLite and PostgreSQL): the round trip
station -> relay -> city -> relay -> station, a relay that is down, an upload killed half-way,
two stations and the city at once, and no personal data at the relay."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app.services.session import login
from sync.relay.pgtemp import TempPostgres
from sync.relay_client import Backoff, RelayClient
from sync.run import run_round, sync_lock
from sync.station_sync import StoreExchange, transport_key
from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.relay.sync_world import (
    CANARY_ID,
    CANARY_NAME,
    CANARY_PHONE,
    CANARY_SUMMARY,
    CITY_ADMIN,
    CITY_CODE,
    World,
    cli,
    make_world,
    ok,
)

STATION_A, STATION_B = "232701100001", "232701101001"

_names = iter(range(1, 10_000))


@pytest.fixture
def storage(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Path]:
    """The relay's database URL and blob folder on the chosen backend."""
    blobs = tmp_path / "relay" / "blobs"
    if backend == "postgresql":
        cluster: TempPostgres = request.getfixturevalue("postgres")
        return cluster.create_database(f"syncrun_{next(_names)}"), blobs
    blobs.parent.mkdir(parents=True)
    return f"sqlite:///{tmp_path / 'relay' / 'relay.db'}", blobs


@pytest.fixture
def world(tmp_path: Path, storage: tuple[str, Path]) -> Iterator[World]:
    made = make_world(tmp_path / "w", *storage)
    ok(made.sync_run(made.city))  # hands the relay the keyring with the enrolled station
    yield made
    made.stop_relay()


@pytest.fixture
def world2(tmp_path: Path, storage: tuple[str, Path]) -> Iterator[World]:
    made = make_world(tmp_path / "w", *storage, codes=(STATION_A, STATION_B))
    ok(made.sync_run(made.city))
    yield made
    made.stop_relay()


def test_round_trip_station_relay_city_relay_station(world: World) -> None:
    station = world.stations[STATION_A]
    case_nos = world.add_cases(STATION_A, 2)
    before = world.status(station)
    assert before["events_waiting"] > 0 and before["last_ack"] is None
    assert world.case_states(STATION_A) == dict.fromkeys(case_nos, "待同步")

    sent = ok(world.sync_run(station))  # through the relay named in the provisioning file
    assert [b["state"] for b in sent["sent"]] == ["stored"]
    assert sent["sent"][0]["recipient"] == CITY_CODE and sent["sent"][0]["events"] == before["events_waiting"]
    assert sent["received"]["refused"] == []  # (the city's first round may have left it a bundle)
    assert world.status(station)["last_upload"] is not None  # 已上传中转
    assert world.case_states(STATION_A) == dict.fromkeys(case_nos, "已上传中转")

    city = ok(world.sync_run(world.city))
    assert city["received"]["bundles"] == 1 and city["received"]["events"] == before["events_waiting"]
    assert sorted(c["case_no"] for c in world.city_cases(STATION_A)) == sorted(case_nos)
    assert [b["recipient"] for b in city["sent"]] == [STATION_A]  # the ack goes back down
    assert world.case_states(STATION_A) == dict.fromkeys(case_nos, "已上传中转")  # the ack is not here yet

    back = ok(world.sync_run(station))
    assert back["received"]["bundles"] == 1 and back["sent"] == []
    after = world.status(station)
    assert after["events_waiting"] == 0
    assert after["last_ack"]["through_seq"] >= before["events_waiting"]  # 市级已确认
    assert world.case_states(STATION_A) == dict.fromkeys(case_nos, "市级已确认")
    assert ok(world.sync_run(station)) == {"sent": [], "received": ok_empty(back["received"])}
    assert ok(cli("audit", "verify", data_dir=station))["ok"] is True


def ok_empty(shape: dict) -> dict:
    """An import result with nothing imported, in the shape of `shape`."""
    return {k: ([] if isinstance(v, list) else 0) for k, v in shape.items()}


def test_relay_down_exits_1_keeps_events_due_and_goes_through_after_restart(world: World) -> None:
    station = world.stations[STATION_A]
    case_nos = world.add_cases(STATION_A, 1)
    waiting = world.status(station)["events_waiting"]
    world.stop_relay()

    down = world.sync_run(station)
    assert down.returncode == 1 and down.stdout == ""
    assert len(down.stderr.strip().splitlines()) == 1 and "无法连接同步中转" in down.stderr
    status = world.status(station)
    assert (status["events_waiting"], status["last_upload"]) == (waiting, None)  # nothing lost or marked sent

    url = world.start_relay()  # the same database and blobs, another port
    sent = ok(world.sync_run(station, "--relay", url))
    assert [b["state"] for b in sent["sent"]] == ["stored"]
    assert ok(world.sync_run(world.city))["received"]["bundles"] == 1
    assert [c["case_no"] for c in world.city_cases(STATION_A)] == case_nos


def test_a_station_the_city_revoked_is_refused_in_one_line_and_loses_nothing(world: World) -> None:
    station = world.stations[STATION_A]
    world.add_cases(STATION_A, 1)
    waiting = world.status(station)["events_waiting"]
    ok(cli("city", "revoke", STATION_A, "--reason", "站点电脑遗失", data_dir=world.city, user=CITY_ADMIN))
    ok(world.sync_run(world.city))  # hands the relay the keyring with the station's keys revoked

    refused = world.sync_run(station)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip() == "本站的同步密钥已被市级吊销,请联系市级"
    status = world.status(station)
    assert (status["events_waiting"], status["last_upload"]) == (waiting, None)  # nothing marked sent
    assert world.city_cases(STATION_A) == []


class Killed(Exception):
    """Stands for the process dying in the middle of an upload."""


def test_upload_killed_after_some_chunks_resumes_from_the_relays_offset(world: World) -> None:
    station = world.stations[STATION_A]
    world.add_cases(STATION_A, 4)
    chunk = 512
    session = login(station, ADMIN, ADMIN_PASSWORD)
    try:
        seen: list[int] = []

        def die_after_three_chunks(stage: str, done: int, _total: int) -> None:
            if stage == "upload":
                seen.append(done)
                if len(seen) == 4:
                    raise Killed

        client = RelayClient(world.url, transport_key(session), backoff=Backoff(3, 0.05, 0.2), chunk_size=chunk)
        with client, pytest.raises(Killed):
            run_round(StoreExchange(session), client, station, die_after_three_chunks)
    finally:
        session.close()
    assert seen[-1] == 3 * chunk
    outbox = list((station / "outbox").glob("*.msb"))
    assert len(outbox) == 1 and outbox[0].stat().st_size > 4 * chunk
    assert world.status(station)["last_upload"] is None

    resumed = ok(world.sync_run(station))  # a new process: it asks the relay where it stands
    assert resumed["sent"][0]["state"] == "stored"
    assert Path(resumed["sent"][0]["file"]).name == outbox[0].name  # the same bundle, not a new one
    assert list((station / "outbox").glob("*")) == []
    city = ok(world.sync_run(world.city))
    assert city["received"]["refused"] == [] and len(world.city_cases(STATION_A)) == 4


@pytest.mark.slow
def test_two_stations_and_the_city_at_once_every_case_arrives_once(world2: World) -> None:
    stations = [world2.stations[STATION_A], world2.stations[STATION_B]]
    a = world2.add_cases(STATION_A, 3)
    b = world2.add_cases(STATION_B, 3)
    failures: list[str] = []

    def rounds(data_dir: Path) -> None:
        for _ in range(3):
            result = world2.sync_run(data_dir)
            if result.returncode != 0 and "另一次同步" not in result.stderr:
                failures.append(result.stderr)

    threads = [threading.Thread(target=rounds, args=(d,)) for d in [*stations, world2.city]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    for _ in range(2):  # let the last acks settle
        for data_dir in [*stations, world2.city]:
            ok(world2.sync_run(data_dir))
    every = world2.city_cases()
    assert sorted(c["case_no"] for c in every) == sorted(a + b)  # each case once
    assert {c["station_code"] for c in every} == {STATION_A, STATION_B}
    for data_dir in stations:
        assert world2.status(data_dir)["events_waiting"] == 0


CANARIES = [
    t.encode(enc) for t in (CANARY_NAME, CANARY_ID, CANARY_PHONE, CANARY_SUMMARY) for enc in ("utf-8", "utf-16-le")
]


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_no_canary_at_the_relay_after_a_sync(world: World, request: pytest.FixtureRequest) -> None:
    station = world.stations[STATION_A]
    world.add_cases(STATION_A, 1, canary=True)
    ok(world.sync_run(station))
    ok(world.sync_run(world.city))  # fetched and deleted at the relay; the ack waits in the mailbox
    assert [c["case_no"] for c in world.city_cases(STATION_A)] == world.case_nos[STATION_A]
    world.stop_relay()
    if world.db_url.startswith("postgresql"):
        scanned = _files(request.getfixturevalue("postgres").data) + _files(world.blobs)
    else:
        scanned = _files(world.blobs.parent)
    assert any(p.parent.parent == world.blobs for p in scanned)  # the ack bundle is still there
    found = [(p.name, c) for p in scanned for c in CANARIES if c in p.read_bytes()]
    assert found == []
    for leftover in ("inbox", "outbox"):  # nor in the station's transfer folders
        assert [p for p in _files(station / leftover) if any(c in p.read_bytes() for c in CANARIES)] == []


@pytest.mark.parametrize("backend", ["sqlite"])  # refused before any request reaches the relay
def test_a_bad_relay_address_is_refused_and_no_address_is_one_line(world: World) -> None:
    station = world.stations[STATION_A]
    world.add_cases(STATION_A, 1)
    waiting = world.status(station)["events_waiting"]
    bad = cli("sync", "run", "--relay", "ftp://relay.example", data_dir=station)
    assert bad.returncode == 2
    assert list(json.loads(bad.stdout)["fields"]) == ["relay"]
    with sync_lock(station):  # a round of the app's is running on this data folder
        busy = world.sync_run(station)
    assert busy.returncode == 1 and busy.stderr.strip() == "另一次同步正在进行,请稍后再试"
    none = cli("sync", "run", data_dir=world.city, user="cadmin")  # the city was never provisioned
    assert none.returncode == 1 and len(none.stderr.strip().splitlines()) == 1 and "--relay" in none.stderr
    assert world.status(station)["events_waiting"] == waiting


def test_before_the_relay_knows_the_station_and_at_a_standalone_station_one_line(
    tmp_path: Path, storage: tuple[str, Path]
) -> None:
    made = make_world(tmp_path / "w", *storage)  # the city has not handed the relay its new keyring yet
    try:
        station = made.stations[STATION_A]
        made.add_cases(STATION_A, 1)
        early = made.sync_run(station)
        assert early.returncode == 1 and early.stdout == ""
        assert early.stderr.strip() == "中转还不认识本站的密钥:市级登记本站后须同步一次,把新的密钥环交给中转"
        assert made.status(station)["last_upload"] is None
        ok(made.sync_run(made.city))  # now the relay has the keyring with the station in it
        assert [b["state"] for b in ok(made.sync_run(station))["sent"]] == ["stored"]

        alone = tmp_path / "alone"
        ok(cli("init", "--station-code", "232701102001", "--station-name", "阿木尔镇社保费争议调解站",
               "--town-code", "232701102", "--admin", ADMIN, data_dir=alone, user=None))  # fmt: skip
        refused = cli("sync", "run", "--relay", made.url, data_dir=alone)
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
        assert "尚未与市级绑定" in refused.stderr
    finally:
        made.stop_relay()


def test_a_restore_bundle_queued_without_a_folder_goes_down_through_the_relay(world: World) -> None:
    station = world.stations[STATION_A]
    world.add_cases(STATION_A, 2)
    ok(world.sync_run(station))
    ok(world.sync_run(world.city))
    ok(world.sync_run(station))
    queued = ok(cli("sync", "reconcile", STATION_A, data_dir=world.city, user=CITY_ADMIN))
    assert [b["recipient"] for b in queued["bundles"]] == [STATION_A] and queued["bundles"][0]["events"] > 0
    city = ok(world.sync_run(world.city))
    assert [(s["recipient"], s["state"]) for s in city["sent"]] == [(STATION_A, "stored")]
    got = ok(world.sync_run(station))["received"]
    assert got["bundles"] == 1 and got["refused"] == [] and got["events"] == 0  # it held all of it already
    assert got["duplicates"] == queued["bundles"][0]["events"]
    assert ok(cli("audit", "verify", data_dir=station))["ok"] is True
