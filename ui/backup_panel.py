"""Settings → 数据备份: when the store was last backed up, a reminder past the interval (a
setting), and a button that writes a checked, encrypted backup into a chosen folder while the
station works (`backup_service`; restoring is `station-app restore`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.enums import Role
from station_app.services.session import Session
from station_app.services.settings_schema import SPECS
from ui.errors import show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.widgets import ErrorLabel, add_field, message, muted

INTERVAL = "backup_reminder_days"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"


class BackupPanel(QWidget):
    """The backup tab. `backed_up` fires with the `BackupResult` after a backup."""

    backed_up = Signal(object)

    def __init__(
        self,
        session: Session,
        runner: Runner,
        apply: Callable[[dict[str, Any], Callable[[set[str]], None] | None], None],
        errors: dict[str, ErrorLabel],
        can_edit: bool,
    ) -> None:
        super().__init__()
        self.session, self.runner, self._apply = session, runner, apply
        self.can_backup = session.role in (Role.HEAD, Role.ADMIN)
        column = QVBoxLayout(self)
        column.addWidget(muted(TR.backup_hint))
        self.last = QLabel()
        column.addWidget(self.last)
        self.due = ErrorLabel()
        column.addWidget(self.due)
        form = QFormLayout()
        spec = SPECS[INTERVAL]
        self.interval = QSpinBox()
        self.interval.setRange(int(spec.minimum or 1), int(spec.maximum or 365))
        self.interval.setValue(int(session.setting(INTERVAL)))
        self.interval.setEnabled(can_edit)
        self.interval.setMaximumWidth(self.interval.fontMetrics().horizontalAdvance("0" * 18) + 48)
        errors[INTERVAL] = add_field(form, spec.label, self.interval)
        column.addLayout(form)
        row = QHBoxLayout()
        if not self.can_backup:
            row.addWidget(muted(TR.backup_heads_only))
        row.addStretch(1)
        save = QPushButton(TR.save)
        save.setEnabled(can_edit)
        save.clicked.connect(self._on_save_clicked)
        row.addWidget(save)
        self.button = QPushButton(TR.backup_now)
        self.button.setObjectName("primary")
        self.button.setEnabled(self.can_backup)
        self.button.clicked.connect(self._on_button_clicked)
        row.addWidget(self.button)
        column.addLayout(row)
        column.addStretch(1)
        self.refresh()

    def _on_save_clicked(self) -> None:
        self._apply({INTERVAL: self.interval.value()}, lambda saved: self.refresh() if saved else None)

    def overdue_days(self) -> int | None:
        from station_app.services.backup_service import backup_overdue

        return backup_overdue(self.session)

    def refresh(self) -> None:
        """Show the last backup and, past the interval, the reminder."""
        from station_app.services.backup_service import last_backup

        at = last_backup(self.session)
        self.last.setText(TR.backup_last.format(at=at.replace("T", " ")[:16]) if at else TR.backup_never)
        days = self.overdue_days()
        text = (TR.backup_due if at else TR.backup_due_never).format(days=days)
        self.due.show_error(text if days is not None else None)

    def _on_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, TR.backup_choose)
        if folder:
            self.backup_to(Path(folder))

    def backup_to(self, folder: Path) -> None:
        """Write a backup into `folder` off the GUI thread; say where, how big, what it holds."""
        from station_app.services.backup_service import backup

        self.button.setEnabled(False)
        self.button.setText(TR.backup_running)
        self.runner.run(lambda: backup(self.session, folder), self._on_backup_done, self._on_backup_failed, write=True)

    def _on_backup_done(self, result: Any) -> None:
        self._restore_button()
        self.refresh()
        self.backed_up.emit(result)
        text = TR.backup_done.format(
            file=result.file, size=_size(result.bytes), cases=result.cases, events=result.events
        )
        message(self, TR.backup_tab, text)

    def _on_backup_failed(self, exc: BaseException) -> None:
        self._restore_button()
        show_error(self, exc)

    def _restore_button(self) -> None:
        self.button.setText(TR.backup_now)
        self.button.setEnabled(self.can_backup)
