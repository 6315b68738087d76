"""A read-only table model over rows of text (timeline, departments, users, statistics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTableView

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """Rows of strings under fixed headers; each row may carry a key and a text colour."""

    def __init__(self, headers: Sequence[str], parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = tuple(headers)
        self._rows: list[tuple[str, ...]] = []
        self._keys: list[Any] = []
        self._colours: list[QColor | None] = []

    def set_rows(
        self,
        rows: Sequence[Sequence[str]],
        keys: Sequence[Any] | None = None,
        colours: Sequence[QColor | None] | None = None,
    ) -> None:
        self.beginResetModel()
        self._rows = [tuple(str(c) for c in r) + ("",) * (len(self.headers) - len(r)) for r in rows]
        self._keys = list(keys) if keys is not None else [None] * len(self._rows)
        self._colours = list(colours) if colours is not None else [None] * len(self._rows)
        self.endResetModel()

    def key_at(self, row: int) -> Any:
        return self._keys[row] if 0 <= row < len(self._keys) else None

    def row_texts(self, row: int) -> tuple[str, ...]:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return section + 1

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self.headers):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and self._colours[index.row()] is not None:
            return QBrush(self._colours[index.row()])
        if role == Qt.ItemDataRole.UserRole:
            return self._keys[index.row()]
        return None


def rows_table(model: RowsModel, single: bool = False) -> QTableView:
    """A read-only table of whole rows over `model`, columns sized to their contents, the last
    one stretched; `single` allows one selected row at a time."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table
