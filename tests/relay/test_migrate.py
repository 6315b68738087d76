"""`station-app relay migrate`: a relay moves from SQLite to PostgreSQL and its mailboxes come with it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from sync.relay.db import bundles, make_engine
from sync.relay.pgtemp import TempPostgres
from sync.relay.server import RelayThread, build_service
from sync.relay_client import RelayClient
from tests.conftest import run_cli
from tests.relay.conftest import CITY, STATION_A, STATION_B, ed, keyring_bytes, make_bundle


def _serve_and(db_url: str, keyring: Path, blobs: Path) -> RelayThread:
    return RelayThread(build_service(keyring, db_url, blobs))


def _upload(db_url: str, keyring: Path, blobs: Path, owner: str, *paths: Path) -> None:
    """Start a relay on `db_url`, upload `paths` as `owner`, stop it."""
    with _serve_and(db_url, keyring, blobs) as thread, RelayClient(thread.url, ed("transport:" + owner)) as client:
        for path in paths:
            assert client.upload(path).state == "stored"


def test_a_relay_moved_to_postgresql_still_delivers_what_waits(tmp_path: Path, postgres: TempPostgres) -> None:
    keyring = tmp_path / "keyring.json"
    keyring.write_bytes(keyring_bytes())
    blobs = tmp_path / "relay" / "blobs"
    blobs.parent.mkdir()
    sqlite_file = tmp_path / "relay" / "relay.db"
    sqlite_db = f"sqlite:///{sqlite_file}"
    first, second = make_bundle(tmp_path), make_bundle(tmp_path, sender=STATION_B)
    _upload(sqlite_db, keyring, blobs, STATION_A, first.path)
    _upload(sqlite_db, keyring, blobs, STATION_B, second.path)

    target = postgres.create_database("relay_migrated")
    moved = run_cli("relay", "migrate", "--from", str(sqlite_file), "--to", target)
    assert moved.returncode == 0, moved.stderr
    tables = json.loads(moved.stdout)["tables"]
    assert tables["bundles"] == 2 and tables["keyrings"] == 1

    with _serve_and(target, keyring, blobs) as thread, RelayClient(thread.url, ed("transport:" + CITY)) as city:
        waiting = city.mailbox()
        assert sorted(e.bundle_id for e in waiting) == sorted(b.header.bundle_id for b in (first, second))
        for entry in waiting:
            got = city.download(entry, tmp_path / f"got-{entry.bundle_id}.msb")
            assert hashlib.sha256(got.read_bytes()).hexdigest() == entry.sha256


def test_migrate_refuses_a_target_that_holds_rows_and_changes_nothing(tmp_path: Path, postgres: TempPostgres) -> None:
    keyring = tmp_path / "keyring.json"
    keyring.write_bytes(keyring_bytes())
    blobs = tmp_path / "blobs"
    source = tmp_path / "relay.db"
    _upload(f"sqlite:///{source}", keyring, blobs, STATION_A, make_bundle(tmp_path).path)
    target = postgres.create_database("relay_busy")
    _upload(target, keyring, tmp_path / "other-blobs", STATION_B, make_bundle(tmp_path, sender=STATION_B).path)

    refused = run_cli("relay", "migrate", "--from", str(source), "--to", target)
    assert refused.returncode == 1
    assert "已有数据" in refused.stderr and "Traceback" not in refused.stderr
    engine = make_engine(target)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(bundles)).scalar_one() == 1
    finally:
        engine.dispose()


def test_migrate_names_the_field_it_cannot_use(tmp_path: Path) -> None:
    missing = run_cli("relay", "migrate", "--from", str(tmp_path / "nope.db"), "--to", str(tmp_path / "new.db"))
    assert missing.returncode == 2 and "from" in json.loads(missing.stdout)["fields"]
    wrong = run_cli("relay", "migrate", "--from", str(tmp_path / "x.db"), "--to", "mysql://h/db")
    assert wrong.returncode == 2
    assert not (tmp_path / "new.db").exists()


def test_migrate_between_sqlite_files_copies_every_row(tmp_path: Path) -> None:
    keyring = tmp_path / "keyring.json"
    keyring.write_bytes(keyring_bytes())
    source = tmp_path / "relay.db"
    three = [make_bundle(tmp_path).path for _ in range(3)]
    _upload(f"sqlite:///{source}", keyring, tmp_path / "blobs", STATION_A, *three)
    moved = run_cli("relay", "migrate", "--from", str(source), "--to", str(tmp_path / "copy.db"))
    assert moved.returncode == 0, moved.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'copy.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bundles WHERE state = 'stored'")).scalar_one() == 3
        assert conn.execute(text("SELECT count(*) FROM nonces")).scalar_one() >= 3
    engine.dispose()
