"""The environment is not a bug: a full disk, a read-only folder, a missing or locked file give
one clear Chinese line that says what and where, and the data stays intact.

The disk is a small tmpfs mounted and unmounted by the test (the suite runs as root here and in
CI); a test that cannot mount fails, it never skips.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.services.case_service import intake
from station_app.services.session import login
from station_app.services.station_service import init_station
from station_app.store.environment import EnvironmentProblem
from tests.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    FAST_KDF,
    STATION_CODE,
    STATION_NAME,
    TOWN_CODE,
    run_cli,
    sqlcipher_connect,
)
from tests.factories import intake_json

DISK_BYTES = 8 * 1024 * 1024
# Bytes left free on the disk: none, a page or two, a WAL's worth, and enough for one intake.
LEVELS = (0, 4096, 16384, 65536, 262144, 1048576)
COMMANDS = (("case", "add"), ("audit", "verify"), ("case", "list", "--json"))


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        if subprocess.run(["mountpoint", "-q", str(mount)], check=False).returncode == 0:
            subprocess.run(["umount", "-l", str(mount)], check=True)


def _station(folder: Path, clock: FixedClock) -> Path:
    data_dir = folder / "station"
    session = init_station(data_dir, STATION_CODE, STATION_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD, clock, FAST_KDF)
    try:
        for i in range(3):
            intake(session, intake_json(name=f"张{'一二三'[i]}"))
    finally:
        session.close()
    return data_dir


def _fill(disk: Path, left: int) -> None:
    """Leave `left` bytes free on the disk (a file of zeros takes the rest)."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as f:
        try:
            f.write(b"\0" * max(free - left, 0))
            f.flush()
        except OSError:
            pass
    assert shutil.disk_usage(disk).free <= left + 4096


def _one_clear_line(stderr: str, *words: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert all(w in lines[0] for w in words), stderr
    for bug in ("Traceback", "内部错误", "密钥不符", "已损坏"):
        assert bug not in stderr


def _cases(data_dir: Path) -> int:
    r = run_cli("case", "list", "--json", "--limit", "1000", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    return len(json.loads(r.stdout))


def test_a_full_disk_at_every_level_gives_one_clear_message_and_keeps_the_data(disk: Path, clock: FixedClock) -> None:
    data_dir = _station(disk, clock)
    added = 0
    refused_at_zero = 0
    for left in LEVELS:
        _fill(disk, left)
        for command in COMMANDS:
            stdin = json.dumps(intake_json(), ensure_ascii=False) if command == ("case", "add") else ""
            r = run_cli(*command, data_dir=data_dir, stdin=stdin)
            if r.returncode == 0:
                added += command == ("case", "add")
                continue
            assert r.returncode == 1, r.stdout + r.stderr
            _one_clear_line(r.stderr, "磁盘空间不足", str(data_dir), "已保存的数据没有受到影响")
            refused_at_zero += left == 0
        try:  # the login window's way in: the same message, never "wrong password"
            login(data_dir, ADMIN, ADMIN_PASSWORD, clock).close()
        except EnvironmentProblem as exc:
            assert exc.kind == "full" and str(data_dir) in str(exc)
        (disk / "filler").unlink()
        # space freed: the store opens, verifies and holds every case it acknowledged
        r = run_cli("audit", "verify", data_dir=data_dir)
        assert r.returncode == 0 and json.loads(r.stdout)["ok"] is True, r.stdout + r.stderr
        assert _cases(data_dir) == 3 + added
    assert refused_at_zero == len(COMMANDS)  # at 0 bytes every command says so (login writes)
    assert 0 < added < len(LEVELS)  # the largest levels take intakes, the smallest refuse them


def test_a_read_only_folder_says_so_and_the_store_works_when_writable_again(disk: Path, clock: FixedClock) -> None:
    data_dir = _station(disk, clock)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    try:
        for command in COMMANDS:
            r = run_cli(*command, data_dir=data_dir, stdin=json.dumps(intake_json(), ensure_ascii=False))
            assert r.returncode == 1, r.stdout
            _one_clear_line(r.stderr, "只读", str(data_dir))
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
    assert run_cli("audit", "verify", data_dir=data_dir).returncode == 0
    assert _cases(data_dir) == 3


def test_a_missing_database_or_key_file_names_what_is_missing(tmp_path: Path, clock: FixedClock) -> None:
    data_dir = _station(tmp_path, clock)
    (data_dir / "station.db").rename(tmp_path / "moved.db")
    r = run_cli("case", "list", data_dir=data_dir)
    _one_clear_line(r.stderr, "找不到", str(data_dir / "station.db"))
    assert r.returncode == 1 and not (data_dir / "station.db").exists()  # no empty database made
    (tmp_path / "moved.db").rename(data_dir / "station.db")
    assert _cases(data_dir) == 3
    nowhere = tmp_path / "mistyped"
    r = run_cli("case", "list", data_dir=nowhere)
    assert r.returncode == 1
    _one_clear_line(r.stderr, str(nowhere), "keys.json")
    assert not nowhere.exists()


def test_a_database_locked_by_another_program_says_so(tmp_path: Path, clock: FixedClock) -> None:
    data_dir = _station(tmp_path, clock)
    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    key = session.store.key
    session.close()
    holder = sqlcipher_connect(data_dir / "station.db", key)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        r = run_cli("case", "add", data_dir=data_dir, stdin=json.dumps(intake_json(), ensure_ascii=False))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.returncode == 1
    _one_clear_line(r.stderr, "正被另一个程序占用", str(data_dir))
    assert run_cli("audit", "verify", data_dir=data_dir).returncode == 0
    assert _cases(data_dir) == 3
