"""Errors on screen: what the user can act on in plain Chinese; our bugs logged and reported."""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from station_app.errors import StationError, ValidationError
from station_app.store.environment import EnvironmentProblem, as_environment_problem
from ui.i18n import TR
from ui.widgets import message

log = logging.getLogger("station_app.ui")
# The data folder the app works in (set at start): named by messages about the environment.
DATA_DIR: list[Path] = []


def _environment(exc: BaseException) -> EnvironmentProblem | None:
    return as_environment_problem(exc, DATA_DIR[0] if DATA_DIR else None)


def describe(exc: BaseException) -> str:
    """The user-facing text of an error (never a value the user typed); a full disk, a
    read-only folder, a missing or locked file say what and where (store/environment.py)."""
    if not isinstance(exc, StationError) and (problem := _environment(exc)) is not None:
        return str(problem)
    if isinstance(exc, ValidationError):
        return "\n".join(dict.fromkeys(exc.fields.values())) or exc.message
    if isinstance(exc, StationError):
        return str(exc)
    if isinstance(exc, OSError):
        return TR.error_os.format(reason=exc.strerror or type(exc).__name__)
    return TR.error_bug.format(kind=type(exc).__name__)


def show_error(parent: QWidget | None, exc: BaseException) -> QMessageBox:
    """Show `exc`; a bug is logged with its traceback (frames only, no values)."""
    if not isinstance(exc, (StationError, OSError)) and _environment(exc) is None:
        frames = getattr(exc, "__traceback_text__", None) or "".join(traceback.format_tb(exc.__traceback__))
        log.error("unexpected %s in the desktop app\n%s", type(exc).__name__, frames)
        return message(parent, TR.error_bug_title, describe(exc), warning=True)
    return message(parent, TR.error_title, describe(exc), warning=True)


def install_excepthook() -> None:
    """Uncaught exceptions in slots become a crash dialog instead of a silent abort."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("uncaught %s\n%s", kind.__name__, "".join(traceback.format_tb(tb)))
        try:
            message(None, TR.error_bug_title, describe(exc), warning=True)
        except Exception:  # the GUI itself may be gone
            sys.__excepthook__(kind, exc, tb)

    sys.excepthook = hook
