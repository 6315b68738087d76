"""`station-app relay serve` in its own process: ready line, defaults, refusals; and the desktop
command line never loads the relay's server stack."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from sync.relay.cli import storage_locations
from sync.relay.db import bundles, make_engine, sqlite_url
from sync.relay.pgtemp import TempPostgres
from sync.relay.settings import DAY_S
from sync.relay_client import RelayClient
from tests.conftest import ROOT, cli_env
from tests.relay.conftest import CITY, STATION_A, ed, keyring_bytes, make_bundle, start_relay


def _serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    return start_relay(["relay", "serve", "--port", "0", *args])


def _stop(proc: subprocess.Popen[str], how: signal.Signals = signal.SIGTERM) -> str:
    """Signal the server, wait for it, close its pipes; returns what it wrote to stderr."""
    proc.send_signal(how)
    _out, err = proc.communicate(timeout=30)
    return err


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_relay_serve_prints_its_url_and_serves(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    keyring = tmp_path / "keyring.json"
    keyring.write_bytes(keyring_bytes())
    blobs = tmp_path / "relay" / "blobs"
    if backend == "sqlite":
        args = ["--keyring", str(keyring), "--blobs", str(blobs)]
    else:
        postgres: TempPostgres = request.getfixturevalue("postgres")
        args = ["--keyring", str(keyring), "--blobs", str(blobs), "--db", postgres.create_database("cli_serve")]
    proc, url = _serve(*args)
    err = ""
    try:
        assert url.startswith("http://127.0.0.1:")
        bundle = make_bundle(tmp_path)
        with RelayClient(url, ed("transport:" + STATION_A)) as station:
            assert station.upload(bundle.path).state == "stored"
        with RelayClient(url, ed("transport:" + CITY)) as city:
            assert [e.bundle_id for e in city.mailbox()] == [bundle.header.bundle_id]
    finally:
        err = _stop(proc, signal.SIGTERM if backend == "sqlite" else signal.SIGINT)
    assert proc.returncode == 0, err
    if backend == "sqlite":
        assert (tmp_path / "relay" / "relay.db").exists()  # beside the blob folder
    assert (blobs / bundle.sha256[:2] / bundle.sha256).exists()


def test_expire_days_sets_how_long_an_unfetched_bundle_waits(tmp_path: Path) -> None:
    keyring = tmp_path / "keyring.json"
    keyring.write_bytes(keyring_bytes())
    blobs = tmp_path / "relay" / "blobs"
    proc, url = _serve("--keyring", str(keyring), "--blobs", str(blobs), "--expire-days", "7")
    try:
        bundle = make_bundle(tmp_path)
        with RelayClient(url, ed("transport:" + STATION_A)) as station:
            assert station.upload(bundle.path).state == "stored"
    finally:
        err = _stop(proc)
    assert proc.returncode == 0, err
    engine = create_engine(sqlite_url(tmp_path / "relay" / "relay.db"))
    try:
        with engine.connect() as conn:
            row = conn.execute(select(bundles.c.stored_at, bundles.c.expires_at)).one()
    finally:
        engine.dispose()
    assert row.expires_at - row.stored_at == 7 * DAY_S  # instead of the default 30 days


def test_sqlite_metadata_is_written_ahead_and_synced_fully(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "relay.db"))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        engine.dispose()


def test_storage_defaults() -> None:
    root = Path("/srv/relay")
    assert storage_locations(None, None, root) == (sqlite_url(root / "relay.db"), root / "blobs")
    assert storage_locations("/data/r.db", None, root) == (sqlite_url(Path("/data/r.db")), Path("/data/blobs"))
    assert storage_locations(None, "/data/b", root) == (sqlite_url(Path("/data/relay.db")), Path("/data/b"))
    assert storage_locations("postgresql://u@h/db", "/data/b", root) == ("postgresql://u@h/db", Path("/data/b"))


def test_relay_serve_refuses_bad_input(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "station_launcher", "relay", "serve", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=cli_env(None),
            timeout=60,
        )

    missing = run("--keyring", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "keyring" in json.loads(missing.stdout)["fields"]
    forged = tmp_path / "forged.json"
    forged.write_bytes(keyring_bytes().replace(b'"version":1', b'"version":2'))
    bad = run("--keyring", str(forged), "--blobs", str(tmp_path / "b"))
    assert bad.returncode == 2 and "keyring" in json.loads(bad.stdout)["fields"]
    good = tmp_path / "keyring.json"
    good.write_bytes(keyring_bytes())
    no_blobs = run("--keyring", str(good), "--db", "postgresql://relay@127.0.0.1:1/x")
    assert no_blobs.returncode == 2 and "blobs" in json.loads(no_blobs.stdout)["fields"]
    for days in ("0", "61"):
        out_of_range = run("--keyring", str(good), "--blobs", str(tmp_path / "b"), "--expire-days", days)
        assert out_of_range.returncode == 2 and "expire_days" in json.loads(out_of_range.stdout)["fields"]
    assert not (tmp_path / "b").exists()  # refused before anything was made


def test_the_desktop_command_line_does_not_load_the_relay_stack() -> None:
    code = (
        "import sys, io\n"
        "from station_app.cli import main\n"
        "main(['calendar', 'add-working-days', '2025-09-26', '5'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'uvicorn', 'httpx', 'psycopg', 'anyio'))\n"
        "print(heavy)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=cli_env(None), timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
