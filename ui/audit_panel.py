"""Settings → 记录核验: every check of `audit verify` from the desk, with a progress bar.

The database pages, every hash chain and the ledger, the account records and every event's
signature (`audit_service.audit_all`), off the GUI thread; the result in one sentence. For a
head or an admin (the `audit` permission); nothing is changed by it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from station_app.services.audit_service import AuditReport, audit_all
from station_app.services.session import Session
from ui.errors import describe
from ui.i18n import TR
from ui.ops import Runner
from ui.widgets import ErrorLabel, muted


class AuditPanel(QWidget):
    """The 记录核验 tab. `progressed(done, total)` moves the bar from the worker thread."""

    progressed = Signal(int, int)

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__()
        self.session, self.runner = session, runner
        self.report: AuditReport | None = None
        column = QVBoxLayout(self)
        column.addWidget(muted(TR.audit_hint))
        row = QHBoxLayout()
        self.button = QPushButton(TR.audit_button)
        self.button.setObjectName("primary")
        self.button.clicked.connect(self.run_audit)
        row.addWidget(self.button)
        row.addStretch(1)
        column.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        column.addWidget(self.progress)
        self.result = QLabel()
        self.result.setWordWrap(True)
        column.addWidget(self.result)
        self.error = ErrorLabel()
        column.addWidget(self.error)
        column.addStretch(1)
        self.progressed.connect(self._on_progress)

    def run_audit(self) -> None:
        """Start every check on a worker; the bar follows the signature check."""
        session, emit = self.session, self.progressed.emit
        self.button.setEnabled(False)
        self.result.clear()
        self.error.show_error(None)
        self.progress.setRange(0, 0)  # busy until the signature check reports its total
        self.progress.show()
        self.runner.run(lambda: audit_all(session, emit), self._on_done, self._on_failed, key="audit")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress.setFormat(TR.audit_progress.format(done=done, total=total))

    def _on_done(self, report: AuditReport) -> None:
        self.report = report
        self._finish()
        problem = report.problem()
        if problem is None and report.chain is not None and report.signatures is not None:
            self.result.setText(
                TR.audit_ok.format(
                    events=report.chain.count, signed=report.signatures.checked, unsigned=report.signatures.unsigned
                )
            )
        else:
            self.error.show_error(TR.audit_failed.format(problem=problem or ""))

    def _on_failed(self, exc: BaseException) -> None:
        self._finish()
        self.error.show_error(describe(exc))

    def _finish(self) -> None:
        self.button.setEnabled(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.hide()
