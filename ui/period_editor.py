"""Disputed periods: rows of two month pickers (YYYY-MM), typed or stepped with the keyboard."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.fields import TabbingDateEdit
from ui.i18n import TR

MONTH_FORMAT = "yyyy-MM"


def month_edit(value: QDate) -> QDateEdit:
    edit = TabbingDateEdit(value)
    edit.setDisplayFormat(MONTH_FORMAT)
    edit.setMinimumDate(QDate(1990, 1, 1))
    edit.setMaximumDate(QDate(2100, 12, 31))
    edit.setCurrentSection(QDateEdit.Section.YearSection)
    return edit


class PeriodRow(QWidget):
    removed = Signal(object)
    changed = Signal()

    def __init__(self, start: QDate, end: QDate) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.start = month_edit(start)
        self.end = month_edit(end)
        remove = QPushButton(TR.intake_period_remove)
        remove.clicked.connect(lambda: self.removed.emit(self))
        row.addWidget(self.start)
        row.addWidget(QLabel(TR.intake_period_to))
        row.addWidget(self.end)
        row.addWidget(remove)
        row.addStretch(1)
        self.start.dateChanged.connect(self.changed)
        self.end.dateChanged.connect(self.changed)

    def value(self) -> dict[str, str]:
        return {"from": self.start.date().toString(MONTH_FORMAT), "to": self.end.date().toString(MONTH_FORMAT)}


class PeriodEditor(QWidget):
    """A list of month ranges; emits `changed` on every edit."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.rows: list[PeriodRow] = []
        self.add_button = QPushButton(TR.intake_period_add)
        self.add_button.clicked.connect(self._on_add_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        self.column.addLayout(buttons)

    def add_period(self, start: QDate | None = None, end: QDate | None = None) -> PeriodRow:
        today = QDate.currentDate()
        row = PeriodRow(start or today.addMonths(-12), end or today)
        row.removed.connect(self._on_row_removed)
        row.changed.connect(self.changed)
        self.column.insertWidget(len(self.rows), row)
        self.rows.append(row)
        self.changed.emit()
        return row

    def periods(self) -> list[dict[str, str]]:
        return [r.value() for r in self.rows]

    def set_periods(self, periods: list[dict[str, Any]]) -> None:
        self.clear()
        for p in periods:
            start = QDate.fromString(str(p.get("from", "")), MONTH_FORMAT)
            end = QDate.fromString(str(p.get("to", "")), MONTH_FORMAT)
            if start.isValid() and end.isValid():
                self.add_period(start, end)

    def clear(self) -> None:
        for row in list(self.rows):
            self._remove(row)
        self.changed.emit()

    def _remove(self, row: PeriodRow) -> None:
        self.rows.remove(row)
        self.column.removeWidget(row)
        row.deleteLater()

    def _on_add_clicked(self) -> None:
        row = self.add_period()
        row.start.setFocus(Qt.FocusReason.TabFocusReason)  # selects the year: typing replaces it

    def _on_row_removed(self, row: PeriodRow) -> None:
        self._remove(row)
        self.changed.emit()
        self.add_button.setFocus()
