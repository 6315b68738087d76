"""A city, its stations and a real relay between them, all through the command line.

`city init`; a relay started with the city's keyring; per station `city provision --relay URL`,
`init --provision`, `sync identity`, `city enroll`. The relay learns the enrolled stations from
the city's first `sync run`, which hands it the newer keyring.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station_app.services.query_service import CaseQuery, list_cases
from station_app.services.session import login
from sync.case_states import case_sync_states
from sync.exchange import sync_status
from sync.relay.server import RelayThread, build_service
from sync.relay.settings import RelaySettings
from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.factories import intake_json
from tests.sync import cityhelp
from tests.sync.cityhelp import CITY_ADMIN, CITY_CODE, CITY_NAME, STATIONS, ok

__all__ = ["CITY_ADMIN", "CITY_CODE", "STATIONS", "World", "cli", "make_world", "ok"]

CANARY_NAME = "金丝雀测试人"
CANARY_ID = "232723199001011237"
CANARY_PHONE = "13912345678"
CANARY_SUMMARY = "金丝雀摘要:拖欠社保费九个月未补缴"


def cli(*args: str, data_dir: Path, user: str | None = ADMIN, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """One command against a store, as the station's admin unless `user` says otherwise."""
    return cityhelp.cli(*args, data_dir=data_dir, user=user, stdin=stdin)


@dataclass
class World:
    """The city's and the stations' data folders and the relay between them."""

    root: Path
    city: Path
    stations: dict[str, Path]
    db_url: str
    blobs: Path
    keyring_file: Path
    relay: RelayThread | None = None
    case_nos: dict[str, list[str]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        assert self.relay is not None
        return self.relay.url

    def start_relay(self) -> str:
        """Start (or restart) the relay on the same database and blobs; returns its URL."""
        service = build_service(self.keyring_file, self.db_url, self.blobs, RelaySettings(sweep_every_s=0.2))
        self.relay = RelayThread(service).__enter__()
        return self.relay.url

    def stop_relay(self) -> None:
        if self.relay is not None:
            self.relay.stop()
            self.relay = None

    def sync_run(self, data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        """`sync run` at a store: a station through the relay its provisioning file named (unless
        `extra` says `--relay`), the city (never provisioned) through `--relay` the running relay."""
        if data_dir == self.city:
            return cli("sync", "run", "--relay", self.url, *extra, data_dir=data_dir, user=CITY_ADMIN)
        return cli("sync", "run", *extra, data_dir=data_dir)

    def add_cases(self, code: str, count: int, canary: bool = False) -> list[str]:
        """`case add` at a station; returns the case numbers."""
        added = []
        for n in range(count):
            intake = (
                intake_json(name=CANARY_NAME, id_number=CANARY_ID, phone=CANARY_PHONE, summary=CANARY_SUMMARY)
                if canary
                else intake_json(summary=f"反映单位未按实际工资申报缴费基数(第{n + 1}件)。")
            )
            intake["town_code"] = STATIONS[code][1]
            out = ok(cli("case", "add", data_dir=self.stations[code], stdin=json.dumps(intake, ensure_ascii=False)))
            added.append(str(out["case_no"]))
        self.case_nos.setdefault(code, []).extend(added)
        return added

    def status(self, data_dir: Path) -> dict[str, Any]:
        """The first peer of `sync status` (a station's city), read in this process."""
        session = login(data_dir, CITY_ADMIN if data_dir == self.city else ADMIN, ADMIN_PASSWORD)
        try:
            return dict(sync_status(session).to_json()["peers"][0])
        finally:
            session.close()

    def case_states(self, code: str) -> dict[str, str]:
        """Each case's sync state at station `code` (待同步 … 市级已确认), by case number."""
        session = login(self.stations[code], ADMIN, ADMIN_PASSWORD)
        try:
            rows = list_cases(session, CaseQuery(), limit=10_000)
            states = case_sync_states(session, [r.uuid for r in rows])
            return {r.case_no: states[r.uuid] for r in rows}
        finally:
            session.close()

    def city_cases(self, code: str | None = None) -> list[dict[str, Any]]:
        """The city's case list (of one station when `code` is given), as `case list --json` rows."""
        session = login(self.city, CITY_ADMIN, ADMIN_PASSWORD)
        try:
            return [r.to_json() for r in list_cases(session, CaseQuery(station=code), limit=10_000)]
        finally:
            session.close()


def make_world(root: Path, db_url: str, blobs: Path, codes: tuple[str, ...] = ("232701100001",)) -> World:
    """A city, a relay and the stations `codes`, provisioned with the relay's address and enrolled."""
    city = root / "city"
    ok(cli("city", "init", "--city-code", CITY_CODE, "--city-name", CITY_NAME, "--admin", CITY_ADMIN,
           data_dir=city, user=None))  # fmt: skip
    keyring_file = root / "keyring.json"
    ok(cli("city", "keyring", "--out", str(keyring_file), data_dir=city, user=CITY_ADMIN))
    world = World(root, city, {}, db_url, blobs, keyring_file)
    url = world.start_relay()
    for code in codes:
        name, town = STATIONS[code]
        prov = root / f"prov-{code}.json"
        ok(cli("city", "provision", "--station-code", code, "--station-name", name, "--town-code", town,
               "--relay", url, "--out", str(prov), data_dir=city, user=CITY_ADMIN))  # fmt: skip
        data = root / f"st-{code}"
        ok(cli("init", "--provision", str(prov), "--admin", ADMIN, data_dir=data, user=None))
        ident = root / f"id-{code}.json"
        ok(cli("sync", "identity", "--out", str(ident), data_dir=data))
        ok(cli("city", "enroll", str(ident), data_dir=city, user=CITY_ADMIN))
        world.stations[code] = data
    return world
