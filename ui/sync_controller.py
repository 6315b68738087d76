"""Background sync through the relay and the status-bar indicator (已同步 / 待同步 N / 无法连接中转).

A round runs on a worker of the runner, never on the GUI thread, and never two at once: the
controller starts none while one is running (and the data folder's sync lock stops a command
line round from overlapping). Every `sync_interval_minutes` (a setting) a round starts by
itself when the store has a relay address.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from station_app.services.session import Session
from sync.relay_client import Backoff
from sync.station_sync import SyncOverview, sync_overview, sync_round
from ui.i18n import TR
from ui.ops import Runner

#: Retries of one round in the app: four tries over a few seconds, then 无法连接中转 until the next.
ROUND_BACKOFF = Backoff(attempts=4, base_s=0.5, max_s=4.0)


class SyncController(QObject):
    """Runs sync rounds off the GUI thread and keeps the latest overview.

    Signals:
        progress(stage, done, total): from any sync work (see `sync.run.Progress`).
        overview_changed(SyncOverview): after every reload of the overview.
        round_finished(object): the round's JSON result, or the exception it failed with.
        indicator_changed(str): the status-bar text ("" at a standalone station).
    """

    progress = Signal(str, int, int)
    overview_changed = Signal(object)
    round_finished = Signal(object)
    indicator_changed = Signal(str)

    def __init__(self, session: Session, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.overview: SyncOverview | None = None
        self.running = False
        self.unreachable = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_timer)
        self.set_interval(int(session.setting("sync_interval_minutes")))

    # -- the overview -------------------------------------------------------------------------
    def reload(self) -> None:
        """Reload the overview (off the GUI thread); starts or stops the timer with the relay."""
        session = self.session
        self.runner.run(
            lambda: sync_overview(session), self._on_overview, self._on_overview_failed, key="sync-overview"
        )

    def _on_overview(self, overview: SyncOverview) -> None:
        self.overview = overview
        if overview.relay_url and not self.timer.isActive():
            self.timer.start()
        elif not overview.relay_url:
            self.timer.stop()
        self.overview_changed.emit(overview)
        self.indicator_changed.emit(self.indicator_text())

    def _on_overview_failed(self, _exc: BaseException) -> None:
        self.indicator_changed.emit("")

    def indicator_text(self) -> str:
        """已同步 / 待同步 N / 无法连接中转; "" when this station does not sync with a city."""
        overview = self.overview
        if overview is None or not overview.bound:
            return ""
        if self.unreachable and overview.relay_url:
            return TR.sync_indicator_unreachable
        if overview.events_waiting:
            return TR.sync_indicator_due.format(count=overview.events_waiting)
        return TR.sync_indicator_done

    def set_interval(self, minutes: int) -> None:
        """Run a background round every `minutes` minutes (while a relay is configured)."""
        self.timer.setInterval(max(1, minutes) * 60_000)

    # -- rounds -------------------------------------------------------------------------------
    def sync_now(self) -> bool:
        """Start a round through the relay unless one is running or none is configured; True if started."""
        url = self.overview.relay_url if self.overview is not None else None
        if self.running or not url:
            return False
        self.running = True
        session = self.session

        def emit(stage: str, done: int, total: int) -> None:
            self.progress.emit(stage, done, total)

        self.runner.run(lambda: sync_round(session, url, ROUND_BACKOFF, emit).to_json(), self._on_done, self._on_failed)
        return True

    def _on_timer(self) -> None:
        self.sync_now()

    def _on_done(self, result: Any) -> None:
        self.running = False
        self.unreachable = False
        self.round_finished.emit(result)
        self.reload()

    def _on_failed(self, exc: BaseException) -> None:
        from sync.relay_client import RelayUnreachable

        self.running = False
        self.unreachable = isinstance(exc, RelayUnreachable)
        self.round_finished.emit(exc)
        self.reload()

    def stop(self) -> None:
        """No more background rounds (logout, shutdown)."""
        self.timer.stop()
