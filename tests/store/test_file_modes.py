"""Files: the database, its WAL and SHM, keys.json, logs, exports and backups are 0600 in 0700
folders whatever the umask the program was started with; a mistyped --data-dir is never made."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from station_app.clock import FixedClock
from station_app.services.session import login
from tests.conftest import ADMIN, ADMIN_PASSWORD, ROOT, STATION_CODE, cli_env
from tests.factories import intake_json


def _cli(*args: str, data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The command line started as a careless shell would start it: umask 022."""
    return subprocess.run(
        [sys.executable, "-m", "station_app.cli", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=cli_env(),
        timeout=120,
        start_new_session=True,
        preexec_fn=lambda: os.umask(0o022),
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _open_modes(folder: Path) -> list[str]:
    """Everything under `folder` (itself included) that others could read or enter."""
    found = [] if _mode(folder) == 0o700 else [f"{folder} {oct(_mode(folder))}"]
    for path in folder.rglob("*"):
        want = 0o700 if path.is_dir() else 0o600
        if _mode(path) != want:
            found.append(f"{path.relative_to(folder)} {oct(_mode(path))}")
    return found


def test_every_file_the_station_writes_is_private(tmp_path: Path, clock: FixedClock) -> None:
    data_dir = tmp_path / "station"
    r = _cli("init", "--station-code", STATION_CODE, "--station-name", "测试站", "--town-code", "232701100",
             "--admin", ADMIN, data_dir=data_dir)  # fmt: skip
    assert r.returncode == 0, r.stderr
    case_no = json.loads(_cli("case", "add", data_dir=data_dir, stdin=json.dumps(intake_json())).stdout)["case_no"]
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    pdf, xlsx = outputs / "回执.pdf", outputs / "清单.xlsx"
    for args in (
        ("print", case_no, "--paper", "receipt", "--out", str(pdf)),
        ("export", "cases", "--to", "station", "--out", str(xlsx)),
        ("backup", "--to", str(outputs)),
    ):
        r = _cli(*args, data_dir=data_dir)
        assert r.returncode == 0, r.stderr
    assert (data_dir / "logs" / "station.log").exists()
    assert _open_modes(data_dir) == []
    archives = list(outputs.glob("*.stbak"))
    assert len(archives) == 1
    assert [oct(_mode(p)) for p in (pdf, xlsx, archives[0])] == ["0o600"] * 3
    # the other files a station writes outside its folder: statistics, the monthly report, its identity
    others = (outputs / "统计.xlsx", outputs / "月报.pdf", outputs / "identity.json")
    for args in (
        ("stats", "--from", "2025-11-01", "--to", "2025-11-30", "--xlsx", str(others[0])),
        ("report", "monthly", "--month", "2025-11", "--out", str(others[1])),
        ("sync", "identity", "--out", str(others[2])),
    ):
        r = _cli(*args, data_dir=data_dir)
        assert r.returncode == 0, r.stderr
    assert [oct(_mode(p)) for p in others] == ["0o600"] * 3
    # a restore: the store put back and the one it replaced (kept aside) stay private
    r = _cli("restore", str(archives[0]), "--yes", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    assert [p.name for p in data_dir.iterdir() if p.name.startswith("replaced-")]
    assert _open_modes(data_dir) == []

    session = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)  # an open store has its WAL and SHM
    try:
        assert (data_dir / "station.db-wal").exists() and (data_dir / "station.db-shm").exists()
        assert _open_modes(data_dir) == []
    finally:
        session.close()


def test_a_store_with_open_modes_is_made_private_at_login(tmp_path: Path, clock: FixedClock) -> None:
    data_dir = tmp_path / "station"
    r = _cli("init", "--station-code", STATION_CODE, "--station-name", "测试站", "--town-code", "232701100",
             "--admin", ADMIN, data_dir=data_dir)  # fmt: skip
    assert r.returncode == 0, r.stderr
    os.chmod(data_dir, 0o755)
    for name in ("station.db", "keys.json", "station.anchor"):
        os.chmod(data_dir / name, 0o644)
    assert _open_modes(data_dir)
    assert _cli("case", "list", data_dir=data_dir).returncode == 0
    assert _open_modes(data_dir) == []


def test_a_mistyped_data_dir_is_never_created(tmp_path: Path) -> None:
    nowhere = tmp_path / "statoin"
    for args in (
        ("case", "list", "--json"),
        ("case", "add"),
        ("audit", "verify"),
        ("users", "list"),
        ("backup", "--to", str(tmp_path)),
        ("paper", "verify"),
    ):
        r = _cli(*args, data_dir=nowhere, stdin=json.dumps(intake_json()) if args == ("case", "add") else "SA1.x.y")
        assert r.returncode != 0, args
        assert "Traceback" not in r.stderr and "内部错误" not in r.stderr, (args, r.stderr)
        assert not nowhere.exists(), args
