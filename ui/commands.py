"""`station-app` with no command (the desktop app), `station-app demo` and `station-app screenshot`:
registered by the launcher (`station_launcher`).

No Qt import at module level: the launcher loads this module for every command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEMO_USER = "wangli"


def demo_dir(args: argparse.Namespace) -> Path:
    if getattr(args, "data_dir", None):
        return Path(args.data_dir)
    from station_app.paths import default_data_dir

    return default_data_dir().with_name("station-app-demo")


def cmd_gui(args: argparse.Namespace) -> int:
    """Open the desktop app on `--data-dir` (default: the system's data folder) at the login
    window of `--user`. Raises CliError (exit 1) naming the missing system library when Qt
    cannot load."""
    from station_app.cli import CliError

    try:
        from ui.app import run_app
    except ImportError as exc:  # the core works without the GUI installed
        from station_app.system_libs import missing_library_hint

        raise CliError(missing_library_hint(str(exc)) or f"桌面程序不可用:{exc.name}") from None
    if args.data_dir:
        data_dir = Path(args.data_dir)
    else:
        from station_app.paths import default_data_dir

        data_dir = default_data_dir()
    return int(run_app(data_dir, args.user))


def cmd_demo(args: argparse.Namespace) -> int:
    from station_app.services.demo_service import ensure_demo

    def report(done: int, total: int) -> None:
        print(f"正在生成演示案件 {done}/{total}", file=sys.stderr)

    info = ensure_demo(demo_dir(args), args.cases, args.reset, progress=report)
    sys.stdout.write(json.dumps(info, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if args.no_open:
        return 0
    from ui.app import run_app

    return run_app(Path(info["data_dir"]), args.user or DEMO_USER, demo_password=str(info["password"]))


def cmd_screenshot(args: argparse.Namespace) -> int:
    from ui.screenshots import CityLogin, holds_city_store, render_all

    city = None
    if getattr(args, "data_dir", None) and holds_city_store(Path(args.data_dir)):
        from station_app.cli import CliError, read_password

        if not getattr(args, "user", None):
            raise CliError("渲染市级控制台需要 --user(协调员或管理员)")
        city = CityLogin(Path(args.data_dir), str(args.user), read_password())
    files = render_all(Path(args.out), large=args.large, cases=args.cases, city=city)
    sys.stdout.write(json.dumps({"files": [str(f) for f in files]}, ensure_ascii=False) + "\n")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="建立并打开演示调解站(约300件合成案件)")
    p.add_argument("--cases", type=int, default=300, help="演示案件数(默认300)")
    p.add_argument("--reset", action="store_true", help="删除并重建演示站(只删除演示站)")
    p.add_argument("--no-open", action="store_true", help="只建立,不打开桌面程序")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("screenshot", help="离屏渲染各主要界面为PNG(演示数据;--data-dir 为市级库时另渲染该市级控制台)")
    p.add_argument("--out", required=True, help="输出目录")
    p.add_argument("--large", action="store_true", help="1366x768 大字模式(1.6倍)")
    p.add_argument("--cases", type=int, default=300)
    p.set_defaults(func=cmd_screenshot)
