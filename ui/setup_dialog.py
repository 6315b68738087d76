"""First start: make the station (code, name, town, first admin) when none exists.

With a provisioning file from the city the station is bound to the city: its code, name and
town come from the file (verified against the city's signature off the GUI thread), and once
it is made both fingerprints (station and city) are shown in groups of four to read out on
the phone before the station is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
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

    if values.get("kind") == "city":  # the city's store (what `city init` makes)
        from sync.provisioning import init_city

        session, fingerprint = init_city(
            data_dir,
            values["city_code"],
            values["city_name"],
            values["admin"],
            values["password"],
            values["recovery"],
            clock,
        )
        return session, {"city_fingerprint": fingerprint}
    if values.get("provision"):
        from sync.station_sync import init_provisioned

        return init_provisioned(data_dir, Path(values["provision"]), values["admin"], values["password"], clock)

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
        self.provision_path = ""
        self.created: Any = None
        self.pages = QStackedWidget()
        outer = QVBoxLayout(self)
        outer.addWidget(self.pages)
        first = QWidget()
        self.pages.addWidget(first)
        column = QVBoxLayout(first)
        self.title_label = heading(TR.setup_title)
        column.addWidget(self.title_label)
        self.intro_label = muted(TR.setup_intro)
        column.addWidget(self.intro_label)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form = form
        kind_row = QHBoxLayout()
        self.kind_station = QRadioButton(TR.setup_kind_station)
        self.kind_city = QRadioButton(TR.setup_kind_city)
        self.kind_station.setChecked(True)
        for button in (self.kind_station, self.kind_city):
            kind_row.addWidget(button)
            button.toggled.connect(self._on_kind_toggled)
        kind_row.addStretch(1)
        self.city_code = QLineEdit("232700")
        self.city_code.setMaxLength(6)
        self.city_name = QLineEdit("漠河市")
        self.recovery = QLineEdit()
        self.recovery2 = QLineEdit()
        for box in (self.recovery, self.recovery2):
            box.setEchoMode(QLineEdit.EchoMode.Password)
        provision_row = QHBoxLayout()
        self.provision_file = QLineEdit()
        self.provision_file.setReadOnly(True)
        self.provision_file.setPlaceholderText(TR.setup_provision_hint)
        choose = QPushButton(TR.setup_provision_choose)
        choose.clicked.connect(self._on_choose_provision)
        self.provision_clear = QPushButton(TR.setup_provision_clear)
        self.provision_clear.clicked.connect(lambda: self.use_provision(""))
        self.provision_clear.hide()
        for widget in (self.provision_file, choose, self.provision_clear):
            provision_row.addWidget(widget)
        self.city_line = muted()
        self.city_line.hide()
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
            "kind": add_field(form, TR.setup_kind, kind_row),
            "city_code": add_field(form, TR.setup_city_code, self.city_code),
            "city_name": add_field(form, TR.setup_city_name, self.city_name),
            "provision": add_field(form, TR.setup_provision, provision_row),
            "town_code": add_field(form, TR.setup_town, self.town),
            "station_code": add_field(form, TR.setup_station_code, self.station_code),
            "station_name": add_field(form, TR.setup_station_name, self.station_name),
            "admin": add_field(form, TR.setup_admin, self.admin),
            "password": add_field(form, TR.setup_password, self.password),
            "password2": add_field(form, TR.setup_password2, self.password2),
            "recovery_passphrase": add_field(form, TR.setup_recovery, self.recovery),
            "recovery2": add_field(form, TR.setup_recovery2, self.recovery2),
        }
        self.recovery_hint = muted(TR.setup_recovery_hint)
        column.addLayout(form)
        column.addWidget(self.recovery_hint)
        column.addWidget(self.city_line)
        self.error = ErrorLabel()
        column.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        self.create_button = QPushButton(TR.setup_create)
        self.create_button.setObjectName("primary")
        self.create_button.clicked.connect(self._on_create_clicked)
        row.addWidget(self.create_button)
        column.addLayout(row)
        self._build_fingerprint_page()
        self._on_town_changed()
        self._on_kind_toggled()

    def _on_kind_toggled(self, _checked: bool = False) -> None:
        """调解站 or 市级: each shows only its own fields."""
        city = self.kind_city.isChecked()
        for key in ("city_code", "city_name", "recovery_passphrase", "recovery2"):
            self.form.setRowVisible(self._row(key), city)
        for key in ("provision", "town_code", "station_code", "station_name"):
            self.form.setRowVisible(self._row(key), not city)
        self.recovery_hint.setVisible(city)
        self.city_line.setVisible(not city and bool(self.provision_path) and bool(self.city_line.text()))
        self.create_button.setText(TR.setup_create_city if city else TR.setup_create)
        self.setWindowTitle(TR.setup_create_city if city else TR.setup_title)
        self.title_label.setText(TR.setup_create_city if city else TR.setup_title)
        self.intro_label.setText(TR.setup_intro_city if city else TR.setup_intro)

    def _row(self, key: str) -> QWidget:
        """The form row (field and its error line) of `key`."""
        box = self.errors[key].parentWidget()
        assert box is not None
        return box

    def _build_fingerprint_page(self) -> None:
        page = QWidget()
        column = QVBoxLayout(page)
        column.addWidget(heading(TR.setup_fingerprints_title))
        self.fingerprints_intro = muted(TR.setup_fingerprints_intro)
        column.addWidget(self.fingerprints_intro)
        form = QFormLayout()
        self.fingerprint_form = form
        self.station_fingerprint = QLabel()
        self.city_fingerprint = QLabel()
        for label in (self.station_fingerprint, self.city_fingerprint):
            label.setObjectName("fingerprint")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            size = round(label.font().pointSizeF() * 1.4)
            label.setStyleSheet(f"font-family: monospace; font-size: {size}pt; letter-spacing: 1px;")
        form.addRow(TR.setup_fingerprint_station + ":", self.station_fingerprint)
        form.addRow(TR.setup_fingerprint_city + ":", self.city_fingerprint)
        column.addLayout(form)
        column.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.fingerprints_ok = QPushButton(TR.setup_fingerprints_ok)
        self.fingerprints_ok.setObjectName("primary")
        self.fingerprints_ok.clicked.connect(self._on_fingerprints_confirmed)
        row.addWidget(self.fingerprints_ok)
        column.addLayout(row)
        self.pages.addWidget(page)

    # -- the provisioning file ------------------------------------------------------------------
    def _on_choose_provision(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, TR.setup_provision_choose, "", TR.setup_provision_filter)
        if path:
            self.use_provision(path)

    def use_provision(self, path: str) -> None:
        """Take the station's code, name and town from a provisioning file ("" for none)."""
        self.errors["provision"].show_error(None)
        self.provision_path = path
        self.provision_file.setText(path)
        self.provision_clear.setVisible(bool(path))
        locked = bool(path)
        for widget in (self.town, self.station_code, self.station_name):
            widget.setEnabled(not locked)
        if not path:
            self.city_line.hide()
            return
        from sync.station_sync import preview_provision

        self.runner.run(lambda: preview_provision(Path(path)), self._on_preview, self._on_preview_failed)

    def _on_preview(self, preview: Any) -> None:
        from sync.station_sync import fingerprint_text

        self.town.setCurrentIndex(max(self.town.findData(preview.town_code), 0))
        self.station_code.setText(preview.station_code)
        self.station_name.setText(preview.station_name)
        text = TR.setup_provision_city.format(name=preview.city_name, code=preview.city_code)
        self.city_line.setText(
            text + "\n" + TR.setup_fingerprint_city + ":\n" + fingerprint_text(preview.city_fingerprint)
        )
        self.city_line.show()

    def _on_preview_failed(self, exc: BaseException) -> None:
        from station_app.errors import ValidationError

        why = exc.fields.get("provision") if isinstance(exc, ValidationError) else None
        self.use_provision("")
        self.errors["provision"].show_error(why or describe(exc))

    def values(self) -> dict[str, str]:
        return {
            "kind": "city" if self.kind_city.isChecked() else "station",
            "city_code": self.city_code.text().strip(),
            "city_name": self.city_name.text().strip(),
            "recovery": self.recovery.text(),
            "town_code": str(self.town.currentData()),
            "station_code": self.station_code.text().strip(),
            "station_name": self.station_name.text().strip(),
            "admin": self.admin.text().strip(),
            "password": self.password.text(),
            "provision": self.provision_path,
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
        if self.kind_city.isChecked() and self.recovery.text() != self.recovery2.text():
            self.errors["recovery2"].show_error(TR.setup_password_mismatch)
            return
        self.create_button.setEnabled(False)
        self.create_button.setText(TR.setup_busy)
        values = self.values()
        self.runner.run(
            lambda: _create(self.data_dir, values, self.clock), self._on_created, self._on_failed, write=True
        )

    def _on_created(self, made: Any) -> None:
        if isinstance(made, tuple):  # bound to the city: read both fingerprints out first
            from sync.station_sync import fingerprint_text

            session, out = made
            self.created = session
            city_only = "fingerprint" not in out  # the city's own store: only its fingerprint
            self.station_fingerprint.setText(fingerprint_text(out.get("fingerprint", "")))
            self.fingerprint_form.setRowVisible(self.station_fingerprint, not city_only)
            if city_only:
                self.fingerprints_intro.setText(TR.setup_city_fingerprint_intro)
            self.city_fingerprint.setText(fingerprint_text(out["city_fingerprint"]))
            self.pages.setCurrentIndex(1)
            return
        self.station_created.emit(made)
        self.accept()

    def _on_fingerprints_confirmed(self) -> None:
        self.station_created.emit(self.created)
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
