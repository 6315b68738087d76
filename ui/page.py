"""Base of the main window's screens: reload when shown after the data changed."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from station_app.services.session import Session
from ui.ops import Runner


class Page(QWidget):
    """A screen over one session. `mark_stale()` after any change; it reloads when visible."""

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__()
        self.session = session
        self.runner = runner
        self._stale = True

    def mark_stale(self) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        self._stale = False
        self.refresh()

    def refresh(self) -> None:
        """Load the screen's data (override)."""

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()
