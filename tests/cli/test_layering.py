"""The core names no package above it: `station_app` and `sync` never name the desktop app (`ui`),
in an import or in a string (a module name handed to `__import__` or `python -m`). The launcher
(`station_launcher`) is the one place that puts the packages together."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, cli_env

NAMES_UI = re.compile(r"(?<![\w-])ui(?![\w-])")


def _mentions(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name.split(".")[0] == "ui"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "ui":
            found.append(f"from {node.module}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and NAMES_UI.search(node.value):
            found.append(f"line {node.lineno}: {node.value[:60]!r}")
    return found


def test_no_module_of_the_core_or_sync_names_the_desktop_app() -> None:
    files = sorted((ROOT / "station_app").rglob("*.py")) + sorted((ROOT / "sync").rglob("*.py"))
    assert len(files) > 50
    offenders = {str(f.relative_to(ROOT)): m for f in files if (m := _mentions(f))}
    assert offenders == {}


def test_the_scan_catches_an_import_and_a_module_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('from ui.app import run_app\nMODULES = ("ui.commands",)\nimport ui\n', encoding="utf-8")
    assert len(_mentions(bad)) == 3
    fine = tmp_path / "fine.py"
    fine.write_text('"""No --no-gui here: a build, a suite, a guide."""\nimport sys\n', encoding="utf-8")
    assert _mentions(fine) == []


def _core_alone(args: list[str]) -> subprocess.CompletedProcess[str]:
    code = f"import sys; from station_app.cli import main; sys.exit(main({args!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=cli_env(None), timeout=60
    )


def test_the_core_alone_has_its_own_commands_and_no_desktop_app() -> None:
    """Without the launcher, `demo` is not a command and no command is refused input (exit 2)
    instead of opening a window; the core's commands still run."""
    assert _core_alone(["calendar", "add-working-days", "2025-09-26", "5"]).stdout.strip() == "2025-10-10"
    demo = _core_alone(["demo", "--no-open"])
    assert demo.returncode == 2 and "command" in json.loads(demo.stdout)["fields"]
    bare = _core_alone([])
    assert bare.returncode == 2 and json.loads(bare.stdout)["fields"] == {"command": "必填"}


def test_the_launcher_adds_the_desktop_app_and_syncs_commands() -> None:
    from station_app import bench, cli
    from station_launcher import register_all
    from sync.relay.cli import register as relay_commands
    from ui.bench import bench_figures
    from ui.commands import cmd_gui

    register_all()
    register_all()  # twice changes nothing
    assert [cmd_gui] == cli.DEFAULT_COMMAND
    assert cli.EXTRA_COMMANDS.count(relay_commands) == 1
    assert [bench_figures] == bench.EXTRA_FIGURES
    assert [f.__name__ for f in bench.CITY_FIGURES].count("_city_import_figures") == 1  # the city import, once
    help_text = subprocess.run(
        [sys.executable, "-m", "station_launcher", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=cli_env(None),
        timeout=60,
    ).stdout
    assert all(name in help_text for name in ("demo", "screenshot", "selfcheck", "relay", "print", "case"))


def _dist_info(root: Path, target: str) -> dict[str, str]:
    """A distribution named like the installed app whose console script is `target`, first on
    the path (the environment an install of this checkout makes)."""
    info = root / "station_app-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: station-app\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[console_scripts]\nstation-app = {target}\n", encoding="utf-8")
    env = cli_env(None)
    env["PYTHONPATH"] = str(root) + ":" + env["PYTHONPATH"]
    return env


