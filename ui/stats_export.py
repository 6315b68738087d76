"""Statistics to an Excel workbook (.xlsx): a summary sheet, one sheet per breakdown and one per
绩效考评 view (stations, departments as lead and co, workers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from ui.i18n import TR


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def breakdowns(stats: Any) -> list[tuple[str, Any]]:
    return [
        (TR.stats_by_category, stats.by_category),
        (TR.stats_by_town, stats.by_town),
        (TR.stats_by_department, stats.by_department),
        (TR.stats_by_track, stats.by_track),
        (TR.stats_by_status, stats.by_status),
    ]


def summary_rows(stats: Any) -> list[tuple[str, str]]:
    return [
        (
            TR.stats_period,
            TR.stats_period_value.format(start=stats.date_from.isoformat(), end=stats.date_to.isoformat()),
        ),
        (TR.stats_total, str(stats.total)),
        (TR.stats_accepted, str(stats.accepted)),
        (TR.stats_closed, str(stats.resolved)),
        (TR.stats_resolution, _rate(stats.resolution_rate)),
        (TR.stats_concluded, str(stats.concluded)),
        (TR.stats_on_time_count, str(stats.on_time)),
        (TR.stats_on_time, _rate(stats.on_time_rate)),
        (TR.stats_overdue_open, str(stats.overdue_open)),
        (TR.stats_incidents, str(stats.incident_count)),
    ]


def work_rows(stats: Any) -> list[list[str]]:
    """五(四): one row per department (TR.stats_work_columns), figures as text."""
    return [r.cells() for r in stats.by_department_work]


def summary_values(stats: Any) -> list[tuple[str, Any, str]]:
    """The summary as cells: (label, value, number format); counts are integers and rates
    fractions shown as percentages, so a spreadsheet can add and chart them."""
    period = TR.stats_period_value.format(start=stats.date_from.isoformat(), end=stats.date_to.isoformat())

    def count(label: str, n: int) -> tuple[str, Any, str]:
        return label, int(n), "0"

    def rate(label: str, value: float | None) -> tuple[str, Any, str]:
        return label, "—" if value is None else float(value), "0.0%"

    return [
        (TR.stats_period, period, "@"),
        count(TR.stats_total, stats.total),
        count(TR.stats_accepted, stats.accepted),
        count(TR.stats_closed, stats.resolved),
        rate(TR.stats_resolution, stats.resolution_rate),
        count(TR.stats_concluded, stats.concluded),
        count(TR.stats_on_time_count, stats.on_time),
        rate(TR.stats_on_time, stats.on_time_rate),
        count(TR.stats_overdue_open, stats.overdue_open),
        count(TR.stats_incidents, stats.incident_count),
    ]


def write_xlsx(stats: Any, path: Path) -> None:
    """Write `stats` (a stats_service.Stats) to `path`: numbers as numbers, never as text."""
    book = Workbook()
    sheet = book.active
    sheet.title = TR.stats_sheet_summary
    for label, value, number_format in summary_values(stats):
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=2).number_format = number_format
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 28
    for title, rows in breakdowns(stats):
        ws = book.create_sheet(title)
        ws.append([TR.stats_item, TR.stats_count])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([r.label, r.count])
        ws.column_dimensions["A"].width = 44
        ws.column_dimensions["B"].width = 10
    work = book.create_sheet(TR.stats_department_work)
    work.append(list(TR.stats_work_columns))
    for cell in work[1]:
        cell.font = Font(bold=True)
    for r in stats.by_department_work:
        work.append(
            [r.label, r.cases, r.returns, r.extensions, r.clue_transfers, r.work_errors, r.public_opinion, r.serious]
        )
    work.column_dimensions["A"].width = 30
    if stats.performance is not None:
        write_performance_sheets(book, stats.performance)
    book.save(path)
    from station_app.paths import restrict

    restrict(path)  # 0600, like every file the station writes


NUMBER_FORMATS = {"count": "0", "rate": "0.0%", "text": "@"}


def write_performance_sheets(book: Workbook, performance: Any) -> None:
    """One sheet per 绩效考评 view (stations, departments by role, workers): counts as integers,
    rates as fractions shown as percentages (an empty cell when there is nothing to rate)."""
    for view in performance.views():
        ws = book.create_sheet(TR.stats_sheet_prefix + view.title)
        ws.append([c.label for c in view.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in (*view.rows, *view.totals):
            ws.append(view.values(row))
            for cell, column in zip(ws[ws.max_row], view.columns):
                cell.number_format = NUMBER_FORMATS[column.kind]
        for row in ws.iter_rows(min_row=ws.max_row - len(view.totals) + 1):
            for cell in row:
                cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 40
        ws.freeze_panes = "B2"
