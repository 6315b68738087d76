"""调解站管理 (city console): every station the city provisioned or enrolled, its fingerprint,
status, last sync, what the city holds of its chain, what waits to go down to it and its last
acknowledgement; enrol an identity file after a phone check of the fingerprint; revoke with a
reason after a confirmation. The rules (who may, what an identity file must be) are
sync/provisioning.py's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from station_app.errors import StationError
from station_app.services.session import Session
from ui.errors import describe, show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.page import Page
from ui.rows_model import RowsModel
from ui.widgets import ErrorLabel, heading, muted


def _load(session: Session) -> list[dict[str, Any]]:
    """`list_stations`, each with what waits to go down and the station's last acknowledgement
    (`events_waiting`, `last_ack_at`) from `city_sync.station_sync_rows`."""
    from sync.city_sync import station_sync_rows
    from sync.provisioning import list_stations

    stations = list_stations(session)
    rows = station_sync_rows(session, stations)
    return [
        {**station, "events_waiting": row.events_waiting, "last_ack_at": row.last_ack_at}
        for station, row in zip(stations, rows, strict=True)
    ]


def _when(at: str | None) -> str:
    return (at or "—")[:16].replace("T", " ")


class EnrollDialog(QDialog):
    """Shows the identity file's station and fingerprint in 16 groups; enrolment needs the box
    "checked on the phone" ticked."""

    def __init__(self, session: Session, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from sync.provisioning import fingerprint_groups, read_identity

        self.session, self.path = session, path
        self.setWindowTitle(TR.stations_enroll_title)
        identity, doc = read_identity(path)
        column = QVBoxLayout(self)
        column.addWidget(heading(f"{identity.code} {doc.get('station_name', '')}", 2))
        column.addWidget(QLabel("请在电话中请调解站念出其“同步”页面显示的指纹,逐组核对:"))
        self.fingerprint = QLabel(fingerprint_groups(identity.fingerprint()))
        self.fingerprint.setObjectName("big")
        self.fingerprint.setWordWrap(True)
        column.addWidget(self.fingerprint)
        self.checked = QCheckBox(TR.stations_check)
        column.addWidget(self.checked)
        self.error = ErrorLabel()
        column.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("登记")
        self.ok_button.setEnabled(False)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(TR.cancel)
        self.checked.toggled.connect(self.ok_button.setEnabled)
        buttons.accepted.connect(self.enroll)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)
        self.result_json: dict[str, Any] | None = None

    def enroll(self) -> None:
        from sync.provisioning import enroll_station

        if not self.checked.isChecked():
            return
        try:
            self.result_json = enroll_station(self.session, self.path)
        except StationError as exc:  # shown to the coordinator; the service refused and stored nothing
            self.error.show_error(describe(exc))
            return
        self.accept()


class StationsView(Page):
    """The stations page of the city console."""

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__(session, runner)
        column = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading(TR.stations_title))
        top.addStretch(1)
        self.enroll_button = QPushButton(TR.stations_enroll)
        self.enroll_button.clicked.connect(self._on_enroll_clicked)
        self.revoke_button = QPushButton(TR.stations_revoke)
        self.revoke_button.clicked.connect(self._on_revoke_clicked)
        refresh = QPushButton(TR.stations_refresh)
        refresh.clicked.connect(self.refresh)
        for button in (self.enroll_button, self.revoke_button, refresh):
            top.addWidget(button)
        column.addLayout(top)
        self.empty = muted(TR.stations_none)
        column.addWidget(self.empty)
        self.model = RowsModel(TR.stations_cols, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        column.addWidget(self.table, 1)
        self.stations: list[dict[str, Any]] = []

    def refresh(self) -> None:
        self.runner.run(lambda: _load(self.session), self._on_loaded, lambda exc: show_error(self, exc), key="stations")

    def _on_loaded(self, stations: list[dict[str, Any]]) -> None:
        from sync.provisioning import fingerprint_groups

        self.stations = stations
        rows = []
        for s in stations:
            fingerprint = fingerprint_groups(s["fingerprint"])[:19] + " …" if s["fingerprint"] else "未登记"
            status = "已吊销" if s["status"] == "revoked" else "在用"
            rows.append(
                (
                    s["station_code"],
                    (
                        s["station_code"],
                        s["station_name"],
                        status,
                        fingerprint,
                        _when(s["last_bundle_at"]),
                        str(s["events_held"]),
                        str(s["events_waiting"]),
                        _when(s["last_ack_at"]),
                    ),
                )
            )
        self.model.set_rows([texts for _, texts in rows], [key for key, _ in rows])
        self.empty.setVisible(not stations)

    def selected(self) -> dict[str, Any] | None:
        row = self.table.currentIndex().row()
        return self.stations[row] if 0 <= row < len(self.stations) else None

    # -- enrol ----------------------------------------------------------------------------------------
    def _on_enroll_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, TR.stations_enroll_title, str(Path.home()), "身份文件 (*.json)")
        if path:
            self.enroll_file(Path(path))

    def enroll_file(self, path: Path) -> EnrollDialog | None:
        """Open the enrolment dialog for an identity file (None, with the reason shown, when the
        file is not one)."""
        try:
            dialog = EnrollDialog(self.session, path, self)
        except StationError as exc:  # a file that is no identity: say so, nothing stored
            show_error(self, exc)
            return None
        dialog.accepted.connect(self.refresh)
        dialog.open()
        return dialog

    # -- revoke ---------------------------------------------------------------------------------------
    def _on_revoke_clicked(self) -> None:
        station = self.selected()
        if station is None:
            return
        reason, ok = QInputDialog.getText(
            self, TR.stations_revoke_title.format(code=station["station_code"]), TR.stations_revoke_reason
        )
        if not ok:
            return
        question = TR.stations_revoke_confirm.format(code=station["station_code"], name=station["station_name"])
        if QMessageBox.question(self, TR.stations_revoke_title.format(code=station["station_code"]), question) != (
            QMessageBox.StandardButton.Yes
        ):
            return
        self.revoke(station["station_code"], reason)

    def revoke(self, code: str, reason: str) -> None:
        """Revoke `code` with `reason` (the service refuses an empty reason)."""
        from sync.provisioning import revoke_station

        try:
            revoke_station(self.session, code, reason)
        except StationError as exc:  # the service's refusal, shown as it is
            show_error(self, exc)
            return
        self.refresh()
