"""The log's head anchored beside the database: a store that lost acknowledged events (a
deleted `-wal`, an older `station.db` copied back, an emptied log) refuses to open; SQLCipher's
page check in `audit verify` catches a damaged page; an untouched store never complains."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.services import case_service
from station_app.services.session import Session, login
from station_app.store.anchor import AnchorError, anchor_path
from station_app.store.station_store import db_path
from station_app.synthetic import make_intake
from tests.conftest import ADMIN, ADMIN_PASSWORD, ROOT, START, cli_env, run_cli, sqlcipher_connect

CHILD = Path(__file__).with_name("anchor_child.py")


def _intakes(session: Session, count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [case_service.intake(session, make_intake(rng)).case_no for _ in range(count)]


def _anchor(data_dir: Path) -> dict[str, object]:
    return dict(json.loads(anchor_path(db_path(data_dir)).read_text("utf-8")))


def _open(data_dir: Path) -> Session:
    return login(data_dir, ADMIN, ADMIN_PASSWORD, FixedClock(START))


def _refused(data_dir: Path, reason: str) -> None:
    with pytest.raises(AnchorError) as caught:
        _open(data_dir)
    assert caught.value.reason == reason
    assert "请恢复最新的备份" in str(caught.value)
    proc = run_cli("case", "list", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1 and str(caught.value) in proc.stderr
    assert proc.stdout == ""


def _cases(data_dir: Path, key: bytes) -> int:
    conn = sqlcipher_connect(db_path(data_dir), key)
    try:
        return int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])
    finally:
        conn.close()


def test_an_untouched_store_opens_and_verifies(station: Session, data_dir: Path) -> None:
    _intakes(station, 3)
    station.close()
    anchor = _anchor(data_dir)
    assert anchor["counters"] == {"case_seq:2025": 3}
    session = _open(data_dir)
    session.close()
    assert _anchor(data_dir) == anchor  # nothing appended: the anchor is unchanged
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ok"] is True
    assert out["integrity"] == {"cipher_integrity_check": [], "integrity_check": []}


def test_every_committed_append_moves_the_anchor(station: Session, data_dir: Path) -> None:
    before = _anchor(data_dir)
    _intakes(station, 2)
    after = _anchor(data_dir)
    assert int(str(after["seq"])) == int(str(before["seq"])) + 2
    assert after["counters"] == {"case_seq:2025": 2}


def test_a_deleted_wal_after_acknowledged_intakes_is_caught_at_open(station: Session, data_dir: Path) -> None:
    key = station.store.key
    _intakes(station, 2)
    station.close()  # closing checkpoints: these two are in station.db itself
    proc = subprocess.run(
        [sys.executable, str(CHILD), str(data_dir), ADMIN, ADMIN_PASSWORD, "4"],
        capture_output=True, text=True, cwd=ROOT, env=cli_env(None), timeout=120,
    )  # fmt: skip
    acked = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("ACK ")]
    assert proc.returncode == 0 and len(acked) == 4, proc.stderr
    wal = db_path(data_dir).with_name("station.db-wal")
    assert wal.stat().st_size > 0  # the acknowledged cases live only in the WAL
    wal.unlink()
    db_path(data_dir).with_name("station.db-shm").unlink(missing_ok=True)
    assert _cases(data_dir, key) == 2  # committed, acknowledged cases really are gone
    _refused(data_dir, "behind")


def test_an_older_station_db_copied_back_is_caught_at_open(station: Session, data_dir: Path, tmp_path: Path) -> None:
    _intakes(station, 2)
    station.close()
    shutil.copy2(db_path(data_dir), tmp_path / "old.db")
    session = _open(data_dir)
    _intakes(session, 2, seed=2)
    session.close()
    shutil.copy2(tmp_path / "old.db", db_path(data_dir))
    _refused(data_dir, "behind")


def test_an_older_copy_written_to_again_is_caught_at_open(station: Session, data_dir: Path, tmp_path: Path) -> None:
    _intakes(station, 2)
    station.close()
    saved = tmp_path / "saved"
    shutil.copytree(data_dir, saved)
    session = _open(data_dir)
    _intakes(session, 3, seed=2)
    session.close()
    anchor = anchor_path(db_path(data_dir)).read_bytes()
    shutil.rmtree(data_dir)
    shutil.copytree(saved, data_dir)
    session = _open(data_dir)  # the old copy with its own anchor works, and goes on
    _intakes(session, 4, seed=3)
    session.close()
    anchor_path(db_path(data_dir)).write_bytes(anchor)  # the newer anchor comes back
    _refused(data_dir, "diverged")


def test_an_emptied_log_is_caught_at_open(station: Session, data_dir: Path) -> None:
    key = station.store.key
    _intakes(station, 2)
    station.close()
    conn = sqlcipher_connect(db_path(data_dir), key)
    conn.execute("DELETE FROM events")
    conn.close()
    _refused(data_dir, "emptied")


def test_a_log_ahead_of_its_anchor_reanchors(station: Session, data_dir: Path, tmp_path: Path) -> None:
    _intakes(station, 1)
    old = anchor_path(db_path(data_dir)).read_bytes()
    _intakes(station, 2, seed=2)
    station.close()
    anchor_path(db_path(data_dir)).write_bytes(old)  # as if the process died before writing it
    session = _open(data_dir)
    session.close()
    assert _anchor(data_dir)["counters"] == {"case_seq:2025": 3}


def test_a_forged_anchor_is_reported_as_tampered(station: Session, data_dir: Path) -> None:
    _intakes(station, 1)
    station.close()
    record = _anchor(data_dir)
    record["seq"] = 1
    anchor_path(db_path(data_dir)).write_text(json.dumps(record), "utf-8")
    _refused(data_dir, "tampered")


def test_a_missing_anchor_is_made_for_an_old_store_and_refused_for_an_anchored_one(
    station: Session, data_dir: Path
) -> None:
    key = station.store.key
    _intakes(station, 1)
    station.close()
    anchor_path(db_path(data_dir)).unlink()
    _refused(data_dir, "missing")
    conn = sqlcipher_connect(db_path(data_dir), key)
    conn.execute("DELETE FROM meta WHERE key = 'anchored'")  # as a store of an older version
    conn.close()
    _open(data_dir).close()
    assert _anchor(data_dir)["counters"] == {"case_seq:2025": 1}
    _open(data_dir).close()


def test_audit_rebuild_keeps_the_store_opening_and_verifying(station: Session, data_dir: Path) -> None:
    _intakes(station, 3)
    station.close()
    proc = run_cli("audit", "rebuild", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 0 and json.loads(proc.stdout)["ok"] is True, proc.stderr


def test_a_corrupted_page_is_caught_by_audit_verify(station: Session, data_dir: Path) -> None:
    _intakes(station, 40)
    station.close()
    path = db_path(data_dir)
    pages = path.stat().st_size // 4096
    with path.open("r+b") as handle:  # one byte in the middle of a page near the middle of the file
        handle.seek((pages // 2) * 4096 + 2000)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1 and proc.stdout, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ok"] is False and out["integrity"]["cipher_integrity_check"]
    assert "cipher_integrity_check" in proc.stderr
