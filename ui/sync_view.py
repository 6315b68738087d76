"""The 同步 screen: export to a USB stick, import from a folder, sync now through the relay;
what waits and since when, the last acknowledgement, and the items that need a person, each of
which opens its case. All work runs off the GUI thread; a progress bar follows it.
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
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from station_app.services.session import Session
from sync.case_states import AttentionItem
from sync.station_sync import SyncOverview, export_to, import_from, removable_drives
from ui.errors import describe
from ui.i18n import TR
from ui.ops import Runner
from ui.page import Page
from ui.sync_controller import SyncController
from ui.widgets import ErrorLabel, heading, muted

STAGE_TEXT = {
    "download": TR.sync_busy_download,
    "import": TR.sync_busy_import,
    "export": TR.sync_busy_export,
    "upload": TR.sync_busy_upload,
}
CHOOSE = "<choose>"


def _when(value: str | None) -> str:
    return value.replace("T", " ")[:16] if value else TR.sync_never


class SyncProgress:
    """The progress bar, stage line and busy state a sync page shares (station and city).

    The page provides `busy`, `progress`, `stage`, `result`, `error`, `controller` and
    `_set_enabled`; the work reports `(stage, done, total)` through the controller's signal.
    """

    busy: bool
    progress: QProgressBar
    stage: QLabel
    result: QLabel
    error: ErrorLabel
    controller: SyncController

    def _set_enabled(self) -> None:
        raise NotImplementedError

    def _add_progress(self, column: QVBoxLayout) -> None:
        """Add the bar (hidden until work starts), the stage line, the result and the error."""
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.hide()
        column.addWidget(self.progress)
        self.stage = muted()
        column.addWidget(self.stage)
        self.result = QLabel()
        self.result.setWordWrap(True)
        column.addWidget(self.result)
        self.error = ErrorLabel()
        column.addWidget(self.error)

    def show_progress(self, stage: str, done: int, total: int) -> None:
        """Move the bar: `done` of `total` (bundles or bytes) in `stage`."""
        self.progress.show()
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.stage.setText(STAGE_TEXT.get(stage, TR.busy))

    def _begin(self) -> None:
        self.busy = True
        self.error.show_error(None)
        self.result.clear()
        self.progress.show()
        self.progress.setRange(0, 0)  # busy until the first figure arrives
        self._set_enabled()

    def _end(self) -> None:
        self.busy = False
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.stage.clear()
        self._set_enabled()

    def _on_failed(self, exc: BaseException) -> None:
        self._end()
        self.error.show_error(describe(exc))

    def sync_now(self) -> None:
        """立即同步: a round through the relay (off the GUI thread)."""
        if self.controller.sync_now():
            self._begin()

    def _emitter(self, stage: str) -> Any:
        """A progress callback for work of `stage` (any ints it gets: done, total), safe off the GUI thread."""
        signal = self.controller.progress

        def emit(*args: Any) -> None:
            figures = [a for a in args if isinstance(a, int)]
            done, total = [*figures, 0, 0][:2]
            signal.emit(stage, done, total)

        return emit


class SyncView(SyncProgress, Page):
    """Emits `case_opened(case_no)` and `data_changed()` after an import or a round."""

    case_opened = Signal(str)
    data_changed = Signal()

    def __init__(self, session: Session, runner: Runner, controller: SyncController) -> None:
        super().__init__(session, runner)
        self.controller = controller
        self.overview: SyncOverview | None = None
        self.busy = False
        column = QVBoxLayout(self)
        column.addWidget(heading(TR.sync_title))
        self.standalone = muted(TR.sync_standalone)
        column.addWidget(self.standalone)

        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for key, label in (
            ("peer", TR.sync_peer),
            ("relay", TR.sync_relay),
            ("waiting", TR.sync_waiting),
            ("export", TR.sync_last_export),
            ("upload", TR.sync_last_upload),
            ("ack", TR.sync_last_ack),
            ("attention", TR.sync_attention),
        ):
            self.values[key] = QLabel("—")
            self.values[key].setWordWrap(True)
            form.addRow(label + ":", self.values[key])
        column.addLayout(form)

        actions = QHBoxLayout()
        actions.addWidget(QLabel(TR.sync_export_to))
        self.target = QComboBox()
        self.target.setMinimumWidth(260)
        actions.addWidget(self.target)
        self.export_button = QPushButton(TR.sync_export)
        self.export_button.setObjectName("primary")
        self.export_button.clicked.connect(self._on_export_clicked)
        actions.addWidget(self.export_button)
        self.import_button = QPushButton(TR.sync_import)
        self.import_button.clicked.connect(self._on_import_clicked)
        actions.addWidget(self.import_button)
        self.now_button = QPushButton(TR.sync_now)
        self.now_button.clicked.connect(self.sync_now)
        actions.addWidget(self.now_button)
        actions.addStretch(1)
        column.addLayout(actions)

        self._add_progress(column)

        column.addWidget(heading(TR.sync_attention, 2))
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([TR.sync_col_case, TR.sync_col_kind])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.open_row(row))
        column.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.open_button = QPushButton(TR.sync_open_case)
        self.open_button.clicked.connect(lambda: self.open_row(self.table.currentRow()))
        row.addWidget(self.open_button)
        row.addStretch(1)
        column.addLayout(row)
        self.items: list[AttentionItem] = []

        controller.progress.connect(self.show_progress)
        controller.overview_changed.connect(self.show_overview)
        controller.round_finished.connect(self._on_round_finished)
        self._fill_targets([])

    # -- loading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.controller.reload()
        self.runner.run(removable_drives, self._fill_targets, lambda _exc: None, key="sync-drives")

    def _fill_targets(self, drives: list[Path]) -> None:
        self.target.clear()
        for drive in drives:  # a removable drive is offered first
            self.target.addItem(f"U盘 {drive}", str(drive))
        self.target.addItem(TR.sync_choose_folder, CHOOSE)

    def show_overview(self, overview: SyncOverview) -> None:
        self.overview = overview
        bound = overview.bound
        self.standalone.setVisible(not bound)
        v = self.values
        v["peer"].setText(TR.sync_peer_value.format(peer=overview.peer) if bound else TR.none)
        v["relay"].setText(overview.relay_url or TR.sync_relay_none)
        if overview.events_waiting:
            v["waiting"].setText(
                TR.sync_waiting_value.format(count=overview.events_waiting, since=_when(overview.waiting_since))
            )
        else:
            v["waiting"].setText(TR.sync_waiting_none if bound else TR.none)
        v["export"].setText(_when(overview.last_export))
        v["upload"].setText(_when(overview.last_upload))
        if overview.last_ack_seq is not None:
            v["ack"].setText(TR.sync_last_ack_value.format(seq=overview.last_ack_seq, at=_when(overview.last_ack_at)))
        else:
            v["ack"].setText(TR.sync_never)
        pending = sum(1 for i in overview.attention if i.kind != "conflict")
        conflicts = sum(1 for i in overview.attention if i.kind == "conflict")
        v["attention"].setText(TR.sync_attention_value.format(pending=pending, conflicts=conflicts))
        self.items = list(overview.attention)
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            self.table.setItem(row, 0, QTableWidgetItem(item.case_no or TR.sync_case_missing))
            self.table.setItem(row, 1, QTableWidgetItem(item.label))
        self.open_button.setEnabled(bool(self.items))
        self._set_enabled()

    def _set_enabled(self) -> None:
        bound = self.overview is not None and self.overview.bound
        relay = self.overview is not None and bool(self.overview.relay_url)
        self.export_button.setEnabled(bound and not self.busy)
        self.import_button.setEnabled(bound and not self.busy)
        self.now_button.setVisible(relay)
        self.now_button.setEnabled(relay and not self.busy and not self.controller.running)

    def open_row(self, row: int) -> None:
        if 0 <= row < len(self.items) and self.items[row].case_no:
            self.case_opened.emit(self.items[row].case_no)

    # -- export and import --------------------------------------------------------------------
    def _on_export_clicked(self) -> None:
        target = self.target.currentData()
        if target == CHOOSE or target is None:
            folder = QFileDialog.getExistingDirectory(self, TR.sync_export)
            if not folder:
                return
            target = folder
        self.export_to_folder(Path(str(target)))

    def export_to_folder(self, folder: Path) -> None:
        """Write the due bundles into `folder` (off the GUI thread)."""
        session, emit = self.session, self._emitter("export")
        self._begin()
        self.runner.run(
            lambda: export_to(session, folder, emit), lambda r: self._on_exported(folder, r), self._on_failed
        )

    def _on_exported(self, folder: Path, bundles: list[dict[str, Any]]) -> None:
        self._end()
        if bundles:
            events = sum(int(b.get("events") or 0) for b in bundles)
            self.result.setText(TR.sync_exported.format(count=len(bundles), events=events, folder=folder))
        else:
            self.result.setText(TR.sync_exported_none)
        self.controller.reload()

    def _on_import_clicked(self) -> None:
        start = self.target.currentData()
        folder = QFileDialog.getExistingDirectory(self, TR.sync_import, "" if start in (None, CHOOSE) else str(start))
        if folder:
            self.import_from_folder(Path(folder))

    def import_from_folder(self, folder: Path) -> None:
        """Import every bundle in `folder` addressed to this station (off the GUI thread)."""
        session, emit = self.session, self._emitter("import")
        self._begin()
        self.runner.run(lambda: import_from(session, folder, emit), self._on_imported, self._on_failed)

    def _on_imported(self, summary: dict[str, Any]) -> None:
        self._end()
        self.result.setText(self.describe_import(summary))
        self.controller.reload()
        self.data_changed.emit()

    @staticmethod
    def describe_import(summary: dict[str, Any]) -> str:
        """One paragraph on an import result (counts, refused and skipped files)."""
        lines = [
            TR.sync_imported.format(
                bundles=summary.get("bundles", 0),
                events=summary.get("events", 0),
                duplicates=summary.get("duplicates", 0),
                pending=summary.get("pending", 0),
                conflicts=summary.get("conflicts", 0),
            )
        ]
        refused = summary.get("refused") or []
        if refused:
            names = "、".join(Path(str(r.get("file", ""))).name for r in refused)
            lines.append(TR.sync_imported_refused.format(count=len(refused), files=names))
        skipped = summary.get("skipped") or []
        if skipped:
            lines.append(TR.sync_imported_skipped.format(count=len(skipped)))
        return "\n".join(lines)

    # -- through the relay --------------------------------------------------------------------
    def _on_round_finished(self, outcome: object) -> None:
        from sync.relay_client import RelayUnreachable
        from sync.run import SyncBusy, SyncRefused

        if self.busy:
            self._end()
        if isinstance(outcome, dict):
            received = outcome.get("received") or {}
            self.result.setText(
                TR.sync_ran.format(sent=len(outcome.get("sent") or []), received=received.get("bundles", 0))
            )
            if received.get("bundles"):
                self.data_changed.emit()
        elif isinstance(outcome, RelayUnreachable):
            self.error.show_error(TR.sync_unreachable)
        elif isinstance(outcome, SyncBusy):
            self.error.show_error(TR.sync_running_elsewhere)
        elif isinstance(outcome, SyncRefused):
            from sync.station_sync import describe_refusal

            self.error.show_error(describe_refusal(outcome.error, outcome.bundle_class))
        elif isinstance(outcome, BaseException):
            self.error.show_error(describe(outcome))
