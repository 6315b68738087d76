"""One 绩效考评 view of the statistics screen: a note, a row of bar charts and the view's table.

The figures, columns and their formatting come from the statistics service
(`Performance.views()`, `format_cell`); this widget only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.bar_chart import BarChart
from ui.rows_model import RowsModel
from ui.widgets import muted

ChartRows = Callable[[Any], Sequence[tuple[str, float | None]]]


class PerformanceTab(QWidget):
    """The table of one view (`stations`, `departments` or `workers`) with its charts.

    `charts`: (title, rows of the Performance to draw, percent?) for each chart."""

    def __init__(self, view_key: str, charts: Sequence[tuple[str, ChartRows, bool]], parent: QWidget | None = None):
        super().__init__(parent)
        self.view_key = view_key
        column = QVBoxLayout(self)
        self.note = muted("")
        self.note.setWordWrap(True)
        column.addWidget(self.note)
        # charts above the table, in a splitter: with large text on a small screen the user
        # gives the table more room by dragging
        self.splitter = splitter = QSplitter(Qt.Orientation.Vertical)
        chart_area = QScrollArea()
        chart_area.setWidgetResizable(True)
        chart_box = QWidget()
        grid = QGridLayout(chart_box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.chart_rows = [rows for _, rows, _ in charts]
        self.charts = [BarChart(title, percent=percent) for title, _, percent in charts]
        for i, chart in enumerate(self.charts):
            grid.addWidget(chart, 0, i, Qt.AlignmentFlag.AlignTop)
        chart_area.setWidget(chart_box)
        splitter.addWidget(chart_area)
        column.addWidget(splitter, 1)
        self.model: RowsModel | None = None
        self.table = QTableView()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(1, 1)

    def show_performance(self, performance: Any, note: str) -> None:
        view = next(v for v in performance.views() if v.key == self.view_key)
        if self.model is None:
            self.model = RowsModel([c.label for c in view.columns], self)
            self.table.setModel(self.model)
            header = self.table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.model.set_rows(view.text_rows(short=True))
        for chart, chart_rows in zip(self.charts, self.chart_rows):
            chart.set_rows(chart_rows(performance))
        self.note.setText(note)
        self._share_height()

    def _share_height(self) -> None:
        """Charts at their full height up to 60 % of the room; the table has the rest."""
        room = max(self.splitter.height(), 400)
        wanted = max(chart.sizeHint().height() for chart in self.charts) + 6
        top = min(wanted, int(room * 0.6))
        self.splitter.setSizes([top, room - top])

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if any(chart.rows for chart in self.charts):
            self._share_height()
