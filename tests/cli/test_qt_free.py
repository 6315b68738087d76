"""The core (station_app) and sync import and work without Qt: checked in fresh interpreters."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, cli_env

IMPORT_ALL = r"""
import importlib, json, pkgutil, sys
BLOCK = {block}
if BLOCK:
    class NoQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6"):
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)  # as if not installed
            return None
    sys.meta_path.insert(0, NoQt())
import station_app, sync
names = []
for pkg in (station_app, sync):
    names.append(pkg.__name__)
    names += [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")]
failed = {{}}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = repr(exc)
import io
from station_app.cli import main
sys.stdin = io.StringIO("{{}}")
codes = [main(["calendar", "add-working-days", "2025-09-26", "5"]), main(["route"])]
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
print(json.dumps({{"modules": names, "failed": failed, "qt": qt, "codes": codes}}))
"""


def _run(block: bool) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL.format(block=block)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=cli_env(None),
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_importing_every_module_of_station_app_and_sync_loads_no_pyside6() -> None:
    """Also runs two CLI commands in the same interpreter (the CLI loads optional extras)."""
    result = _run(block=False)
    modules = result["modules"]
    assert isinstance(modules, list)
    assert {"station_app.cli", "station_app.store.station_store", "station_app.services.case_service", "sync"} <= set(
        modules
    )
    assert result["failed"] == {}
    assert result["qt"] == []
    assert result["codes"] == [0, 2]  # the CLI's core commands load no Qt either


def test_the_core_and_its_cli_work_with_pyside6_absent() -> None:
    result = _run(block=True)
    assert result["failed"] == {}
    assert result["qt"] == []
    assert result["codes"] == [0, 2]  # the command ran; the empty intake was refused as input
