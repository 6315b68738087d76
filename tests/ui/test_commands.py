"""`station-app demo`, `station-app screenshot`, the demo station's spread, and the GUI bench figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.services.demo_service import DEMO_PASSWORD, build_demo
from station_app.services.query_service import CaseQuery, count_cases, list_cases
from station_app.services.session import login
from tests.conftest import FAST_KDF, ROOT, run_cli


def test_demo_station_covers_every_category_track_status_and_town(tmp_path: Path) -> None:
    build_demo(tmp_path / "demo", 300, kdf=FAST_KDF, today=date(2025, 11, 20))
    session = login(tmp_path / "demo", "wangli", DEMO_PASSWORD, FixedClock(datetime(2025, 11, 20, 11, 0)))
    try:
        rows = list_cases(session, CaseQuery(), limit=1000)
        assert len(rows) == 300
        assert {int(r.category) for r in rows} == set(range(1, 10))
        assert {r.town_code for r in rows} == {
            "232701100",
            "232701101",
            "232701102",
            "232701103",
            "232701104",
            "232701105",
        }
        assert {r.track.value for r in rows} == {"not_accepted", "refer", "joint", "major", "submit_city"}
        statuses = Counter(r.status.value for r in rows)
        assert {
            "registered",
            "routed",
            "in_progress",
            "replied",
            "archived",
            "not_accepted",
            "closed_on_spot",
            "withdrawn",
            "objection",
        } <= set(statuses)
        assert count_cases(session, CaseQuery(overdue=True)) > 0
        assert {r.deadline_state for r in rows} >= {"ok", "warn", "overdue"}
    finally:
        session.close()


def test_demo_command_builds_once_and_refuses_a_real_station(tmp_path: Path) -> None:
    out = run_cli("demo", "--no-open", "--cases", "12", data_dir=tmp_path / "demo", password=None, timeout=120)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["password"] == DEMO_PASSWORD and [u["name"] for u in info["users"]] == ["wangli", "zhaogang", "admin"]
    assert (tmp_path / "demo" / "DEMO-STATION.txt").exists()
    progress = [line for line in out.stderr.splitlines() if line.startswith("正在生成演示案件")]
    assert progress and progress[-1] == "正在生成演示案件 12/12"  # the count ends at its total
    again = run_cli("demo", "--no-open", data_dir=tmp_path / "demo", password=None, timeout=60)
    assert again.returncode == 0 and "正在生成" not in again.stderr  # opened, not rebuilt
    (tmp_path / "demo" / "DEMO-STATION.txt").unlink()  # now it looks like a real station
    refused = run_cli("demo", "--no-open", "--reset", data_dir=tmp_path / "demo", password=None, timeout=60)
    assert refused.returncode == 1 and "不是演示站" in refused.stderr
    assert (tmp_path / "demo" / "station.db").exists()


@pytest.mark.slow
def test_screenshot_command_renders_every_screen(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-m", "station_launcher", "screenshot", "--out", str(tmp_path), "--cases", "60"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    files = json.loads(out.stdout)["files"]
    names = [Path(f).name for f in files if Path(f).parent == tmp_path]
    assert names == [
        "01-login.png",
        "02-dashboard.png",
        "03-intake.png",
        "04-cases.png",
        "05-detail.png",
        "06-print.png",
        "07-stats.png",
        "07b-stats-departments.png",
        "07c-stats-workers.png",
        "08-settings.png",
        "09-users.png",
        "10-locked.png",
    ]
    for name in names:
        if name != "06-print.png":
            image = QImage(str(tmp_path / name))
            assert (image.width(), image.height()) == (1366, 768), name
    assert not list(tmp_path.glob("station-shots-*"))
    city = [Path(f).name for f in files if Path(f).parent == tmp_path / "city"]
    assert city == [  # the city console, from a demo city whose stations synced up their cases
        "01-city-dashboard.png",
        "02-city-cases.png",
        "03-city-stations.png",
        "06-city-detail.png",
        "07-city-action.png",
        "06b-city-conflict.png",  # the demo city's matter assigned while its station withdrew it
        "08-city-sync.png",
        "09-city-stats.png",
        "10-city-performance.png",
        "11-city-station-performance.png",
    ]
    for name in city:
        image = QImage(str(tmp_path / "city" / name))
        if name != "07-city-action.png":  # a dialog, at its own size
            assert (image.width(), image.height()) == (1366, 768), name


def test_gui_bench_figures(tmp_path: Path) -> None:
    from ui.bench import bench_gui

    build_demo(tmp_path / "demo", 20, kdf=FAST_KDF)
    figures = bench_gui(tmp_path / "demo", "wangli", DEMO_PASSWORD, runs=1)
    assert 0 < figures["startup_ms"] < 10_000
    assert 0 < figures["list_open_ms"] < 10_000


def test_ui_commands_do_not_import_qt() -> None:
    code = "import sys, ui.commands, ui.bench; print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.stdout.strip() == "False"


def test_selfcheck_prints_one_passing_line_per_check(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TMPDIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-m", "station_launcher", "selfcheck"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    names = [line.split("]")[1].split(":")[0].strip() for line in lines[:-1]]
    assert names == ["加密存储", "分流规则", "受理登记", "回执PDF", "主窗口", "审计链"]
    assert all(line.startswith("[通过]") for line in lines[:-1])
    assert lines[-1] == "自检全部通过(6/6)"
    assert "SQLCipher 4" in lines[0] and "联办" in lines[1]
    assert list(tmp_path.iterdir()) == []  # the temporary station is removed afterwards


def test_a_failing_check_is_reported_and_never_raises() -> None:
    from station_app.selfcheck import run_check

    def broken() -> str:
        raise RuntimeError("数据库文件未加密")

    result = run_check("加密存储", broken)
    assert not result.ok
    assert result.line().startswith("[失败] 加密存储: RuntimeError: 数据库文件未加密")
