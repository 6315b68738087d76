"""Statistics over a date range: key figures, painted bar charts, Excel and monthly PDF exports,
and the 绩效考评 tabs (per station at the city, per department as lead and co, per worker)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from station_app.dto.stats import format_cell
from station_app.errors import ValidationError
from station_app.services.session import Session
from station_app.services.stats_workbook import breakdown_titles, breakdowns, summary_cells, write_stats_workbook
from ui import theme
from ui.bar_chart import BarChart
from ui.errors import show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.page import Page
from ui.performance_tab import PerformanceTab
from ui.widgets import heading, muted


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _rates(role: str, key: str) -> Callable[[Any], list[tuple[str, float | None]]]:
    return lambda p: [(r.short_label, getattr(r, key)) for r in p.departments if r.role == role]


def _overdue(p: Any) -> list[tuple[str, float | None]]:
    totals: dict[str, float | None] = {}
    for r in p.departments:
        totals[r.short_label] = (totals.get(r.short_label) or 0) + r.overdue
    return list(totals.items())


def _station(key: str) -> Callable[[Any], list[tuple[str, float | None]]]:
    return lambda p: [(r.short_label, getattr(r, key)) for r in p.stations]


def _worker(key: str) -> Callable[[Any], list[tuple[str, float | None]]]:
    return lambda p: [(r.label, getattr(r, key)) for r in p.workers]


DEPARTMENT_CHARTS = (
    (TR.stats_dept_lead_rate, _rates("lead", "on_time_rate"), True),
    (TR.stats_dept_co_rate, _rates("co", "on_time_rate"), True),
    (TR.stats_dept_overdue, _overdue, False),
)
STATION_CHARTS = (
    (TR.stats_station_on_time_rate, _station("on_time_rate"), True),
    (TR.stats_station_opinion_rate, _station("opinion_on_time_rate"), True),
    (TR.stats_station_overdue, _station("overdue_open"), False),
)
WORKER_CHARTS = (
    (TR.stats_worker_routing_rate, _worker("routing_rate"), True),
    (TR.stats_worker_reply_rate, _worker("reply_rate"), True),
    (TR.stats_worker_archive_rate, _worker("archive_rate"), True),
)


def _date_edit(day: date, fmt: str = "yyyy-MM-dd") -> QDateEdit:
    edit = QDateEdit(_qdate(day))
    edit.setDisplayFormat(fmt)
    edit.setCalendarPopup(fmt == "yyyy-MM-dd")
    return edit


class StatsView(Page):
    workbook_saved = Signal(Path)  # the Excel export was written there

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__(session, runner)
        self.stats: Any = None
        today = session.today()
        column = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading(TR.stats_title))
        top.addSpacing(16)
        self.date_from = _date_edit(today.replace(day=1) if today.day > 1 else today.replace(month=1, day=1))
        self.date_to = _date_edit(today)
        run = QPushButton(TR.stats_run)
        run.setObjectName("primary")
        run.clicked.connect(self.reload)
        for widget in (QLabel(TR.stats_from), self.date_from, QLabel(TR.stats_to), self.date_to, run):
            top.addWidget(widget)
        top.addStretch(1)
        column.addLayout(top)
        # the exports share the period's row at normal text; with large text they take their own
        # row, so the screen stays within 1366 pixels
        exports = top if theme.current_scale() <= 1.2 else QHBoxLayout()
        self.export_button = QPushButton(TR.stats_export_xlsx)
        self.export_button.clicked.connect(self._on_export_clicked)
        exports.addWidget(self.export_button)
        self.period_report_button = QPushButton(TR.stats_period_pdf)
        self.period_report_button.clicked.connect(self.open_period_report)
        exports.addWidget(self.period_report_button)
        self.month = _date_edit(today, "yyyy-MM")
        self.report_button = QPushButton(TR.stats_monthly_pdf)
        self.report_button.clicked.connect(self._on_report_clicked)
        exports.addWidget(QLabel(TR.stats_month))
        exports.addWidget(self.month)
        exports.addWidget(self.report_button)
        if exports is not top:
            exports.addStretch(1)
            column.addLayout(exports)
        self.tabs = QTabWidget()
        column.addWidget(self.tabs, 1)
        overview = QWidget()
        overview_column = QVBoxLayout(overview)
        overview_column.setContentsMargins(0, 0, 0, 0)
        self.figures = QGridLayout()
        self.figure_labels: dict[str, QLabel] = {}
        overview_column.addLayout(self.figures)
        body = QWidget()
        charts = QGridLayout(body)
        self.charts = [BarChart(title) for title in breakdown_titles()]
        positions = ((0, 0), (0, 1), (1, 0), (1, 1), (2, 0))
        for chart, (r, c) in zip(self.charts, positions):
            charts.addWidget(chart, r, c)
        # 五(四): per department, what it handled and the incidents recorded against it
        self.work_table = QTableWidget(0, len(TR.stats_work_columns))
        self.work_table.setHorizontalHeaderLabels(list(TR.stats_work_columns))
        self.work_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.work_table.verticalHeader().setVisible(False)
        self.work_table.setColumnWidth(0, 300)
        self.work_table.setMinimumHeight(220)
        charts.addWidget(heading(TR.stats_department_work, 2), 3, 0, 1, 2)
        charts.addWidget(self.work_table, 4, 0, 1, 2)
        charts.setRowStretch(5, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        overview_column.addWidget(scroll, 1)
        self.tabs.addTab(overview, TR.stats_tab_overview)
        # 五(四) 绩效考评: each station (at the city), each department as lead and as co-handler,
        # each worker
        self.stations: PerformanceTab | None = None
        if session.is_city:
            self.stations = PerformanceTab("stations", STATION_CHARTS)
            self.tabs.addTab(self.stations, TR.stats_tab_stations)
        self.departments = PerformanceTab("departments", DEPARTMENT_CHARTS)
        self.workers = PerformanceTab("workers", WORKER_CHARTS)
        self.tabs.addTab(self.departments, TR.stats_tab_departments)
        self.tabs.addTab(self.workers, TR.stats_tab_workers)
        self.empty = muted(TR.stats_no_data)
        self.empty.hide()
        column.addWidget(self.empty)

    def refresh(self) -> None:
        from station_app.services.stats_service import compute_stats

        start = _pydate(self.date_from.date())
        end = _pydate(self.date_to.date())
        session = self.session
        self.runner.run(
            lambda: compute_stats(session, start, end),
            self.show_stats,
            lambda exc: show_error(self, exc),
            key="stats",
        )

    def show_stats(self, stats: Any) -> None:
        self.stats = stats
        for i, cell in enumerate(summary_cells(stats)[1:]):
            label, value = cell.label, format_cell(cell.value, cell.kind)
            if label not in self.figure_labels:
                box = QLabel()
                box.setObjectName("figure")
                self.figures.addWidget(box, i // 4, i % 4)
                self.figure_labels[label] = box
            self.figure_labels[label].setText(f"{label}<br><b style='font-size:x-large'>{value}</b>")
        for chart, (_, counts) in zip(self.charts, breakdowns(stats)):
            chart.set_rows([(r.label, r.count) for r in counts])
        work = [r.cells() for r in stats.by_department_work]
        self.work_table.setRowCount(len(work))
        for r, row in enumerate(work):
            for c, value in enumerate(row):
                self.work_table.setItem(r, c, QTableWidgetItem(value))
        performance = stats.performance
        if performance is not None:
            as_of = performance.as_of.isoformat()
            if self.stations is not None:
                self.stations.show_performance(performance, TR.stats_station_note.format(as_of=as_of))
            self.departments.show_performance(performance, TR.stats_dept_note.format(as_of=as_of))
            self.workers.show_performance(performance, TR.stats_worker_note.format(as_of=as_of))
        self.empty.setVisible(stats.total == 0)

    def _on_export_clicked(self) -> None:
        if self.stats is None:
            return
        stem = TR.stats_xlsx_stem.format(start=self.stats.date_from.isoformat(), end=self.stats.date_to.isoformat())
        name, _ = QFileDialog.getSaveFileName(self, TR.stats_export_xlsx, stem, TR.stats_xlsx_filter)
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        """Write the shown statistics' workbook to `path` (.xlsx added when missing) off the GUI thread."""
        stats = self.stats
        target = path if path.suffix.lower() == ".xlsx" else path.with_suffix(".xlsx")
        self.runner.run(
            lambda: write_stats_workbook(stats, target),
            self._on_workbook_written,
            lambda exc: show_error(self, exc),
            write=True,
        )

    def _on_workbook_written(self, path: Path) -> None:
        self.workbook_saved.emit(path)

    def _on_report_clicked(self) -> None:
        self.open_report(self.month.date().toString("yyyy-MM"))

    def open_report(self, month: str) -> Any:
        """The monthly report of `month` (YYYY-MM) in the print dialog."""
        from station_app.services.stats_service import month_range

        return self._open_report(*month_range(month))

    def open_period_report(self) -> Any:
        """The report of the period chosen above (从 … 至 …) in the print dialog."""
        from station_app.services.stats_service import period_key

        first, last = _pydate(self.date_from.date()), _pydate(self.date_to.date())
        try:
            period_key(first, last)  # the period must run forwards
        except ValidationError as exc:
            show_error(self, exc)
            return None
        return self._open_report(first, last)

    def _open_report(self, first: date, last: date) -> Any:
        from ui.print_dialog import ReportPrintDialog

        dialog = ReportPrintDialog(self.session, self.runner, first, last, self)
        dialog.open()
        return dialog
