"""The city console's 同步 page: import the stations' bundles from a USB folder, export the
return bundles (to every station or one), sync now through the relay; per station what the city
holds and what waits to go down; the relay, the last round and its error. The data comes from
`sync.city_sync`; rounds run through the same `SyncController` as the station's screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.enums import Role
from station_app.services.session import Session
from sync.city_sync import CitySyncOverview, StationSyncRow, city_sync_overview, set_relay_url
from ui.errors import describe
from ui.i18n import TR
from ui.ops import Runner
from ui.page import Page
from ui.rows_model import RowsModel, rows_table
from ui.sync_controller import SyncController
from ui.sync_view import SyncProgress, SyncView
from ui.widgets import ErrorLabel, heading

ALL_STATIONS = ""


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else "—"


def _state(row: StationSyncRow) -> str:
    """A station's state on the page: in use or revoked, and records that disagree."""
    state = TR.city_sync_revoked if row.revoked else TR.city_sync_active
    return TR.city_sync_forked.format(state=state, count=row.forks) if row.forks else state


class CitySyncView(SyncProgress, Page):
    """Emits `case_opened(case_no)` for an item that needs a person and `data_changed()` after
    an import or a round that brought something."""

    case_opened = Signal(str)
    data_changed = Signal()

    def __init__(self, session: Session, runner: Runner, controller: SyncController) -> None:
        super().__init__(session, runner)
        self.controller = controller
        self.overview: CitySyncOverview | None = None
        self.busy = False
        column = QVBoxLayout(self)
        column.addWidget(heading(TR.city_sync_title))
        form = QFormLayout()
        relay_row = QWidget()
        relay_line = QHBoxLayout(relay_row)
        relay_line.setContentsMargins(0, 0, 0, 0)
        self.relay = QLabel(TR.sync_relay_none)
        self.relay.setWordWrap(True)
        relay_line.addWidget(self.relay, 1)
        self.relay_edit = QLineEdit()
        self.relay_edit.setPlaceholderText("https://relay.mohe.example")
        self.relay_save = QPushButton(TR.city_sync_relay_save)
        self.relay_save.clicked.connect(self._on_relay_save_clicked)
        is_admin = session.role is Role.ADMIN  # the service checks again
        for widget in (self.relay_edit, self.relay_save):
            widget.setVisible(is_admin)
            relay_line.addWidget(widget)
        form.addRow(TR.sync_relay + ":", relay_row)
        self.relay_error = ErrorLabel()
        form.addRow("", self.relay_error)
        self.last_round = QLabel(TR.sync_never)
        form.addRow(TR.city_sync_last_round + ":", self.last_round)
        self.waiting = QLabel("—")
        self.waiting.setWordWrap(True)
        form.addRow(TR.city_sync_waiting + ":", self.waiting)
        self.attention_count = QLabel("—")
        form.addRow(TR.sync_attention + ":", self.attention_count)
        column.addLayout(form)

        actions = QHBoxLayout()
        actions.addWidget(QLabel(TR.city_sync_export_for))
        self.station = QComboBox()
        self.station.setMinimumWidth(220)
        self.station.addItem(TR.city_sync_all_stations, ALL_STATIONS)
        actions.addWidget(self.station)
        self.export_button = QPushButton(TR.city_sync_export)
        self.export_button.setObjectName("primary")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.import_button = QPushButton(TR.sync_import)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.now_button = QPushButton(TR.sync_now)
        self.now_button.clicked.connect(self.sync_now)
        self.restore_button = QPushButton(TR.city_sync_restore)
        self.restore_button.setToolTip(TR.city_sync_restore_tip)
        self.restore_button.clicked.connect(self._on_restore_clicked)
        self.station.currentIndexChanged.connect(lambda _i: self._set_enabled())
        for button in (self.export_button, self.import_button, self.now_button, self.restore_button):
            actions.addWidget(button)
        actions.addStretch(1)
        column.addLayout(actions)

        self._add_progress(column)

        column.addWidget(heading(TR.city_sync_stations, 2))
        self.model = RowsModel(TR.city_sync_cols, self)
        self.table = rows_table(self.model)
        column.addWidget(self.table, 3)
        column.addWidget(heading(TR.sync_attention, 2))
        self.attention = RowsModel((TR.sync_col_case, TR.sync_col_kind), self)
        self.attention_table = rows_table(self.attention)
        self.attention_table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        column.addWidget(self.attention_table, 1)

        controller.progress.connect(self.show_progress)
        controller.overview_changed.connect(lambda _overview: self._set_enabled())
        controller.round_finished.connect(self._on_round_finished)
        self._set_enabled()

    # -- loading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        session = self.session
        self.controller.reload()
        self.runner.run(
            lambda: city_sync_overview(session), self.show_overview, self._on_failed_quietly, key="city-sync"
        )

    def show_overview(self, overview: CitySyncOverview) -> None:
        """Draw the overview: relay, what waits, the stations' rows and the items to look at."""
        self.overview = overview
        self.relay.setText(overview.relay_url or TR.sync_relay_none)
        if overview.relay_url and not self.relay_edit.text():
            self.relay_edit.setText(overview.relay_url)
        due = [s for s in overview.stations if s.events_waiting]
        text = (
            TR.city_sync_waiting_value.format(events=overview.events_waiting, stations=len(due))
            if due
            else TR.city_sync_waiting_none
        )
        if overview.outbox_bundles:
            text += TR.city_sync_outbox.format(count=overview.outbox_bundles)
        self.waiting.setText(text)
        pending = sum(1 for i in overview.attention if i.kind != "conflict")
        conflicts = len(overview.attention) - pending
        self.attention_count.setText(TR.sync_attention_value.format(pending=pending, conflicts=conflicts))
        self.model.set_rows(
            [
                (
                    s.station_code,
                    s.station_name,
                    _state(s),
                    str(s.events_waiting),
                    str(s.events_held),
                    _when(s.last_bundle_at),
                    _when(s.last_export),
                    _when(s.last_upload),
                    f"{s.last_ack_seq}({_when(s.last_ack_at)})" if s.last_ack_seq is not None else TR.sync_never,
                    f"{s.pending} / {s.conflicts}",
                )
                for s in overview.stations
            ],
            [s.station_code for s in overview.stations],
        )
        self.attention.set_rows(
            [(i.case_no or TR.sync_case_missing, i.label) for i in overview.attention],
            [i.case_no for i in overview.attention],
        )
        chosen = self.station.currentData()
        self.station.blockSignals(True)
        self.station.clear()
        self.station.addItem(TR.city_sync_all_stations, ALL_STATIONS)
        for s in overview.stations:
            if not s.revoked:
                self.station.addItem(f"{s.station_code} {s.station_name}", s.station_code)
        self.station.setCurrentIndex(max(self.station.findData(chosen), 0))
        self.station.blockSignals(False)
        self._set_enabled()

    def _on_failed_quietly(self, exc: BaseException) -> None:
        self.error.show_error(describe(exc))

    def _set_enabled(self) -> None:
        relay = bool(self.overview and self.overview.relay_url) or bool(
            self.controller.overview and self.controller.overview.relay_url
        )
        self.export_button.setEnabled(not self.busy)
        self.import_button.setEnabled(not self.busy)
        self.now_button.setVisible(relay)
        self.now_button.setEnabled(relay and not self.busy and not self.controller.running)
        self.restore_button.setEnabled(not self.busy and bool(self.station.currentData()))

    def open_row(self, row: int) -> None:
        """Open the case of the `row`-th item that needs a person (none yet: nothing)."""
        case_no = self.attention.key_at(row)
        if case_no:
            self.case_opened.emit(str(case_no))

    # -- the relay address ----------------------------------------------------------------------
    def _on_relay_save_clicked(self) -> None:
        self.set_relay(self.relay_edit.text())

    def set_relay(self, url: str) -> None:
        """Store the relay address (the service checks the role and the address)."""
        session = self.session
        self.relay_error.show_error(None)
        self.runner.run(
            lambda: set_relay_url(session, url),
            lambda _stored: self.reload(),
            lambda exc: self.relay_error.show_error(describe(exc)),
            write=True,
        )

    # -- USB -------------------------------------------------------------------------------------
    def _on_export_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, TR.city_sync_export)
        if folder:
            self.export_to_folder(Path(folder))

    def export_to_folder(self, folder: Path) -> None:
        """Write the due return bundles (for the station chosen, or every one) into `folder`."""
        from sync.exchange import export_due

        session, emit = self.session, self._emitter("export")
        station = str(self.station.currentData() or "") or None
        self._begin()
        self.runner.run(
            lambda: [b.to_json() for b in export_due(session, folder, station, progress=emit).bundles],
            lambda bundles: self._on_exported(folder, bundles),
            self._on_failed,
            write=True,
        )

    def _on_exported(self, folder: Path, bundles: list[dict[str, Any]]) -> None:
        self._end()
        if bundles:
            events = sum(int(b.get("events") or 0) for b in bundles)
            stations = "、".join(str(b.get("recipient")) for b in bundles)
            self.result.setText(
                TR.city_sync_exported.format(count=len(bundles), events=events, stations=stations, folder=folder)
            )
        else:
            self.result.setText(TR.sync_exported_none)
        self.reload()

    def _on_restore_clicked(self) -> None:
        station = str(self.station.currentData() or "")
        if not station:
            return
        answer = QMessageBox.question(
            self, TR.city_sync_restore, TR.city_sync_restore_confirm.format(station=self.station.currentText())
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        folder = QFileDialog.getExistingDirectory(self, TR.city_sync_restore)
        if folder:
            self.restore_to_folder(station, Path(folder))

    def restore_to_folder(self, station: str, folder: Path) -> None:
        """Write `station`'s restore bundle(s) into `folder` (sync/reconcile.py), off the GUI thread."""
        from sync.reconcile import write_restore

        session, emit = self.session, self._emitter("export")

        def work() -> dict[str, Any]:
            result, _closed = write_restore(session, station, folder, emit)
            return {"count": len(result.bundles), "events": sum(b.events for b in result.bundles)}

        self._begin()
        self.runner.run(work, lambda done: self._on_restored(station, folder, done), self._on_failed, write=True)

    def _on_restored(self, station: str, folder: Path, done: dict[str, Any]) -> None:
        self._end()
        self.result.setText(TR.city_sync_restored.format(station=station, folder=folder, **done))
        self.reload()

    def _on_import_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, TR.sync_import)
        if folder:
            self.import_from_folder(Path(folder))

    def import_from_folder(self, folder: Path) -> None:
        """Import every bundle in `folder` addressed to the city (off the GUI thread)."""
        from sync.station_sync import import_from

        session, emit = self.session, self._emitter("import")
        self._begin()
        self.runner.run(lambda: import_from(session, folder, emit), self._on_imported, self._on_failed, write=True)

    def _on_imported(self, summary: dict[str, Any]) -> None:
        self._end()
        self.result.setText(SyncView.describe_import(summary))
        self.reload()
        self.data_changed.emit()

    # -- the relay -------------------------------------------------------------------------------
    def _on_round_finished(self, outcome: object) -> None:
        from sync.relay_client import RelayUnreachable
        from sync.run import SyncBusy, SyncRefused

        if self.busy:
            self._end()
        at = _when(self.session.now_iso())
        if isinstance(outcome, dict):
            received = outcome.get("received") or {}
            ran = TR.sync_ran.format(sent=len(outcome.get("sent") or []), received=received.get("bundles", 0))
            self.last_round.setText(f"{at} {ran}")
            self.result.setText(ran)
            if received.get("bundles"):
                self.data_changed.emit()
            self.reload()
            return
        if isinstance(outcome, RelayUnreachable):
            why = TR.city_sync_unreachable
        elif isinstance(outcome, SyncBusy):
            why = TR.sync_running_elsewhere
        elif isinstance(outcome, SyncRefused):
            from sync.station_sync import describe_refusal

            why = describe_refusal(outcome.error, outcome.bundle_class)
        elif isinstance(outcome, BaseException):
            why = describe(outcome)
        else:
            return
        self.last_round.setText(TR.city_sync_round_failed.format(at=at, why=why))
        self.error.show_error(why)
