"""`station-app` with no command (the desktop app), `station-app demo` and `station-app screenshot`:
registered by the launcher (`station_launcher`).

No Qt import at module level: the launcher loads this module for every command.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

DEMO_MARKER = "DEMO-STATION.txt"
DEMO_USER = "wangli"


def demo_dir(args: argparse.Namespace) -> Path:
    if getattr(args, "data_dir", None):
        return Path(args.data_dir)
    from station_app.paths import default_data_dir

    return default_data_dir().with_name("station-app-demo")


def ensure_demo(
    data_dir: Path, cases: int = 300, reset: bool = False, kdf: Any = None, progress: bool = True
) -> dict[str, Any]:
    """Build the demo station in `data_dir` unless it is already there; never touch a real station."""
    from station_app.errors import StationError
    from station_app.services.demo_service import DEMO_PASSWORD, DEMO_USERS, build_demo
    from station_app.services.login_service import station_facts

    marker = data_dir / DEMO_MARKER
    facts = station_facts(data_dir)
    if facts.exists and not marker.exists():
        raise StationError("该数据目录中已有调解站数据,且不是演示站;请另选 --data-dir")
    if reset and marker.exists():
        shutil.rmtree(data_dir)
        facts = station_facts(data_dir)
    if not facts.exists:
        if data_dir.exists() and any(data_dir.iterdir()):
            raise StationError("演示站目录不为空;请另选 --data-dir")

        def report(done: int, total: int) -> None:
            if progress:
                print(f"正在生成演示案件 {done}/{total}", file=sys.stderr)

        build_demo(data_dir, cases, kdf=kdf, progress=report)
        marker.write_text("本目录是演示调解站,数据均为合成数据,可随时删除。\n", encoding="utf-8")
    return {
        "data_dir": str(data_dir),
        "password": DEMO_PASSWORD,
        "users": [{"name": name, "role": role.label, "display_name": display} for name, role, display in DEMO_USERS],
    }


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
    info = ensure_demo(demo_dir(args), args.cases, args.reset)
    sys.stdout.write(json.dumps(info, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    if args.no_open:
        return 0
    from ui.app import run_app

    return run_app(Path(info["data_dir"]), args.user or DEMO_USER, demo_password=str(info["password"]))


def cmd_screenshot(args: argparse.Namespace) -> int:
    from ui.screenshots import render_all

    files = render_all(Path(args.out), large=args.large, cases=args.cases)
    sys.stdout.write(json.dumps({"files": [str(f) for f in files]}, ensure_ascii=False) + "\n")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="建立并打开演示调解站(约300件合成案件)")
    p.add_argument("--cases", type=int, default=300, help="演示案件数(默认300)")
    p.add_argument("--reset", action="store_true", help="删除并重建演示站(只删除演示站)")
    p.add_argument("--no-open", action="store_true", help="只建立,不打开桌面程序")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("screenshot", help="离屏渲染各主要界面为PNG(演示数据)")
    p.add_argument("--out", required=True, help="输出目录")
    p.add_argument("--large", action="store_true", help="1920x1080 大字模式")
    p.add_argument("--cases", type=int, default=300)
    p.set_defaults(func=cmd_screenshot)
