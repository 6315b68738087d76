"""`station-app selfcheck`: proves an installed or frozen app works, one line per check.

The core checks (store, routing, intake, paper, audit) come from station_app.selfcheck; this
module adds the one check that needs Qt: the main window rendered offscreen on the temporary
station, with Chinese text laid out by the bundled font. Exit 0 only when every check passes.
No Qt import at module level: the CLI loads this module for every command.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from station_app.selfcheck import CheckResult, CoreChecks, run_check
from station_app.system_libs import missing_library_hint


def window_check(core: CoreChecks) -> str:
    """Open the main window on the selfcheck station offscreen and look at what it painted."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtGui import QFontDatabase
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:  # a system library Qt needs is missing: name its package
        raise RuntimeError(missing_library_hint(str(exc)) or f"无法加载 Qt:{exc}") from None

    from ui.app import make_application
    from ui.main_window import MainWindow
    from ui.ops import Runner
    from ui.screenshots import settle

    if core.session is None:
        raise RuntimeError("临时调解站未建立")
    app = make_application()
    runner = Runner()
    window = MainWindow(core.session, runner)
    try:
        window.resize(1366, 768)
        window.show()
        window.go("cases")
        settle(runner, 100)
        image = window.grab().toImage()
        if image.width() < 1000 or image.height() < 600:
            raise RuntimeError(f"窗口尺寸异常 {image.width()}x{image.height()}")
        colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
        if len(colours) < 8:
            raise RuntimeError("窗口未绘制内容")
        family = QApplication.font().family()
        if QFontDatabase.WritingSystem.SimplifiedChinese not in QFontDatabase.writingSystems(family):
            raise RuntimeError(f"界面字体 {family} 不含简体中文")
        return f"主窗口 {image.width()}x{image.height()} 已离屏绘制,标题“{window.windowTitle()}”,界面字体 {family}"
    finally:
        window.shutdown()
        window.close()
        window.deleteLater()
        runner.wait()
        QApplication.processEvents()
        del app


def run_selfcheck(out: Any = None) -> int:
    out = out or sys.stdout
    core = CoreChecks()
    results: list[CheckResult] = []
    try:
        for name, fn in (
            ("加密存储", core.store),
            ("分流规则", core.routing),
            ("受理登记", core.intake),
            ("回执PDF", core.paper),
            ("主窗口", lambda: window_check(core)),
            ("审计链", core.audit),
        ):
            result = run_check(name, fn)
            results.append(result)
            out.write(result.line() + "\n")
            out.flush()
    finally:
        core.close()
    ok = all(r.ok for r in results)
    out.write(("自检全部通过" if ok else "自检未通过") + f"({sum(r.ok for r in results)}/{len(results)})\n")
    out.flush()
    return 0 if ok else 1


def cmd_selfcheck(_args: argparse.Namespace) -> int:
    return run_selfcheck()


def register(sub: Any) -> None:
    p = sub.add_parser("selfcheck", help="自检:加密存储、分流、受理、回执PDF、主窗口、审计链,逐项输出")
    p.set_defaults(func=cmd_selfcheck)
