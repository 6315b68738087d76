"""GUI figures for `station-app bench`: cold start to the login window, and opening the case list.

Both are measured in fresh subprocesses (`python -m ui.bench startup|list DATA_DIR [USER]`), so
nothing is cached by the caller. `bench_figures` is what `station-app bench` runs (registered by
the launcher); `python -m ui.bench --data-dir DIR --user NAME` prints both as one JSON object.
The password reaches the list probe through the environment (STATION_PASSWORD), never the
command line. No Qt import at module level.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
READY = "ready"


def _env(password: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if password is not None:
        env["STATION_PASSWORD"] = password
    return env


def _startup_once(data_dir: Path) -> float:
    start = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", "ui.bench", "startup", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(),
        cwd=ROOT,
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        elapsed = (time.perf_counter() - start) * 1000
        proc.stdout.read()
        proc.wait(timeout=30)
    if line != READY:
        raise RuntimeError("登录窗口未能启动")
    return elapsed


def bench_gui(data_dir: Path, user: str, password: str, runs: int = 3) -> dict[str, Any]:
    """`startup_ms` (median of `runs` cold starts) and `list_open_ms` for the store's cases."""
    startup = statistics.median(_startup_once(data_dir) for _ in range(runs))
    out = subprocess.run(
        [sys.executable, "-m", "ui.bench", "list", str(data_dir), user],
        capture_output=True,
        text=True,
        env=_env(password),
        cwd=ROOT,
        timeout=300,
    )
    if out.returncode != 0:
        raise RuntimeError("案件列表测量失败")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"startup_ms": round(startup, 1), "list_open_ms": round(float(result["list_open_ms"]), 1)}


def bench_figures(data_dir: Path, user: str, password: str, say: Callable[[str], None]) -> dict[str, Any]:
    """`bench_gui` for `station-app bench` (a `station_app.bench.FigureSource`): {} when the
    desktop app could not be measured (no display libraries, a probe failed or timed out)."""
    say("计时:桌面程序启动与案件列表…")
    try:
        return bench_gui(data_dir, user, password)
    except (RuntimeError, OSError, ValueError, KeyError, IndexError, subprocess.TimeoutExpired):
        return {}


# -- probes (run in the subprocess) ----------------------------------------------------------------


def _probe_startup(data_dir: Path) -> int:
    from PySide6.QtCore import QTimer

    from ui.app import DeskApp, make_application

    app = make_application()
    desk = DeskApp(data_dir)
    window = desk.start()

    def shown() -> None:
        window.repaint()
        sys.stdout.write(READY + "\n")
        sys.stdout.flush()
        app.quit()

    QTimer.singleShot(0, shown)
    code = app.exec()
    desk.runner.wait()
    return int(code)


def _probe_list(data_dir: Path, user: str) -> int:
    from PySide6.QtWidgets import QApplication

    from station_app.services.session import login
    from ui.app import make_application
    from ui.case_list_view import CaseListView
    from ui.ops import Runner

    make_application()
    session = login(data_dir, user, os.environ.get("STATION_PASSWORD", ""))
    runner = Runner()
    start = time.perf_counter()
    view = CaseListView(session, runner)
    view.resize(1366, 700)
    view.show()
    runner.wait()
    QApplication.processEvents()
    view.table.viewport().repaint()
    elapsed = (time.perf_counter() - start) * 1000
    rows = view.model.rowCount()
    sys.stdout.write(json.dumps({"list_open_ms": elapsed, "rows_loaded": rows, "total": view.model.total}) + "\n")
    view.close()
    session.close()
    return 0


def main(argv: list[str]) -> int:
    """`--data-dir DIR --user NAME` (password in STATION_PASSWORD): print both figures as JSON."""
    if len(argv) >= 2 and argv[0] == "startup":
        return _probe_startup(Path(argv[1]))
    if len(argv) >= 3 and argv[0] == "list":
        return _probe_list(Path(argv[1]), argv[2])
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ui.bench")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    figures = bench_gui(Path(args.data_dir), args.user, os.environ.get("STATION_PASSWORD", ""), args.runs)
    sys.stdout.write(json.dumps(figures) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
