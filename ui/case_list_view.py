"""The case list: search as you type (on a worker), filters, sortable columns, lazy paging."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from station_app.domain.enums import DEPARTMENT_SHORT, STATUS_LABELS, TOWNS, TRACK_LABELS
from station_app.services.query_service import CaseQuery, station_choices
from station_app.services.session import Session
from ui.case_table_model import COLUMN_INDEX, COLUMN_SAMPLES, COLUMNS, CasePage, CaseTableModel, load_first_page
from ui.errors import show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.page import Page
from ui.widgets import heading, muted


def _combo(label: str, items: dict[str, str]) -> QComboBox:
    combo = QComboBox()
    combo.addItem(f"{label}:{TR.all}", None)
    for code, name in items.items():
        combo.addItem(name, code)
    return combo


class CaseListView(Page):
    case_opened = Signal(str)

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__(session, runner)
        self.extra = CaseQuery()  # filters set from the dashboard (due today, waiting for opinions)
        column = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading(TR.cases_title))
        self.search = QLineEdit()
        self.search.setPlaceholderText(TR.cases_search)
        self.search.setClearButtonEnabled(True)
        top.addWidget(self.search, 1)
        self.count_label = muted()
        filters = QHBoxLayout()
        self.status = _combo(TR.cases_status, {s.value: label for s, label in STATUS_LABELS.items()})
        self.track = _combo(TR.cases_track, {t.value: label for t, label in TRACK_LABELS.items()})
        self.dept = _combo(TR.cases_dept, {d.value: label for d, label in DEPARTMENT_SHORT.items()})
        self.town = _combo(TR.cases_town, dict(TOWNS))
        stations = station_choices(session)
        self.station = _combo(TR.cases_station, stations)  # a city store: one station's cases
        self.station.setVisible(bool(stations))
        # beside the search, which gives way: the filter row keeps its width with large text
        top.insertWidget(2, self.station)
        top.addWidget(self.count_label)
        column.addLayout(top)
        self.overdue = QCheckBox(TR.cases_overdue)
        self.mine = QCheckBox(TR.cases_mine)
        self.extra_label = QLabel()
        self.extra_label.setObjectName("hint")
        self.clear_button = QPushButton(TR.cases_clear_filters)
        for widget in (
            self.status,
            self.track,
            self.dept,
            self.town,
            self.overdue,
            self.mine,
            self.extra_label,
        ):
            filters.addWidget(widget)
        filters.addStretch(1)
        filters.addWidget(self.clear_button)
        column.addLayout(filters)
        self.model = CaseTableModel(session, parent=self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(False)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for position, key in enumerate(("case_no", "due", "status", "sync")):  # on screen even with large text
            header.moveSection(header.visualIndex(COLUMN_INDEX[key]), position)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(COLUMN_INDEX["received"], Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._on_header_sort_changed)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_menu_requested)
        self.table.activated.connect(self._on_table_activated)
        self.table.doubleClicked.connect(self._on_table_activated)
        column.addWidget(self.table, 1)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(200)
        self.search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self.search_timer.start)
        self.search.returnPressed.connect(self._on_search_return)
        for combo in (self.station, self.status, self.track, self.dept, self.town):
            combo.currentIndexChanged.connect(self.refresh)
        self.overdue.toggled.connect(self.refresh)
        self.mine.toggled.connect(self.refresh)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        self._size_columns()

    def _size_columns(self) -> None:
        self.table.ensurePolished()
        self._sized_for = self.table.font().pointSizeF()
        metrics = self.table.fontMetrics()
        for key, sample in COLUMN_SAMPLES.items():
            self.table.setColumnWidth(COLUMN_INDEX[key], metrics.horizontalAdvance(sample) + 16)

    # -- query -----------------------------------------------------------------------------------
    def query(self) -> CaseQuery:
        return replace(
            self.extra,
            search=self.search.text().strip() or None,
            status=self.status.currentData(),
            track=self.track.currentData(),
            dept=self.dept.currentData(),
            town=self.town.currentData(),
            station=self.station.currentData(),
            overdue=self.overdue.isChecked(),
            mine=self.mine.isChecked(),
            order_by=self.model.query.order_by,
            descending=self.model.query.descending,
        )

    def refresh(self) -> None:
        if self._sized_for != self.table.font().pointSizeF():
            self._size_columns()
        self.search_timer.stop()
        self._load(self.query())

    def _load(self, query: CaseQuery) -> None:
        session = self.session
        self.runner.run(
            lambda: load_first_page(session, query), self._on_page_loaded, self._on_load_failed, key="case_list"
        )

    def _on_load_failed(self, exc: BaseException) -> None:
        show_error(self, exc)

    def _on_page_loaded(self, page: CasePage) -> None:
        self.model.apply_page(page)
        self.table.setColumnHidden(COLUMN_INDEX["sync"], not page.sync)  # shown where the station syncs
        from station_app.services.query_service import SEARCH_LIMIT, search_hint

        hint = search_hint(page.query.search or "")
        if hint and not page.total:
            self.count_label.setText(hint)
        elif page.query.search and page.total >= SEARCH_LIMIT:
            self.count_label.setText(TR.cases_count_capped.format(count=SEARCH_LIMIT))
        else:
            self.count_label.setText(TR.cases_count.format(count=page.total))
        if page.rows and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def apply_filter(self, query: CaseQuery) -> None:
        """Show the list filtered as the dashboard asked (other filters cleared)."""
        self.clear_filters(reload=False)
        for box, on in ((self.overdue, query.overdue), (self.mine, query.mine)):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)
        for combo, value in ((self.status, query.status), (self.track, query.track)):
            if value:
                combo.blockSignals(True)
                combo.setCurrentIndex(max(combo.findData(value), 0))
                combo.blockSignals(False)
        self.extra = CaseQuery(
            due_today=query.due_today,
            waiting_opinions=query.waiting_opinions,
            open_only=query.open_only,
            awaiting_feedback=query.awaiting_feedback,
            conflicted=query.conflicted,
        )
        flags = (
            (query.due_today, TR.cases_due_today),
            (query.waiting_opinions, TR.cases_waiting),
            (query.awaiting_feedback, TR.cases_awaiting_feedback),
            (query.conflicted, TR.cases_conflicted),
        )
        labels = [label for on, label in flags if on]
        self.extra_label.setText(" · ".join(labels))
        self.mark_stale()

    def _on_clear_clicked(self) -> None:
        self.clear_filters()  # clicked(bool) must not land in `reload`

    def clear_filters(self, reload: bool = True) -> None:
        widgets = (self.search, self.station, self.status, self.track, self.dept, self.town, self.overdue, self.mine)
        for widget in widgets:
            widget.blockSignals(True)
        self.search.clear()
        for combo in (self.station, self.status, self.track, self.dept, self.town):
            combo.setCurrentIndex(0)
        self.overdue.setChecked(False)
        self.mine.setChecked(False)
        for widget in widgets:
            widget.blockSignals(False)
        self.extra = CaseQuery()
        self.extra_label.setText("")
        if reload:
            self.refresh()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # -- table -------------------------------------------------------------------------------------
    def _on_header_sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if COLUMNS[column].sort_key is None:  # masked identifiers are not sortable
            current = next(i for i, c in enumerate(COLUMNS) if c.sort_key == self.model.query.order_by)
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(
                current, Qt.SortOrder.DescendingOrder if self.model.query.descending else Qt.SortOrder.AscendingOrder
            )
            header.blockSignals(False)
            return
        query = replace(
            self.query(), order_by=str(COLUMNS[column].sort_key), descending=order == Qt.SortOrder.DescendingOrder
        )
        self._load(query)  # sorting 100,000 rows by name takes a while: on the worker

    def _on_search_return(self) -> None:
        if self.model.rowCount() == 1:
            self._open_row(0)
        else:
            self.table.setFocus()

    def _on_table_activated(self, index: QModelIndex) -> None:
        self._open_row(index.row())

    def _open_row(self, row: int) -> None:
        case = self.model.case_at(row)
        if case is not None:
            self.case_opened.emit(case.case_no)

    def _on_table_menu_requested(self, pos: QPoint) -> None:
        row = self.table.indexAt(pos).row()
        if self.model.case_at(row) is None:
            return
        menu = QMenu(self)
        menu.addAction(TR.cases_open, lambda: self._open_row(row))
        menu.addAction(TR.cases_reveal_id, lambda: self._reveal(row, "applicant_id"))
        menu.addAction(TR.cases_reveal_phone, lambda: self._reveal(row, "applicant_phone"))
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def _reveal(self, row: int, field: str) -> None:
        self.model.reveal(row, field, self.runner, lambda exc: show_error(self, exc))

    def selected_case(self) -> str | None:
        case = self.model.case_at(self.table.currentIndex().row())
        return case.case_no if case else None
