"""The statistics as an Excel workbook (.xlsx), and the labels the workbook and the screen share.

One summary sheet, one sheet per count table, the departments' work (五(四)) and one sheet per
绩效考评 view (stations, departments as lead and co, workers). Counts are integers and rates
fractions (0.0-1.0) formatted as percentages, so a spreadsheet can add and chart them; a rate
with nothing to rate is an empty cell, never the text "—".

The GUI's statistics screen (`summary_cells`, `breakdowns`) and `station-app stats --xlsx`
read the same labels and figures from here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from station_app.dto.stats import CountRow, Performance, Stats
from station_app.errors import ValidationError

if TYPE_CHECKING:
    from openpyxl import Workbook


@dataclass(frozen=True)
class StatsLabels:
    """The Chinese names of the statistics' figures and of the workbook's sheets."""

    period: str = "统计期间"
    period_value: str = "{start} 至 {end}"
    total: str = "受理总数"
    accepted: str = "受理件数(不含不予受理、撤回)"
    closed: str = "已办结"
    resolution: str = "化解率"
    concluded: str = "已答复件数"
    on_time_count: str = "按时办结件数"
    on_time: str = "按时办结率"
    overdue_open: str = "本期受理的在办超期"
    incidents: str = "责任事件"
    by_category: str = "按争议类别"
    by_town: str = "按镇"
    by_department: str = "按部门"
    by_track: str = "按办理方式"
    by_status: str = "按状态"
    department_work: str = "部门履职和责任追究"
    work_columns: tuple[str, ...] = ("部门", "承办", "退回", "延期", "线索移送", "工作失误", "引发舆情", "严重后果")
    item: str = "项目"
    count: str = "件数"
    sheet_summary: str = "汇总"
    sheet_prefix: str = "绩效考评-"


STATS_LABELS = StatsLabels()
NUMBER_FORMATS = {"count": "0", "rate": "0.0%", "text": "@"}
FIELD = "xlsx"  # the field a refused path is reported on (`stats --xlsx FILE`)


@dataclass(frozen=True)
class SummaryCell:
    """One key figure: its label, its value and its kind (text | count | rate, as `Column.kind`).

    A count is an int; a rate a fraction 0.0-1.0, or None when there is nothing to rate.
    """

    label: str
    value: str | int | float | None
    kind: str


def summary_cells(stats: Stats) -> tuple[SummaryCell, ...]:
    """The period and the key figures of `stats`, in the order the screen and the workbook show them."""
    labels = STATS_LABELS
    period = labels.period_value.format(start=stats.date_from.isoformat(), end=stats.date_to.isoformat())

    def count(label: str, n: int) -> SummaryCell:
        return SummaryCell(label, int(n), "count")

    def rate(label: str, value: float | None) -> SummaryCell:
        return SummaryCell(label, None if value is None else float(value), "rate")

    return (
        SummaryCell(labels.period, period, "text"),
        count(labels.total, stats.total),
        count(labels.accepted, stats.accepted),
        count(labels.closed, stats.resolved),
        rate(labels.resolution, stats.resolution_rate),
        count(labels.concluded, stats.concluded),
        count(labels.on_time_count, stats.on_time),
        rate(labels.on_time, stats.on_time_rate),
        count(labels.overdue_open, stats.overdue_open),
        count(labels.incidents, stats.incident_count),
    )


def breakdown_titles() -> tuple[str, ...]:
    """The titles of the count tables, in `breakdowns` order (the screen names its charts before any data)."""
    labels = STATS_LABELS
    return (labels.by_category, labels.by_town, labels.by_department, labels.by_track, labels.by_status)


def breakdowns(stats: Stats) -> tuple[tuple[str, tuple[CountRow, ...]], ...]:
    """Each count table of `stats` with its title: by category, town, lead department, track and status."""
    tables = (stats.by_category, stats.by_town, stats.by_department, stats.by_track, stats.by_status)
    return tuple(zip(breakdown_titles(), tables))


def check_workbook_path(path: Path) -> Path:
    """`path` if a workbook may be written there, else refused before anything is written.

    Raises:
        ValidationError: on `xlsx` when the name does not end in .xlsx, names a folder, or its
            folder does not exist (it is never created) or is not a folder.
    """
    if path.suffix.lower() != ".xlsx":
        raise ValidationError({FIELD: "输出文件应以 .xlsx 结尾"})
    if path.is_dir():
        raise ValidationError({FIELD: "输出路径是一个文件夹"})
    if not path.parent.is_dir():
        raise ValidationError({FIELD: "文件夹不存在(不会自动创建)"})
    return path


def workbook_bytes(stats: Stats) -> bytes:
    """The workbook of `stats` as .xlsx bytes: numbers as numbers, never as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    labels = STATS_LABELS
    book = Workbook()
    sheet = book.active
    sheet.title = labels.sheet_summary
    for cell in summary_cells(stats):
        sheet.append([cell.label, cell.value])
        sheet.cell(row=sheet.max_row, column=2).number_format = NUMBER_FORMATS[cell.kind]
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 28
    for title, rows in breakdowns(stats):
        ws = book.create_sheet(title)
        ws.append([labels.item, labels.count])
        for header in ws[1]:
            header.font = Font(bold=True)
        for r in rows:
            ws.append([r.label, r.count])
        ws.column_dimensions["A"].width = 44
        ws.column_dimensions["B"].width = 10
    work = book.create_sheet(labels.department_work)
    work.append(list(labels.work_columns))
    for header in work[1]:
        header.font = Font(bold=True)
    for w in stats.by_department_work:
        work.append([w.label, *(getattr(w, f) for f in w.FIGURES)])
    work.column_dimensions["A"].width = 30
    if stats.performance is not None:
        _performance_sheets(book, stats.performance)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _performance_sheets(book: Workbook, performance: Performance) -> None:
    """One sheet per 绩效考评 view; its 合计 rows in bold, the header row frozen."""
    from openpyxl.styles import Font

    for view in performance.views():
        ws = book.create_sheet(STATS_LABELS.sheet_prefix + view.title)
        ws.append([c.label for c in view.columns])
        for header in ws[1]:
            header.font = Font(bold=True)
        for row in (*view.rows, *view.totals):
            ws.append(view.values(row))
            for cell, column in zip(ws[ws.max_row], view.columns):
                cell.number_format = NUMBER_FORMATS[column.kind]
        for total in ws.iter_rows(min_row=ws.max_row - len(view.totals) + 1):
            for cell in total:
                cell.font = Font(bold=True)
        ws.column_dimensions["A"].width = 40
        ws.freeze_panes = "B2"


def write_stats_workbook(stats: Stats, path: Path) -> Path:
    """Write the workbook of `stats` to `path` (0600, atomically: the old file or the new one).

    Returns the path written.

    Raises:
        ValidationError: on `xlsx` when the path is refused (`check_workbook_path`) or the file
            cannot be written (nothing is left behind then).
    """
    from station_app.paths import restrict
    from station_app.store.atomic import atomic_write_bytes

    check_workbook_path(path)
    data = workbook_bytes(stats)
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise ValidationError({FIELD: f"无法写入输出文件:{exc.strerror or exc}"}) from None
    restrict(path)  # personal names of workers: like every file the station writes
    return path
