"""A killed `screenshot` leaves no demo station behind: its demo lives in a locked temp folder
(never the user's data folder), and the next run removes one whose run is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _env(tmp: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT), TMPDIR=str(tmp), HOME=str(home))
    env.update(XDG_DATA_HOME=str(home / "data"))
    return env


@pytest.mark.slow
def test_a_killed_screenshot_run_leaves_no_demo_station(tmp_path: Path) -> None:
    tmp, home = tmp_path / "tmp", tmp_path / "home"
    tmp.mkdir()
    home.mkdir()
    argv = [sys.executable, "-m", "station_app.cli", "screenshot", "--out", str(tmp_path / "shots"), "--cases", "12"]
    run = subprocess.Popen(
        argv, cwd=ROOT, env=_env(tmp, home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not list(tmp.glob("station-shots-*/demo/keys.json")):
            assert run.poll() is None and time.monotonic() < deadline, "the demo was never built"
            time.sleep(0.05)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    left = list(tmp.glob("station-shots-*"))
    assert len(left) == 1 and (left[0] / "demo" / "station.db").exists()  # SIGKILL: nothing could clean up

    done = subprocess.run(argv, cwd=ROOT, env=_env(tmp, home), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(tmp.glob("station-shots-*")) == []  # the next run removed the orphan and its own
    assert not (home / "data").exists() or not any((home / "data").rglob("keys.json"))  # never the data folder
