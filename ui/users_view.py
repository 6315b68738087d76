"""Station accounts (admin: add, reset password, role, disable/enable; head: unlock) and the
user's own password.

Every change runs on the runner's writer (a new password is an Argon2id wrap: seconds on a
station PC); the button that started it is disabled until the answer lands.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.enums import ROLE_LABELS
from station_app.errors import StationError, ValidationError
from station_app.services import user_service
from station_app.services.permissions import permissions
from station_app.services.session import Session
from ui.errors import describe, show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.rows_model import RowsModel
from ui.widgets import ErrorLabel, add_field, heading, message


def _password() -> QLineEdit:
    line = QLineEdit()
    line.setEchoMode(QLineEdit.EchoMode.Password)
    return line


class UserDialog(QDialog):
    """Add a user, reset a password or change a role (`mode`: add | reset | role)."""

    def __init__(
        self, session: Session, mode: str, runner: Runner, name: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.mode, self.name, self.runner = session, mode, name, runner
        titles = {
            "add": TR.user_dialog_title,
            "reset": TR.user_reset_title.format(name=name),
            "role": TR.user_role_title.format(name=name),
        }
        self.setWindowTitle(titles[mode])
        self.setMinimumWidth(480)
        column = QVBoxLayout(self)
        column.addWidget(heading(titles[mode], 2))
        form = QFormLayout()
        self.errors: dict[str, ErrorLabel] = {}
        self.user_name = QLineEdit()
        self.display = QLineEdit()
        self.role = QComboBox()
        for role in permissions(session).assignable_roles:
            self.role.addItem(ROLE_LABELS[role], role.value)
        self.password, self.password2 = _password(), _password()
        if mode == "add":
            self.errors["name"] = add_field(form, TR.user_name, self.user_name)
            self.errors["display"] = add_field(form, TR.user_display, self.display)
        if mode in ("add", "role"):
            self.errors["role"] = add_field(form, TR.user_role, self.role)
        if mode in ("add", "reset"):
            self.errors["password"] = add_field(form, TR.user_password, self.password)
            self.errors["password2"] = add_field(form, TR.user_password2, self.password2)
        column.addLayout(form)
        self.error = ErrorLabel()
        column.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(TR.ok)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(TR.cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)

    def submit(self) -> None:
        for label in self.errors.values():
            label.show_error(None)
        if self.mode in ("add", "reset") and self.password.text() != self.password2.text():
            self.errors["password2"].show_error(TR.setup_password_mismatch)
            return
        session, name, password = self.session, self.name, self.password.text()
        role, new_name, display = str(self.role.currentData()), self.user_name.text().strip(), self.display.text()
        change: Callable[[], object]
        if self.mode == "add":
            change = lambda: user_service.add_user(session, new_name, role, password, display.strip() or None)  # noqa: E731
        elif self.mode == "reset":
            change = lambda: user_service.change_password(session, name, password)  # noqa: E731
        else:
            change = lambda: user_service.set_role(session, name, role)  # noqa: E731
        self.ok_button.setEnabled(False)
        self.runner.run(change, self._on_change_done, self._on_change_failed, write=True)

    @property
    def busy(self) -> bool:
        """Whether the change is on its way (the OK button is disabled until it lands)."""
        return not self.ok_button.isEnabled()

    def _on_change_done(self, _result: object) -> None:
        self.ok_button.setEnabled(True)
        self.accept()

    def _on_change_failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            for key, why in exc.fields.items():
                self.errors.get(key, self.error).show_error(why)
        elif isinstance(exc, StationError):
            self.error.show_error(describe(exc))
        else:
            show_error(self, exc)


class UsersView(QWidget):
    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__()
        self.session, self.runner = session, runner
        may = permissions(session)
        admin = may.manage_users
        column = QVBoxLayout(self)
        self.model = RowsModel((TR.col_user, TR.col_display, TR.col_user_role, TR.col_locked, TR.col_user_state), self)
        self.active: dict[str, bool] = {}
        self.question: QMessageBox | None = None
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        column.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        for label, slot, allowed in (
            (TR.users_add, self._on_add_clicked, admin),
            (TR.users_reset, self._on_reset_clicked, admin),
            (TR.users_role, self._on_role_clicked, admin),
            (TR.users_active_toggle, self._on_active_clicked, admin),
            (TR.users_unlock, self._on_unlock_clicked, may.unlock_users),
        ):
            button = QPushButton(label)
            button.setEnabled(allowed)
            button.clicked.connect(slot)
            row.addWidget(button)
            if slot == self._on_unlock_clicked:
                self.unlock_button = button
        column.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        users = user_service.list_users(self.session)
        self.active = {u.name: u.active for u in users}
        self.model.set_rows(
            [
                (
                    u.name,
                    u.display_name,
                    u.role.label,
                    (u.locked_until or "")[:16].replace("T", " "),
                    TR.user_state_active if u.active else TR.user_state_disabled,
                )
                for u in users
            ],
            keys=[u.name for u in users],
        )

    def selected(self) -> str | None:
        key = self.model.key_at(self.table.currentIndex().row())
        return str(key) if key else None

    def _open(self, mode: str, name: str = "") -> UserDialog:
        dialog = UserDialog(self.session, mode, self.runner, name, self)
        dialog.accepted.connect(self.refresh)
        dialog.open()
        return dialog

    def _on_add_clicked(self) -> None:
        self._open("add")

    def _on_reset_clicked(self) -> None:
        if name := self.selected():
            self._open("reset", name)

    def _on_role_clicked(self) -> None:
        if name := self.selected():
            self._open("role", name)

    def _on_active_clicked(self) -> None:
        """Ask before disabling (or enabling) the selected account; the service decides."""
        name = self.selected()
        if not name:
            return
        disable = self.active.get(name, True)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            TR.users_disable if disable else TR.users_enable,
            (TR.users_disable_confirm if disable else TR.users_enable_confirm).format(name=name),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        go = box.addButton(
            TR.users_disable if disable else TR.users_enable,
            QMessageBox.ButtonRole.DestructiveRole if disable else QMessageBox.ButtonRole.AcceptRole,
        )
        keep = box.addButton(TR.cancel, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.buttonClicked.connect(lambda button: self._set_active(name, not disable) if button is go else None)
        self.question = box
        box.open()

    def _set_active(self, name: str, active: bool) -> None:
        try:
            (user_service.enable_user if active else user_service.disable_user)(self.session, name)
        except Exception as exc:
            show_error(self, exc)
            return
        self.refresh()
        message(self, TR.settings_users, (TR.users_enabled if active else TR.users_disabled).format(name=name))

    def _on_unlock_clicked(self) -> None:
        name = self.selected()
        if not name:
            return
        session = self.session
        self.unlock_button.setEnabled(False)
        self.runner.run(
            lambda: user_service.unlock_user(session, name),
            lambda _result: self._on_unlock_done(name),
            self._on_unlock_failed,
            write=True,
        )

    @property
    def busy(self) -> bool:
        """Whether an unlock is on its way (its button is disabled until it lands)."""
        return not self.unlock_button.isEnabled()

    def _on_unlock_done(self, name: str) -> None:
        self.unlock_button.setEnabled(True)
        self.refresh()
        message(self, TR.settings_users, TR.users_unlocked.format(name=name))

    def _on_unlock_failed(self, exc: BaseException) -> None:
        self.unlock_button.setEnabled(True)
        show_error(self, exc)


class AccountPanel(QWidget):
    """The logged-in user changes their own password."""

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__()
        self.session, self.runner = session, runner
        form = QFormLayout(self)
        form.addRow(heading(TR.account_change_password, 2))
        self.password, self.password2 = _password(), _password()
        self.error = add_field(form, TR.user_password, self.password)
        self.error2 = add_field(form, TR.user_password2, self.password2)
        self.button = QPushButton(TR.account_change_password)
        self.button.clicked.connect(self.submit)
        form.addRow(self.button)

    def submit(self) -> None:
        self.error.show_error(None)
        self.error2.show_error(None)
        if self.password.text() != self.password2.text():
            self.error2.show_error(TR.setup_password_mismatch)
            return
        session, password = self.session, self.password.text()
        self.button.setEnabled(False)
        self.runner.run(
            lambda: user_service.change_password(session, session.user, password),
            self._on_change_done,
            self._on_change_failed,
            write=True,
        )

    @property
    def busy(self) -> bool:
        """Whether the new password is being wrapped and stored (the button is disabled)."""
        return not self.button.isEnabled()

    def _on_change_done(self, _result: object) -> None:
        self.button.setEnabled(True)
        self.password.clear()
        self.password2.clear()
        message(self, TR.settings_account, TR.account_changed)

    def _on_change_failed(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.error.show_error("、".join(exc.fields.values()))
        elif isinstance(exc, StationError):
            self.error.show_error(describe(exc))
        else:
            show_error(self, exc)
