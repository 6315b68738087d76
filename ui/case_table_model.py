"""The case list as a Qt table model: pages of `list_cases`, fetched as the view scrolls.

Sorting is done by the store (CaseQuery.order_by), so 100,000 cases never come into memory.
Identifiers are masked; a revealed one is recorded by the service and shown until the
model is reset or the screen locks.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from station_app.domain.enums import DEPARTMENT_SHORT, TOWNS
from station_app.domain.masking import mask_id, mask_phone
from station_app.dto.case import CaseSummary
from station_app.services.query_service import CaseQuery, count_cases, list_cases
from station_app.services.session import Session
from ui import theme
from ui.i18n import TR
from ui.ops import ErrorHandler, Runner

PAGE_SIZE = 100
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    sort_key: str | None = None


COLUMNS: tuple[Column, ...] = (
    Column("case_no", TR.col_case_no, "case_no"),
    Column("received", TR.col_received, "received_at"),
    Column("applicant", TR.col_applicant, "applicant"),
    Column("category", TR.col_category, "category"),
    Column("track", TR.col_track, "track"),
    Column("lead", TR.col_lead, "lead"),
    Column("status", TR.col_status, "status"),
    Column("due", TR.col_due, "due_date"),
    Column("id", TR.col_id),
    Column("phone", TR.col_phone),
    Column("town", TR.col_town, "town"),
    Column("sync", TR.sync_state_label),
)
# Text as wide as each column's usual content (widths follow the font, so large text fits).
COLUMN_SAMPLES = {
    "case_no": "232701100001-2025-000000",
    "received": "2025-11-27",
    "applicant": "漠河市龙江建筑",
    "category": "8 征缴/缴费检查/欠费",
    "track": "一般事项(联办)",
    "lead": "领导小组",
    "status": "异议处理中",
    "due": "2025-11-27(估) 已超期",
    "id": "2327**********1234",
    "phone": "0457-****2345",
    "town": "阿木尔镇",
    "sync": "已上传中转",
}
COLUMN_INDEX = {c.key: i for i, c in enumerate(COLUMNS)}


@dataclass(frozen=True)
class CasePage:
    """The first page of a query and its total (built on a worker thread)."""

    query: CaseQuery
    rows: list[CaseSummary]
    total: int
    sync: dict[str, str] = field(default_factory=dict)  # case uuid -> 待同步 … 市级已确认 ({} standalone)


def load_first_page(session: Session, query: CaseQuery, limit: int = PAGE_SIZE) -> CasePage:
    from sync.case_states import case_sync_states

    rows = list_cases(session, query, 0, limit)
    total = len(rows) if len(rows) < limit else count_cases(session, query)
    return CasePage(query, rows, total, case_sync_states(session, [r.uuid for r in rows]))


def due_text(case: CaseSummary) -> str:
    if not case.due_date:
        return ""
    text = case.due_date + (TR.due_estimated if case.due_estimated else "")
    if case.deadline_state == "overdue":
        return TR.due_overdue.format(date=text)
    if case.deadline_state == "warn":
        return TR.due_warn.format(date=text)
    return text


class CaseTableModel(QAbstractTableModel):
    def __init__(self, session: Session, page_size: int = PAGE_SIZE, parent: Any = None) -> None:
        super().__init__(parent)
        self.session = session
        self.page_size = page_size
        self.query = CaseQuery()
        self._rows: list[CaseSummary] = []
        self._total = 0
        self._revealed: dict[tuple[str, str], str] = {}
        self._sync: dict[str, str] = {}
        self._forgotten = 0

    # -- loading ----------------------------------------------------------------------------
    def load(self, query: CaseQuery | None = None) -> None:
        """Reset to the first page of `query` (on the calling thread)."""
        self.apply_page(load_first_page(self.session, query or self.query, self.page_size))

    def apply_page(self, page: CasePage) -> None:
        self.beginResetModel()
        self.query = page.query
        self._rows = list(page.rows)
        self._sync = dict(page.sync)
        self._total = max(page.total, len(page.rows))
        self._revealed.clear()
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows, self._total = [], 0
        self._revealed.clear()
        self.endResetModel()

    @property
    def total(self) -> int:
        return self._total

    def case_at(self, row: int) -> CaseSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        more = list_cases(self.session, self.query, len(self._rows), self.page_size)
        if not more:
            self._total = len(self._rows)
            return
        if self._sync:
            from sync.case_states import case_sync_states

            self._sync.update(case_sync_states(self.session, [r.uuid for r in more]))
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()
        if len(more) < self.page_size:
            self._total = len(self._rows)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS) or COLUMNS[column].sort_key is None:
            return
        query = replace(
            self.query, order_by=str(COLUMNS[column].sort_key), descending=order == Qt.SortOrder.DescendingOrder
        )
        if query != self.query:
            self.load(query)

    # -- identifiers ------------------------------------------------------------------------
    def reveal(self, row: int, field: str, runner: Runner, on_error: ErrorHandler | None = None) -> None:
        """Show one full identifier (applicant_id or applicant_phone) once the service, on the
        runner's writer, has recorded the reveal; `on_error(exc)` when it refuses."""
        from station_app.services.case_service import reveal

        case = self.case_at(row)
        if case is None:
            return
        session, case_no, forgotten_at = self.session, case.case_no, self._forgotten
        runner.run(
            lambda: reveal(session, case_no, field),
            lambda value: self._on_reveal_done(case_no, field, str(value), forgotten_at),
            on_error,
            write=True,
        )

    def _on_reveal_done(self, case_no: str, field: str, value: str, forgotten_at: int) -> None:
        if forgotten_at != self._forgotten:
            return  # the screen was locked while the reveal was on its way
        self._revealed[(case_no, field)] = value
        column = COLUMN_INDEX["id" if field == "applicant_id" else "phone"]
        for row, case in enumerate(self._rows):
            if case.case_no == case_no:
                self.dataChanged.emit(self.index(row, column), self.index(row, column))

    def forget_revealed(self) -> None:
        self._forgotten += 1  # a reveal still on its way is not shown
        if self._revealed:
            self._revealed.clear()
            if self._rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1))

    # -- Qt model ----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section].header if 0 <= section < len(COLUMNS) else None
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Vertical:
            return section + 1
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) or not 0 <= index.column() < len(COLUMNS):
            return None
        case = self._rows[index.row()]
        key = COLUMNS[index.column()].key
        if role == Qt.ItemDataRole.ToolTipRole and key == "due" and case.due_for:
            return f"{case.due_for}:{self._text(case, key)}"
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(case, key)
        if role == Qt.ItemDataRole.UserRole:
            return case.case_no
        if key == "due" and role == Qt.ItemDataRole.ForegroundRole:
            return {"warn": QBrush(theme.AMBER), "overdue": QBrush(theme.RED)}.get(case.deadline_state)
        if key == "due" and role == Qt.ItemDataRole.BackgroundRole:
            return {"warn": QBrush(theme.AMBER_BG), "overdue": QBrush(theme.RED_BG)}.get(case.deadline_state)
        return None

    def _text(self, case: CaseSummary, key: str) -> str:
        if key == "case_no":
            return case.case_no
        if key == "received":
            return case.received_at[:10]
        if key == "applicant":
            return case.applicant_name
        if key == "id":
            return self._revealed.get((case.case_no, "applicant_id")) or mask_id(case.applicant_id)
        if key == "phone":
            return self._revealed.get((case.case_no, "applicant_phone")) or mask_phone(case.applicant_phone)
        if key == "category":
            return f"{int(case.category)} {case.category.label}"
        if key == "track":
            return case.track.label
        if key == "lead":
            return DEPARTMENT_SHORT[case.lead] if case.lead else ""
        if key == "status":
            return case.status.label
        if key == "due":
            return due_text(case)
        if key == "town":
            return TOWNS.get(case.town_code, case.town_code)
        if key == "sync":
            return self._sync.get(case.uuid, "")
        return ""
