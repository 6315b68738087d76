"""The lock screen: covers every screen (no personal data) until the password is typed again."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from station_app.services.desk_service import confirm_password
from station_app.services.session import Session
from ui.errors import describe
from ui.i18n import TR
from ui.ops import Runner
from ui.widgets import ErrorLabel


class LockView(QFrame):
    unlocked = Signal()
    logout_requested = Signal()

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__()
        self.session, self.runner = session, runner
        self.setObjectName("lock")
        column = QVBoxLayout(self)
        column.addStretch(1)
        title = QLabel(TR.locked_title)
        title.setObjectName("lock_title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(title)
        self.reason = QLabel()
        self.reason.setObjectName("lock_text")
        self.reason.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self.reason)
        from station_app.services.user_service import display_name

        text = QLabel(TR.locked_text.format(user=display_name(session, session.user)))
        text.setObjectName("lock_text")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(text)
        row = QHBoxLayout()
        row.addStretch(1)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMinimumWidth(self.password.fontMetrics().horizontalAdvance("0" * 24))
        self.password.returnPressed.connect(self._on_unlock_clicked)
        self.unlock_button = QPushButton(TR.unlock_button)
        self.unlock_button.setObjectName("primary")
        self.unlock_button.clicked.connect(self._on_unlock_clicked)
        logout = QPushButton(TR.logout_button)
        logout.clicked.connect(self.logout_requested)
        for widget in (self.password, self.unlock_button, logout):
            row.addWidget(widget)
        row.addStretch(1)
        column.addLayout(row)
        self.error = ErrorLabel()
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.setStyleSheet("color: #ffb4a8;")
        column.addWidget(self.error)
        column.addStretch(2)

    def prepare(self, reason: str = "") -> None:
        self.reason.setText(reason)
        self.reason.setVisible(bool(reason))
        self.password.clear()
        self.error.show_error(None)
        self.unlock_button.setEnabled(True)
        self.password.setFocus()

    def _on_unlock_clicked(self) -> None:
        password = self.password.text()
        if not password or not self.unlock_button.isEnabled():
            return
        self.unlock_button.setEnabled(False)
        self.runner.run(
            lambda: confirm_password(self.session, password), self._on_confirmed, self._on_refused, write=True
        )

    def _on_confirmed(self, _result: Any) -> None:
        self.password.clear()
        self.unlocked.emit()

    def _on_refused(self, exc: BaseException) -> None:
        self.unlock_button.setEnabled(True)
        self.password.clear()
        self.password.setFocus()
        self.error.show_error(describe(exc))
