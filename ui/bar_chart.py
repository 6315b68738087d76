"""A horizontal bar chart painted with QPainter (QtCharts would pull in the 160 MB Addons wheel)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR_COLOUR = QColor("#1f5f99")
GRID_COLOUR = QColor("#d5dde6")
TEXT_COLOUR = QColor("#1b2a3a")


class BarChart(QWidget):
    """Labelled bars, one per row: counts (the longest bar fills the width) or, with
    `percent`, rates 0.0-1.0 against a full-width 100 % (a row without a rate shows —)."""

    def __init__(self, title: str = "", parent: QWidget | None = None, percent: bool = False) -> None:
        super().__init__(parent)
        self.title = title
        self.percent = percent
        self.rows: list[tuple[str, float | None]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: Sequence[tuple[str, float | None]]) -> None:
        self.rows = [
            (str(label), None if value is None else (float(value) if self.percent else int(value)))
            for label, value in rows
        ]
        self.updateGeometry()
        self.update()

    def value_text(self, value: float | None) -> str:
        """How a bar's value is written beside it."""
        if value is None:
            return "—"
        return f"{value * 100:.1f}%" if self.percent else str(int(value))

    def _line(self) -> int:
        return int(self.fontMetrics().height() * 1.6)

    def sizeHint(self) -> QSize:
        return QSize(360, self._line() * (len(self.rows) + 1) + 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, self.sizeHint().height())

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        line = self._line()
        width = self.width()
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(TEXT_COLOUR)
        painter.drawText(
            QRectF(0, 0, width, line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.title
        )
        painter.setFont(self.font())
        if not self.rows:
            painter.end()
            return
        label_width = min(max(metrics.horizontalAdvance(label) for label, _ in self.rows) + 12, int(width * 0.45))
        value_width = metrics.horizontalAdvance("100.0%" if self.percent else "00000") + 8
        bar_space = max(width - label_width - value_width, 10)
        top_count = 1.0 if self.percent else max(max(count or 0 for _, count in self.rows), 1)
        for i, (label, value) in enumerate(self.rows):
            count = value or 0
            y = line * (i + 1)
            text = metrics.elidedText(label, Qt.TextElideMode.ElideRight, label_width - 8)
            painter.setPen(TEXT_COLOUR)
            painter.drawText(
                QRectF(0, y, label_width - 8, line), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text
            )
            painter.setPen(GRID_COLOUR)
            painter.drawLine(label_width, y + line - 1, width - value_width, y + line - 1)
            bar = bar_space * count / top_count
            painter.fillRect(QRectF(label_width, y + line * 0.2, max(bar, 1 if count else 0), line * 0.6), BAR_COLOUR)
            painter.setPen(TEXT_COLOUR)
            painter.drawText(
                QRectF(label_width + bar + 4, y, value_width, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self.value_text(value),
            )
        painter.end()
