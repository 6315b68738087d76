"""Background work: run a service call on a worker thread, answer on the GUI thread.

Reads run on a small pool; writes run one at a time on their own pool, so the event chain is
extended by one writer at a time. A `key` makes an op supersede earlier ones with the same
key (search-as-you-type keeps only the latest answer).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger("ui.ops")
ErrorHandler = Callable[[BaseException], object]


class _OpSignals(QObject):
    succeeded = Signal(int, object)
    failed = Signal(int, object)


class _Op(QRunnable):
    def __init__(self, op_id: int, fn: Callable[[], Any], signals: _OpSignals) -> None:
        super().__init__()
        self.op_id = op_id
        self.fn = fn
        self.signals = signals

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # handed to the GUI thread, which decides what to show
            exc.__traceback_text__ = "".join(traceback.format_tb(exc.__traceback__))  # type: ignore[attr-defined]
            self.signals.failed.emit(self.op_id, exc)
        else:
            self.signals.succeeded.emit(self.op_id, result)


class Runner(QObject):
    """Runs callables off the GUI thread; callbacks are called on the GUI thread."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, readers: int = 2) -> None:
        super().__init__(parent)
        self._read_pool = QThreadPool(self)
        self._read_pool.setMaxThreadCount(readers)
        self._write_pool = QThreadPool(self)
        self._write_pool.setMaxThreadCount(1)
        self._signals = _OpSignals(self)
        self._signals.succeeded.connect(self._on_op_succeeded)
        self._signals.failed.connect(self._on_op_failed)
        self._next_id = 0
        self._pending: dict[int, tuple[Callable[[Any], None], ErrorHandler | None, str | None]] = {}
        self._latest: dict[str, int] = {}
        self.default_error: ErrorHandler | None = None

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: ErrorHandler | None = None,
        *,
        key: str | None = None,
        write: bool = False,
    ) -> int:
        """Start `fn()` on a worker; call `on_done(result)` or `on_error(exc)` on the GUI thread."""
        self._next_id += 1
        op_id = self._next_id
        self._pending[op_id] = (on_done, on_error, key)
        if key is not None:
            self._latest[key] = op_id
        was_idle = len(self._pending) == 1
        (self._write_pool if write else self._read_pool).start(_Op(op_id, fn, self._signals))
        if was_idle:
            self.busy_changed.emit(True)
        return op_id

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until every op has finished (shutdown and tests); callbacks still queued."""
        return bool(self._read_pool.waitForDone(msecs) and self._write_pool.waitForDone(msecs))

    def cancel_all(self) -> None:
        """Forget every pending callback (the screens that asked are going away)."""
        had = bool(self._pending)
        self._pending.clear()
        self._latest.clear()
        if had:
            self.busy_changed.emit(False)

    def _take(self, op_id: int) -> tuple[Callable[[Any], None], ErrorHandler | None] | None:
        entry = self._pending.pop(op_id, None)
        if entry is None:
            return None
        if not self._pending:
            self.busy_changed.emit(False)
        on_done, on_error, key = entry
        if key is not None and self._latest.get(key) != op_id:
            return None  # superseded by a newer op with the same key
        owner = getattr(on_done, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return None  # the screen that asked has been closed and deleted
        return on_done, on_error

    @Slot(int, object)
    def _on_op_succeeded(self, op_id: int, result: object) -> None:
        entry = self._take(op_id)
        if entry is not None:
            entry[0](result)

    @Slot(int, object)
    def _on_op_failed(self, op_id: int, exc: BaseException) -> None:
        entry = self._take(op_id)
        if entry is None:
            return
        handler = entry[1] or self.default_error
        if handler is None:
            log.error("background op failed: %s\n%s", type(exc).__name__, getattr(exc, "__traceback_text__", ""))
            return
        handler(exc)
