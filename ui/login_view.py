"""The login window: the station's accounts, a password, one generic error, a caps-lock hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from station_app.clock import Clock
from station_app.services.login_service import StationFacts
from ui.i18n import TR
from ui.ops import Runner
from ui.widgets import ErrorLabel, heading, muted


def caps_lock_on(event: QKeyEvent) -> bool | None:
    """Whether caps lock seems on, judged from a typed letter (None: cannot tell)."""
    text = event.text()
    if len(text) != 1 or not text.isascii() or not text.isalpha():
        return None
    shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
    return text.isupper() != shift


def _login(data_dir: Path, user: str, password: str, clock: Clock | None) -> Any:
    from station_app.services.session import login  # heavy imports after the window shows

    return login(data_dir, user, password, clock)


class LoginView(QWidget):
    """Emits `logged_in(session)` after a successful login."""

    logged_in = Signal(object)

    def __init__(
        self,
        data_dir: Path,
        facts: StationFacts,
        runner: Runner,
        user: str | None = None,
        demo_password: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__()
        self.data_dir, self.runner, self.clock = data_dir, runner, clock
        self.station_code = facts.station_code
        self.recovery: Any = None
        self.setWindowTitle(TR.app_title_station.format(station=facts.station_name))
        card = QFrame()
        card.setObjectName("panel")
        card.setMaximumWidth(560)
        column = QVBoxLayout(card)
        column.setContentsMargins(32, 28, 32, 28)
        column.setSpacing(12)
        column.addWidget(heading(TR.app_title))
        self.station_label = heading(facts.station_name, 2)
        column.addWidget(self.station_label)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.user_box = QComboBox()
        self.user_box.addItems(list(facts.users))
        if user and user in facts.users:
            self.user_box.setCurrentText(user)
        form.addRow(TR.login_user, self.user_box)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.password.installEventFilter(self)
        self.password.returnPressed.connect(self._on_login_clicked)
        form.addRow(TR.login_password, self.password)
        column.addLayout(form)
        self.caps_hint = QLabel(TR.login_caps)
        self.caps_hint.setObjectName("hint")
        self.caps_hint.hide()
        column.addWidget(self.caps_hint)
        self.error = ErrorLabel()
        column.addWidget(self.error)
        self.lockout_hint = QLabel(facts.lockout_rule if facts.exists else "")
        self.lockout_hint.setObjectName("hint")
        self.lockout_hint.setWordWrap(True)
        self.lockout_hint.hide()
        column.addWidget(self.lockout_hint)
        buttons = QHBoxLayout()
        self.forgot_button = QPushButton(TR.login_forgot)
        self.forgot_button.setFlat(True)
        self.forgot_button.clicked.connect(self.open_recovery)
        self.forgot_button.setVisible(facts.exists)
        buttons.addWidget(self.forgot_button)
        buttons.addStretch(1)
        self.login_button = QPushButton(TR.login_button)
        self.login_button.setObjectName("primary")
        self.login_button.setDefault(True)
        self.login_button.clicked.connect(self._on_login_clicked)
        buttons.addWidget(self.login_button)
        column.addLayout(buttons)
        self.demo_label = QLabel(TR.login_demo.format(password=demo_password or ""))
        self.demo_label.setObjectName("banner")
        self.demo_label.setWordWrap(True)
        self.demo_label.setVisible(bool(demo_password))
        column.addWidget(self.demo_label)
        column.addWidget(muted(TR.login_data_dir.format(path=data_dir)))
        if not facts.users:
            self.error.show_error(TR.login_no_users)
            self.login_button.setEnabled(False)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        (self.password if self.user_box.currentText() else self.user_box).setFocus()

    def open_recovery(self) -> None:
        """忘记全部密码: the recovery steps in a dialog; afterwards the new admin is chosen here."""
        from ui.recovery_dialog import RecoveryDialog

        self.recovery = RecoveryDialog(self.data_dir, self.station_code, self.runner, self.clock, self)
        self.recovery.recovered.connect(self._on_recovered)
        self.recovery.open()

    def _on_recovered(self, admin: str) -> None:
        if self.user_box.findText(admin) < 0:
            self.user_box.addItem(admin)
        self.user_box.setCurrentText(admin)
        self.login_button.setEnabled(True)
        self.error.show_error(None)
        self.password.setFocus()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.password.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.password and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            caps = caps_lock_on(event)
            if caps is not None:
                self.caps_hint.setVisible(caps)
        return super().eventFilter(watched, event)

    def _on_login_clicked(self) -> None:
        user, password = self.user_box.currentText(), self.password.text()
        if not user or not password or not self.login_button.isEnabled():
            return
        self.error.show_error(None)
        self.login_button.setEnabled(False)
        self.login_button.setText(TR.login_busy)
        self.runner.run(
            lambda: _login(self.data_dir, user, password, self.clock),
            self._on_login_succeeded,
            self._on_login_failed,
            write=True,
        )

    def _on_login_succeeded(self, session: Any) -> None:
        self.password.clear()
        self._reset_button()
        self.logged_in.emit(session)

    def _on_login_failed(self, exc: BaseException) -> None:
        from ui.errors import describe

        self._reset_button()
        self.password.selectAll()
        self.password.setFocus()
        self.error.show_error(describe(exc))
        self.lockout_hint.setVisible(bool(self.lockout_hint.text()))

    def _reset_button(self) -> None:
        self.login_button.setEnabled(True)
        self.login_button.setText(TR.login_button)
