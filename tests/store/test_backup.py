"""Backup while the station works, and restore: through the command line, on real files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.services.backup_service import backup, backup_overdue
from station_app.services.case_service import intake
from station_app.services.session import Session, login
from station_app.services.station_service import init_station
from station_app.services.user_service import add_user
from station_app.store.backup import STORE_EPOCH
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, ROOT, STATION_NAME, TOWN_CODE, cli_env, run_cli
from tests.factories import intake_json

CHILD = Path(__file__).with_name("crash_child.py")
ID_NUMBER = "232723197003052439"


def _files(data_dir: Path) -> dict[str, str]:
    """The store's files and their digests (what a refused restore must leave as it was)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data_dir.iterdir())
        if p.is_file() and p.name != "keys.lock"
    }


def _backup_cli(data_dir: Path, to: Path) -> dict[str, object]:
    r = run_cli("backup", "--to", str(to), data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert isinstance(out, dict)
    return out


def _acked(lines: list[str]) -> list[str]:
    return [line.split()[1] for line in lines if line.startswith("ACK ")]


def test_a_backup_during_concurrent_intakes_restores_every_acknowledged_case(
    station: Session, data_dir: Path, tmp_path: Path
) -> None:
    station.close()
    folder = tmp_path / "backups"
    folder.mkdir()
    env = cli_env()
    env["PYTHONPATH"] = str(ROOT)
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir), ADMIN, ADMIN_PASSWORD, "11"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert child.stdout is not None
    lines: list[str] = []
    try:
        while len(_acked(lines)) < 20:
            line = child.stdout.readline()
            assert line, "the writer stopped"
            lines.append(line.strip())
        before = set(_acked(lines))  # acknowledged before the backup began
        made = _backup_cli(data_dir, folder)
        for _ in range(5):  # the writer went on during the backup and after it
            lines.append(child.stdout.readline().strip())
    finally:
        child.kill()
        child.wait()
    lines += [x.strip() for x in child.stdout.read().splitlines()]
    child.stdout.close()
    acked = _acked(lines)
    assert set(made) == {"file", "bytes", "cases", "events", "at"}
    archive = Path(str(made["file"]))
    assert archive.parent == folder and archive.stat().st_size == made["bytes"]
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert len(before) <= int(str(made["cases"])) <= len(acked)

    r = run_cli("restore", str(archive), "--yes", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    restored = json.loads(r.stdout)
    aside = Path(restored["moved_aside"])
    assert aside.parent == data_dir and (aside / "station.db").exists() and (aside / "keys.json").exists()
    assert restored["cases"] == made["cases"] and restored["events"] == made["events"]

    r = run_cli("audit", "verify", data_dir=data_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = json.loads(run_cli("case", "list", "--json", "--limit", "10000", data_dir=data_dir).stdout)
    numbers = {row["case_no"] for row in rows}
    assert before <= numbers and numbers <= set(acked)
    session = login(data_dir, ADMIN, ADMIN_PASSWORD)
    try:
        assert session.store.meta(STORE_EPOCH) == restored["store_epoch"] and len(restored["store_epoch"]) == 32
    finally:
        session.close()
    # the next intake continues the restored numbering, and the store still verifies
    r = run_cli("case", "add", data_dir=data_dir, stdin=json.dumps(intake_json(), ensure_ascii=False))
    assert r.returncode == 0, r.stderr
    assert run_cli("audit", "verify", data_dir=data_dir).returncode == 0


@pytest.fixture
def archive(station: Session, tmp_path: Path) -> Path:
    intake(station, intake_json(name="张三", id_number=ID_NUMBER))
    folder = tmp_path / "backups"
    folder.mkdir()
    return backup(station, folder).file


def _refused(data_dir: Path, file: Path, why: str, **kw: str) -> None:
    kept = _files(data_dir)
    r = run_cli("restore", str(file), "--yes", data_dir=data_dir, **kw)  # type: ignore[arg-type]
    assert r.returncode == 1 and why in r.stderr and "Traceback" not in r.stderr, r.stdout + r.stderr
    assert _files(data_dir) == kept
    assert not [p for p in data_dir.iterdir() if p.name.startswith(("replaced-", ".restore-"))]


def test_restore_refuses_a_damaged_backup_and_changes_nothing(
    station: Session, data_dir: Path, archive: Path, tmp_path: Path
) -> None:
    intake(station, intake_json(name="李四"))  # the live store has moved on since the backup
    raw = archive.read_bytes()
    with tarfile.open(archive) as tar:
        db = tar.getmember("station.db")
    at = db.offset_data + 5000
    for name, damaged in (
        ("flipped.stbak", raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1 :]),
        ("short.stbak", raw[: len(raw) // 2]),
        ("noise.stbak", os.urandom(len(raw))),
        ("empty.stbak", b""),
    ):
        bad = tmp_path / name
        bad.write_bytes(damaged)
        _refused(data_dir, bad, "备份文件已损坏")
    r = run_cli("restore", str(tmp_path / "missing.stbak"), "--yes", data_dir=data_dir)
    assert r.returncode == 2 and json.loads(r.stdout)["fields"] == {"file": "备份文件不存在"}


def test_restore_refuses_another_stations_backup_and_a_wrong_password(
    station: Session, data_dir: Path, archive: Path, tmp_path: Path, clock: FixedClock
) -> None:
    folder = tmp_path / "other"
    other = init_station(folder, "232701100002", "另一调解站", TOWN_CODE, ADMIN, ADMIN_PASSWORD, clock, FAST_KDF)
    try:
        (tmp_path / "theirs").mkdir()
        foreign = backup(other, tmp_path / "theirs").file
    finally:
        other.close()
    _refused(data_dir, foreign, "属于另一调解站")
    _refused(data_dir, archive, "用户名或密码错误", password="not-the-password")


def test_backup_needs_an_existing_folder_and_a_head(station: Session, data_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    r = run_cli("backup", "--to", str(missing), data_dir=data_dir)
    assert r.returncode == 2 and "to" in json.loads(r.stdout)["fields"] and not missing.exists()
    add_user(station, "worker1", "worker", "worker-pass-123", kdf=FAST_KDF)
    r = run_cli("backup", "--to", str(tmp_path), data_dir=data_dir, user="worker1", password="worker-pass-123")
    assert r.returncode == 1 and "无权" in r.stderr and not list(tmp_path.glob("*.stbak"))


def test_the_archive_carries_no_personal_data_in_clear(station: Session, archive: Path) -> None:
    raw = archive.read_bytes()
    for secret in (ID_NUMBER, "张三", "漠河市北极林业有限公司"):
        assert secret.encode("utf-8") not in raw
    assert STATION_NAME.encode("utf-8") in raw  # the manifest names the station, nothing more


def test_restore_into_an_empty_folder_and_the_backup_reminder(
    station: Session, archive: Path, tmp_path: Path, clock: FixedClock
) -> None:
    fresh = tmp_path / "new-pc"
    r = run_cli("restore", str(archive), "--yes", data_dir=fresh)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["moved_aside"] is None
    rows = json.loads(run_cli("case", "list", "--json", data_dir=fresh).stdout)
    assert [row["applicant"] for row in rows] == ["张三"]
    assert backup_overdue(station) is None  # backed up today
    assert backup_overdue(station, (clock.now() + timedelta(days=8)).date()) == 8


def test_a_backup_into_a_folder_it_may_not_write_names_that_folder(
    station: Session, data_dir: Path, tmp_path: Path
) -> None:
    station.close()
    folder = tmp_path / "U盘"
    folder.mkdir()
    folder.chmod(0o500)
    # root that keeps its user id but not its power to write anywhere: the folder's mode counts
    no_override = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                   "--bounding-set=-dac_override,-dac_read_search"]  # fmt: skip
    argv = [*no_override, sys.executable, "-m", "station_launcher", "--data-dir", str(data_dir), "--user", ADMIN,
            "backup", "--to", str(folder)]  # fmt: skip
    r = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8", cwd=ROOT, env=cli_env(), timeout=120,
                       start_new_session=True)  # fmt: skip
    assert r.returncode == 1 and r.stdout == "", r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"无法写入 {folder}:" in lines[0] and ".station-backup" not in lines[0], r.stderr
    assert list(folder.iterdir()) == []


def test_a_forged_backup_that_unpacks_to_more_than_it_holds_is_refused_before_writing(
    station: Session, data_dir: Path, archive: Path, tmp_path: Path
) -> None:
    """A sparse member of 256 MB in an archive of a few kB is refused as damaged and nothing is
    left behind. (The restore runs under a 64 MB file-size limit, so that a restore that unpacked
    it anyway could not fill the test machine's disk.)"""
    import resource

    parts = tmp_path / "parts"
    parts.mkdir()
    with tarfile.open(archive) as tar:  # our own archive; the safe filter where this Python has one (3.11.4+)
        tar.extractall(parts, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    (parts / "station.db").unlink()
    with open(parts / "station.db", "wb") as f:
        f.truncate(256 * 1024 * 1024)
    forged = tmp_path / "forged.stbak"
    members = ["backup.json", "station.db", "keys.json", "station.anchor"]
    subprocess.run(["tar", "--sparse", "--format=gnu", "-cf", str(forged), "-C", str(parts), *members], check=True)
    assert forged.stat().st_size < 1024 * 1024
    kept = _files(data_dir)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))

    argv = [sys.executable, "-m", "station_launcher", "--data-dir", str(data_dir), "restore", str(forged), "--yes"]
    r = subprocess.run(argv, capture_output=True, text=True, encoding="utf-8", cwd=ROOT, env=cli_env(), timeout=120,
                       start_new_session=True, preexec_fn=limit)  # fmt: skip
    assert r.returncode == 1 and "备份文件已损坏" in r.stderr, (r.returncode, r.stderr)
    assert _files(data_dir) == kept
    assert not [p for p in data_dir.iterdir() if p.name.startswith(("replaced-", ".restore-"))]
