"""Disputed periods: rows of two month fields (YYYY-MM) typed by the worker.

A new row is empty: a period the worker has not typed routes nothing (a pre-filled range would
route the case before anyone asked the payer). The validator judges what is typed. Each month
field selects its text whenever it gets focus (Tab, a click, the add button), so typing replaces
it. Rows sit above the add button and take their place in the Tab order there.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ui.i18n import TR


class MonthLine(QLineEdit):
    """One month, typed as "2023-10"; however focus arrives, what is typed replaces the text."""

    def __init__(self, hint: str) -> None:
        super().__init__()
        self.setPlaceholderText(hint)
        self.setMaxLength(16)  # the validator's own limit; it names anything longer
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(hint) + 16)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        # after a click, the press that gave focus places the cursor: select once it is done
        QTimer.singleShot(0, self.selectAll)


class PeriodRow(QWidget):
    removed = Signal(object)
    changed = Signal()

    def __init__(self, start: str = "", end: str = "") -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.start = MonthLine(TR.intake_period_from_hint)
        self.end = MonthLine(TR.intake_period_to_hint)
        self.start.setText(start)
        self.end.setText(end)
        self.remove = QPushButton(TR.intake_period_remove)
        self.remove.clicked.connect(lambda: self.removed.emit(self))
        row.addWidget(self.start)
        row.addWidget(QLabel(TR.intake_period_to))
        row.addWidget(self.end)
        row.addWidget(self.remove)
        row.addStretch(1)
        self.start.textChanged.connect(self.changed)
        self.end.textChanged.connect(self.changed)

    def value(self) -> dict[str, str]:
        """{"from", "to"} as typed (the validator folds and judges them)."""
        return {"from": self.start.text().strip(), "to": self.end.text().strip()}

    def is_blank(self) -> bool:
        return not (self.start.text().strip() or self.end.text().strip())


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

    def add_period(self, start: str = "", end: str = "") -> PeriodRow:
        """A row above the add button, empty unless months are given, next in the Tab order."""
        row = PeriodRow(start, end)
        row.removed.connect(self._on_row_removed)
        row.changed.connect(self.changed)
        self.column.insertWidget(len(self.rows), row)
        row.show()  # at once, not on the next turn of the event loop: Tab may come first
        # Tab walks the rows top to bottom, then the add button: a new row's fields go after the
        # row above it (or the field before the editor), not at the end of the form's chain.
        before = self.rows[-1].remove if self.rows else self._field_before()
        self.rows.append(row)
        if before is not None:
            QWidget.setTabOrder(before, row.start)
        QWidget.setTabOrder(row.start, row.end)
        QWidget.setTabOrder(row.end, row.remove)
        QWidget.setTabOrder(row.remove, self.add_button)
        self.changed.emit()
        return row

    def _field_before(self) -> QWidget | None:
        """The last field outside this editor that Tab reaches before the add button (the editor
        itself is no anchor: Qt places what follows a container after its last child)."""
        widget = self.add_button.previousInFocusChain()
        while widget is not None and widget is not self.add_button:
            if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and not self.isAncestorOf(widget):
                return widget
            widget = widget.previousInFocusChain()
        return None

    def focus_target(self) -> QWidget:
        """Where the worker fixes a refused period: the first row's start, else the add button."""
        return self.rows[0].start if self.rows else self.add_button

    def periods(self) -> list[dict[str, str]]:
        """The typed periods; a row left empty is no period."""
        return [r.value() for r in self.rows if not r.is_blank()]

    def set_periods(self, periods: list[dict[str, Any]]) -> None:
        self.clear()
        for p in periods:
            self.add_period(str(p.get("from") or ""), str(p.get("to") or ""))

    def clear(self) -> None:
        for row in list(self.rows):
            self._remove(row)
        self.changed.emit()

    def _remove(self, row: PeriodRow) -> None:
        self.rows.remove(row)
        self.column.removeWidget(row)
        row.hide()
        row.deleteLater()

    def _on_add_clicked(self) -> None:
        row = self.add_period()
        row.start.setFocus(Qt.FocusReason.TabFocusReason)

    def _on_row_removed(self, row: PeriodRow) -> None:
        index = self.rows.index(row)
        self._remove(row)
        self.changed.emit()
        # focus stays where the worker was: the row that moved up, else the add button
        if index < len(self.rows):
            self.rows[index].start.setFocus(Qt.FocusReason.TabFocusReason)
        else:
            self.add_button.setFocus()
