"""What a newcomer and a bare station PC meet before any case: the test-only key-wrap cost,
the missing-system-library message, the demo's progress."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from station_app.system_libs import missing_library_hint
from tests.conftest import ROOT, cli_env, run_cli


def _init(data_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "init",
        "--station-code",
        "232701100001",
        "--station-name",
        "测试站",
        "--town-code",
        "232701100",
        "--admin",
        "admin",
        data_dir=data_dir,
        env=env,
    )


def _kdf_cost(data_dir: Path) -> dict[str, int]:
    entry = json.loads((data_dir / "keys.json").read_text(encoding="utf-8"))["users"]["admin"]["kdf"]
    return {k: entry[k] for k in ("m", "t", "p")}


def test_the_cheap_test_wrap_is_used_only_under_a_running_test(tmp_path: Path) -> None:
    """The suite's subprocesses wrap keys cheaply; the same setting outside a test run is refused
    with one line and makes no station."""
    made = _init(tmp_path / "a", cli_env())
    assert made.returncode == 0, made.stderr
    assert _kdf_cost(tmp_path / "a") == {"m": 8192, "t": 1, "p": 1}

    real = _init(tmp_path / "b", cli_env(STATION_TEST_KDF=""))
    assert real.returncode == 0, real.stderr
    assert _kdf_cost(tmp_path / "b") == {"m": 65536, "t": 3, "p": 4}

    outside = cli_env()
    outside.pop("PYTEST_CURRENT_TEST", None)
    refused = _init(tmp_path / "c", outside)
    assert refused.returncode == 1
    assert "STATION_TEST_KDF" in refused.stderr and "测试专用" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "c" / "keys.json").exists()


def test_the_frozen_app_leaves_the_test_wrap_out() -> None:
    """build.spec excludes the test-only module from what it collects."""
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert '"station_app.store.kdf_for_tests"' in spec and "+ TEST_ONLY" in spec


def test_a_missing_system_library_names_its_package() -> None:
    """The message a bare Linux PC shows names the Debian package to install."""
    hint = missing_library_hint("libGL.so.1: cannot open shared object file: No such file or directory")
    assert hint is not None and "libGL.so.1" in hint and "libgl1" in hint
    cursor = missing_library_hint("libxcb-cursor.so.0: cannot open shared object file")
    assert cursor is not None and "libxcb-cursor0" in cursor
    unknown = missing_library_hint("libfoo.so.9: cannot open shared object file")
    assert unknown is not None and "libfoo.so.9" in unknown
    assert missing_library_hint("No module named 'PySide6'") is None


def test_selfcheck_on_a_pc_without_libgl_names_the_package(tmp_path: Path) -> None:
    """Qt failing to load libGL (the outside edge, faked by a PySide6 that cannot load) makes the
    window check fail with the package named; the other checks still run and pass."""
    fake = tmp_path / "fake" / "PySide6"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("", encoding="utf-8")
    (fake / "QtGui.py").write_text(
        'raise ImportError("libGL.so.1: cannot open shared object file: No such file or directory")\n', encoding="utf-8"
    )
    env = cli_env()
    env["PYTHONPATH"] = str(tmp_path / "fake") + ":" + env["PYTHONPATH"]
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["HOME"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "station_launcher", "selfcheck"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1
    window = [line for line in proc.stdout.splitlines() if "主窗口" in line]
    assert window and "libgl1" in window[0]
    assert "加密存储" in proc.stdout and "Traceback" not in proc.stderr


def test_a_command_from_another_module_names_the_missing_user(tmp_path: Path) -> None:
    """With several users and no --user, `print` (a command another module registers) says to
    name the user, as the core commands do, instead of an internal error."""
    data_dir = tmp_path / "s"
    assert _init(data_dir, cli_env()).returncode == 0
    added = run_cli(
        "users",
        "add",
        "wang",
        "--role",
        "worker",
        data_dir=data_dir,
        user="admin",
        env=cli_env(STATION_NEW_PASSWORD="first-secret-71"),
    )
    assert added.returncode == 0, added.stderr
    out = run_cli(
        "print", "232701100001-2025-000001", "--paper", "receipt", "--out", str(tmp_path / "a.pdf"), data_dir=data_dir
    )
    assert out.returncode == 1 and "--user" in out.stderr and "内部错误" not in out.stderr
