"""The composition root: the one module that names every package of the app.

The core (`station_app`) owns the command line's parser and its own commands; the packages above
it (`sync`, the desktop app `ui`) add theirs through `station_app.cli.EXTRA_COMMANDS`, and the
desktop app is what runs with no command. `main` is the console script `station-app` and the
frozen app's entry; `python -m station_launcher` runs the same. A new command module goes in
`COMMAND_MODULES` (a module with `register(subparsers)`); importing one must stay cheap (no Qt,
no server stack at module level).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

COMMAND_MODULES = (
    "sync.cli",
    "sync.recovery_cli",  # after sync.cli: it adds `city recover` to the city group
    "sync.run_cli",  # adds `sync run` to the `sync` group, so it comes after the module making it
    "sync.relay.cli",
    "ui.commands",
    "ui.selfcheck",
)


def _import(module: str) -> object | None:
    """The module, or None when its package is not installed (the core runs without the GUI)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


def register_all() -> None:
    """Add every package's commands, the no-command default (the desktop app) and the desktop
    app's bench figures to the core's registries; safe to call more than once."""
    from station_app import bench, cli

    for module in COMMAND_MODULES:
        register = getattr(_import(module), "register", None)
        if register is not None and register not in cli.EXTRA_COMMANDS:
            cli.EXTRA_COMMANDS.append(register)
    commands = _import("ui.commands")
    gui = getattr(commands, "cmd_gui", None)
    if gui is not None and gui not in cli.DEFAULT_COMMAND:
        cli.DEFAULT_COMMAND.append(gui)
    gui_bench = _import("ui.bench")
    figures = getattr(gui_bench, "bench_figures", None)
    if figures is not None and figures not in bench.EXTRA_FIGURES:
        bench.EXTRA_FIGURES.append(figures)
    if _city_import_figures not in bench.CITY_FIGURES:
        bench.CITY_FIGURES.append(_city_import_figures)


def _city_import_figures(session: Any) -> dict[str, Any]:
    """The sync package's import of a 10,000-case backlog into the city benchmark's store.

    Imported when the city benchmark runs, not at every start.
    """
    from sync.exchange_bench import city_import_figures

    return city_import_figures(session)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command of the whole app (DESIGN.md "Command line"); no command opens the
    desktop app. Exit codes as `station_app.cli.main`."""
    from station_app.cli import main as core_main

    register_all()
    return core_main(argv)
