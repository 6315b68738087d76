"""Form fields shared by the desk screens: labelled cells, checked lines, Tab-friendly date boxes."""

from __future__ import annotations

from PySide6.QtWidgets import QDateEdit, QDateTimeEdit, QLabel, QLineEdit, QVBoxLayout, QWidget

from station_app.domain.validation import check_field, normalize_field
from ui.widgets import ErrorLabel

FULL_LENGTH = {"id_number": 18, "uscc": 18, "phone": 11}  # judged as typed from this length on


class TabbingDateTimeEdit(QDateTimeEdit):
    """Tab leaves the field instead of walking its five sections (keyboard-first form)."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)


class Cell(QWidget):
    """A label above a field above its error message."""

    def __init__(self, label: str, field: QWidget) -> None:
        super().__init__()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self.label = QLabel(label)
        self.label.setBuddy(field)
        column.addWidget(self.label)
        column.addWidget(field)
        self.error = ErrorLabel()
        column.addWidget(self.error)
        column.addStretch(1)


class CheckedLine(QLineEdit):
    """A line edit checked with `check_field(kind)` as typed; short input is judged on leaving."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.error: ErrorLabel | None = None
        self.textChanged.connect(self._on_changed)
        self.editingFinished.connect(self._on_finished)

    def problem(self, final: bool) -> str | None:
        value = self.text().strip()
        if not value:
            return None
        if not final and len(normalize_field(self.kind, value)) < FULL_LENGTH.get(self.kind, 0):
            return None
        return check_field(self.kind, value)

    def _on_changed(self) -> None:
        if self.error is not None:
            self.error.show_error(self.problem(final=False))

    def _on_finished(self) -> None:
        if self.error is not None:
            self.error.show_error(self.problem(final=True))


class TabbingDateEdit(QDateEdit):
    """Tab leaves the field (instead of walking its sections): typing "2023-10" fills both."""

    def focusNextPrevChild(self, next: bool) -> bool:
        return QWidget.focusNextPrevChild(self, next)