def test_python_m_station_app_runs_the_installed_launcher(tmp_path: Path) -> None:
    """`python -m station_app` and `python -m station_app.cli` run what the console script runs:
    the launcher's `relay serve` then refuses a missing keyring; an install whose script is the
    core's own main knows no `relay` command. (Run outside the checkout, whose own build
    metadata would otherwise come first on the path.)"""
    whole = _dist_info(tmp_path / "whole", "station_launcher:main")
    core = _dist_info(tmp_path / "core", "station_app.cli:main")
    for module in ("station_app", "station_app.cli"):
        argv = [sys.executable, "-m", module, "relay", "serve", "--keyring", str(tmp_path / "none.json")]
        served = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, env=whole, timeout=60)
        assert served.returncode == 2 and json.loads(served.stdout)["fields"] == {"keyring": "找不到密钥环文件"}
        alone = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, env=core, timeout=60)
        assert alone.returncode == 2 and "command" in json.loads(alone.stdout)["fields"]


def _imports_graph() -> dict[str, set[str]]:
    """Every module of the app and the app's modules it imports (at any depth of the code)."""
    graph: dict[str, set[str]] = {}
    for package in ("station_app", "sync", "ui", "station_launcher"):
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            graph[name] = found
    return {name: {m for m in found if m in graph and m != name} for name, found in graph.items()}


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph[todo.pop()]:
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def test_the_paper_builders_and_the_screenshots_are_out_of_import_circles() -> None:
    """The monthly report's builder takes the statistics DTO without importing the statistics
    service, and the demo station used by the screenshots lives in the core, not in the command
    module that starts the screenshots."""
    graph = _imports_graph()
    for builder, service in (
        ("station_app.documents.report", "station_app.services.stats_service"),
        ("ui.screenshots", "ui.commands"),
    ):
        assert _reaches(graph, service, builder) or _reaches(graph, builder, service)
        assert not (_reaches(graph, service, builder) and _reaches(graph, builder, service))
    builders = [m for m in graph if m.startswith("station_app.documents.") and m not in ("station_app.documents.cli",)]
    assert not [
        m for m in builders if m != "station_app.documents.bench" and _reaches(graph, m, "station_app.services.session")
    ]


SQL_CALLS = frozenset({"text", "select", "execute", "exec_driver_sql", "scalar", "scalars"})
SQL_TEXT = re.compile(r"\b(SELECT .* FROM|INSERT INTO|UPDATE \w+ SET|DELETE FROM|PRAGMA \w+)\b")


def _sql_in(path: Path) -> list[str]:
    """Where a module writes SQL itself: a call of `text(...)` or `select(...)`, or of a
    connection's `.execute(...)` (or `exec_driver_sql`, `scalar`), an import of SQLAlchemy's
    statement builders, or a string that reads as a statement."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in SQL_CALLS and (isinstance(func, ast.Attribute) or name in ("text", "select")):
                found.append(f"line {node.lineno}: {name}(")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name in ("text", "select")]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value):
            found.append(f"line {node.lineno}: {node.value[:60]!r}")
    return found


def test_no_service_holds_sql_of_its_own() -> None:
    """The schema is known in the models, the projection, the migrations and the read model
    (`station_app/store/read_model`), nowhere else: the services ask the read model by name."""
    files = sorted((ROOT / "station_app" / "services").rglob("*.py"))
    assert len(files) > 20
    offenders = {str(f.relative_to(ROOT)): m for f in files if (m := _sql_in(f))}
    assert offenders == {}


def test_the_sql_scan_catches_a_query_and_spares_lookalikes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from sqlalchemy import select, text\n"
        "rows = conn.execute(text('SELECT 1'))\n"
        "stmt = select(users)\n"
        "n = conn.scalar(stmt)\n"
        "SQL = 'SELECT name FROM users WHERE active'\n",
        encoding="utf-8",
    )
    assert len(_sql_in(bad)) == 7
    fine = tmp_path / "fine.py"
    fine.write_text(
        "body = _text(data, 'text', 'label')\npath.write_text('x')\nraw = path.read_text()\n"
        '"""Create the station and select its first user."""\n'
        "from station_app.store.read_model import cases\nrow = cases.case_row(conn, ref)\n",
        encoding="utf-8",
    )
    assert _sql_in(fine) == []
