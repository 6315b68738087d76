"""First start: make the station (code, name, town, first admin) when none exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from station_app.clock import Clock
from station_app.domain.enums import TOWNS
from ui.errors import describe
from ui.i18n import TR
from ui.ops import Runner
from ui.widgets import ErrorLabel, add_field, heading, muted


def _create(data_dir: Path, values: dict[str, str], clock: Clock | None) -> Any:
    from station_app.services.station_service import init_station

    return init_station(
        data_dir,
        values["station_code"],
        values["station_name"],
        values["town_code"],
        values["admin"],
        values["password"],
        clock,
    )


class SetupDialog(QDialog):
    """Emits `station_created(session)` with the first admin's session."""

    station_created = Signal(object)

    def __init__(
        self, data_dir: Path, runner: Runner, parent: QWidget | None = None, clock: Clock | None = None
    ) -> None:
        super().__init__(parent)
        self.data_dir, self.runner, self.clock = data_dir, runner, clock
        self.setWindowTitle(TR.setup_title)
        self.setMinimumWidth(620)
        column = QVBoxLayout(self)
        column.addWidget(heading(TR.setup_title))
        column.addWidget(muted(TR.setup_intro))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.town = QComboBox()
        for code, name in TOWNS.items():
            self.town.addItem(f"{name}({code})", code)
        self.town.currentIndexChanged.connect(self._on_town_changed)
        self.station_code = QLineEdit()
        self.station_code.setPlaceholderText(TR.setup_station_code_hint)
        self.station_code.setMaxLength(12)
        self.station_name = QLineEdit()
        self.admin = QLineEdit("admin")
        self.password = QLineEdit()
        self.password2 = QLineEdit()
        for box in (self.password, self.password2):
            box.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors: dict[str, ErrorLabel] = {
            "town_code": add_field(form, TR.setup_town, self.town),
            "station_code": add_field(form, TR.setup_station_code, self.station_code),
            "station_name": add_field(form, TR.setup_station_name, self.station_name),
            "admin": add_field(form, TR.setup_admin, self.admin),
            "password": add_field(form, TR.setup_password, self.password),
            "password2": add_field(form, TR.setup_password2, self.password2),
        }
        column.addLayout(form)
        self.error = ErrorLabel()
        column.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        self.create_button = QPushButton(TR.setup_create)
        self.create_button.setObjectName("primary")
        self.create_button.clicked.connect(self._on_create_clicked)
        row.addWidget(self.create_button)
        column.addLayout(row)
        self._on_town_changed()

    def values(self) -> dict[str, str]:
        return {
            "town_code": str(self.town.currentData()),
            "station_code": self.station_code.text().strip(),
            "station_name": self.station_name.text().strip(),
            "admin": self.admin.text().strip(),
            "password": self.password.text(),
        }

    def _on_town_changed(self) -> None:
        code = str(self.town.currentData())
        if not self.station_code.text() or self.station_code.text()[:9] in TOWNS:
            self.station_code.setText(code + "001")
        if not self.station_name.text() or self.station_name.text().endswith(TR.setup_name_suffix):
            self.station_name.setText(TOWNS[code] + TR.setup_name_suffix)

    def _on_create_clicked(self) -> None:
        for label in self.errors.values():
            label.show_error(None)
        if self.password.text() != self.password2.text():
            self.errors["password2"].show_error(TR.setup_password_mismatch)
            return
        self.create_button.setEnabled(False)
        self.create_button.setText(TR.setup_busy)
        values = self.values()
        self.runner.run(
            lambda: _create(self.data_dir, values, self.clock), self._on_created, self._on_failed, write=True
        )

    def _on_created(self, session: Any) -> None:
        self.station_created.emit(session)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        from station_app.errors import ValidationError

        self.create_button.setEnabled(True)
        self.create_button.setText(TR.setup_create)
        if isinstance(exc, ValidationError):
            for key, why in exc.fields.items():
                self.errors.get(key, self.errors["station_name"]).show_error(why)
        else:
            self.error.show_error(describe(exc))
