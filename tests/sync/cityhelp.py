"""Helpers for the city and sync command-line tests: a city, provisioned and enrolled stations."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import ADMIN, ADMIN_PASSWORD, cli_env, run_cli

CITY_CODE = "232700"
CITY_NAME = "漠河市"
CITY_ADMIN = "cadmin"
RECOVERY = "recovery-pass-456"
STATIONS = {
    "232701100001": ("西林吉镇社保费争议调解站", "232701100"),
    "232701101001": ("图强镇社保费争议调解站", "232701101"),
}


def cli(*args: str, data_dir: Path, user: str | None = None, stdin: str = "",
        password: str = ADMIN_PASSWORD, **env: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Run one command against a store (recovery passphrase in the environment)."""
    return run_cli(*args, data_dir=data_dir, user=user, stdin=stdin, password=password,
                   env=cli_env(password, **{"STATION_RECOVERY_PASSPHRASE": RECOVERY, **env}))  # fmt: skip


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    """The JSON a command printed, after checking it exited 0."""
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return json.loads(result.stdout.splitlines()[-1])


@dataclass
class World:
    """A city and its bound stations, each in its own data folder under `root`."""

    root: Path
    city: Path
    stations: dict[str, Path]
    fingerprints: dict[str, str]

    def stick(self, name: str = "stick") -> Path:
        folder = self.root / name
        folder.mkdir(exist_ok=True)
        return folder


def make_city(root: Path) -> tuple[Path, dict[str, Any]]:
    city = root / "city"
    out = ok(cli("city", "init", "--city-code", CITY_CODE, "--city-name", CITY_NAME, "--admin", CITY_ADMIN,
                 data_dir=city))  # fmt: skip
    return city, out


def make_world(root: Path, codes: tuple[str, ...] = ("232701100001",), enroll: bool = True) -> World:
    """`city init`, then per station `city provision`, `init --provision`, `sync identity`, `city enroll`."""
    city, out = make_city(root)
    world = World(root, city, {}, {CITY_CODE: out["fingerprint"]})
    for code in codes:
        name, town = STATIONS[code]
        prov = root / f"prov-{code}.json"
        ok(cli("city", "provision", "--station-code", code, "--station-name", name, "--town-code", town,
               "--out", str(prov), data_dir=city, user=CITY_ADMIN))  # fmt: skip
        data = root / f"st-{code}"
        init = ok(cli("init", "--provision", str(prov), "--admin", ADMIN, data_dir=data))
        world.stations[code] = data
        world.fingerprints[code] = init["fingerprint"]
        if enroll:
            ident = root / f"id-{code}.json"
            ok(cli("sync", "identity", "--out", str(ident), data_dir=data, user=ADMIN))
            ok(cli("city", "enroll", str(ident), data_dir=city, user=CITY_ADMIN))
    return world


# -- in-process looks at a store ------------------------------------------------------------------

DIGEST_TABLES = ("events", "chain_heads", "pending_events", "received_bundles", "sync_acks")


def open_store(data: Path, user: str) -> Any:
    """A session of `user` on the store in `data` (in this process)."""
    from station_app.services.session import login

    return login(data, user, ADMIN_PASSWORD)


def store_digest(data: Path, user: str) -> dict[str, str]:
    """What "nothing stored changes" compares (DESIGN.md): the ledger and chain heads, every
    projection's digest and every counter (a login attempt may still be recorded)."""
    session = open_store(data, user)
    try:
        return session_digest(session)
    finally:
        session.close()


def session_digest(session: Any) -> dict[str, str]:
    """`store_digest` of a store already open."""
    import hashlib

    from sqlalchemy import text

    from station_app.store.db import read
    from station_app.store.models import PROJECTION_TABLES

    out: dict[str, str] = {}
    with read(session.store.engine) as conn:
        for table in (*PROJECTION_TABLES, *DIGEST_TABLES):
            rows = sorted(repr(tuple(r)) for r in conn.execute(text(f"SELECT * FROM {table}")))
            out[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        meta = conn.execute(text("SELECT key, value FROM meta WHERE key = 'ledger_head' OR key LIKE 'case_seq%'"))
        out["meta"] = repr(sorted(tuple(r) for r in meta))
    return out
    return out


def store_secret(data: Path, user: str, key: str) -> str:
    """One `meta` value of a store (its private keys live there)."""
    from station_app.store.db import get_meta, read

    session = open_store(data, user)
    try:
        with read(session.store.engine) as conn:
            return str(get_meta(conn, key))
    finally:
        session.close()
