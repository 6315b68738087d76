"""GUI tests: offscreen Qt, the app's theme and Chinese Qt texts, a station with three roles.

Chinese is typed with QInputMethodEvent commit strings (as an input method does):
`qtbot.keyClicks` with non-ASCII text aborts the process.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from station_app.clock import FixedClock
from station_app.services.session import Session, login
from station_app.services.user_service import add_user
from tests.conftest import FAST_KDF

WORKER, HEAD = "wangli", "zhaogang"
PASSWORD = "worker-pass-123"


def pytest_configure(config: pytest.Config) -> None:
    # The offscreen platform reports what it cannot do; that is not a failure of ours.
    config.addinivalue_line("qt_log_ignore", "This plugin does not support")


@pytest.fixture(autouse=True)
def _themed_app(qapp: Any) -> None:
    from ui import theme

    if not qapp.property("themed"):
        theme.install_translator(qapp)
        theme.apply_theme(qapp, 1.0)
        qapp.setProperty("themed", True)


@pytest.fixture
def desk_station(station: Session) -> Session:
    """The admin session of a station that also has a worker and a head."""
    add_user(station, WORKER, "worker", PASSWORD, "王丽", FAST_KDF)
    add_user(station, HEAD, "head", PASSWORD, "赵刚", FAST_KDF)
    return station


@pytest.fixture
def worker(desk_station: Session, data_dir: Path, clock: FixedClock) -> Iterator[Session]:
    session = login(data_dir, WORKER, PASSWORD, clock)
    yield session
    session.close()


@pytest.fixture
def head(desk_station: Session, data_dir: Path, clock: FixedClock) -> Iterator[Session]:
    session = login(data_dir, HEAD, PASSWORD, clock)
    yield session
    session.close()


@pytest.fixture
def runner(qtbot: Any) -> Iterator[Any]:
    from ui.ops import Runner

    r = Runner()
    yield r
    r.wait()
    r.cancel_all()


@pytest.fixture
def main_window(qtbot: Any, worker: Session, runner: Any) -> Iterator[Any]:
    from ui.main_window import MainWindow

    window = MainWindow(worker, runner)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.idle.detach()
    runner.wait()


def commit_text(widget: Any, text: str) -> None:
    """Type `text` into `widget` the way a Chinese input method does."""
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    widget.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def settle(qtbot: Any, runner: Any, ms: int = 50) -> None:
    """Let worker ops finish and their answers arrive on the GUI thread."""
    runner.wait()
    qtbot.wait(ms)
