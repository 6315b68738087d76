"""Verify a paper: a hand scanner types the QR payload into the box (ending with Enter)."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from station_app.services.paper_service import verify_payload
from station_app.services.session import Session
from ui import theme
from ui.i18n import TR
from ui.widgets import heading, muted


def describe_fields(fields: dict[str, Any]) -> str:
    rows = []
    for key, label in TR.verify_fields:
        value = fields.get(key)
        if value in (None, ""):
            continue
        if isinstance(value, bool):
            value = TR.yes if value else TR.no
        rows.append(f"<tr><td><b>{label}</b></td><td>{escape(str(value))}</td></tr>")
    return "<table cellspacing='4'>" + "".join(rows) + "</table>"


class VerifyDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(TR.verify_title)
        self.setMinimumWidth(620)
        column = QVBoxLayout(self)
        column.addWidget(heading(TR.verify_title, 2))
        column.addWidget(muted(TR.verify_hint))
        row = QHBoxLayout()
        self.payload = QLineEdit()
        self.payload.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.payload.returnPressed.connect(self.verify)
        button = QPushButton(TR.verify_button)
        button.clicked.connect(self.verify)
        row.addWidget(self.payload, 1)
        row.addWidget(button)
        column.addLayout(row)
        self.verdict = QLabel()
        self.verdict.setObjectName("h2")
        column.addWidget(self.verdict)
        self.details = QLabel()
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        column.addWidget(self.details)
        close = QPushButton(TR.close)
        close.clicked.connect(self.accept)
        column.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)

    def verify(self) -> None:
        text = self.payload.text().strip()
        if not text:
            return
        result = verify_payload(self.session, text)
        if result.valid:
            self.verdict.setText(f"{TR.verify_valid}:{result.reason}")
            self.verdict.setStyleSheet(f"color: {theme.GREEN.name()};")
        else:
            self.verdict.setText(TR.verify_invalid.format(reason=result.reason))
            self.verdict.setStyleSheet(f"color: {theme.RED.name()};")
        self.details.setText(describe_fields(result.fields))
        self.payload.selectAll()
