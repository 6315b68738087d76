"""One lifecycle action as a dialog: the inputs it needs, checked by the service before it acts.

Which inputs an action takes is described here (labels and widgets only); whether they are
enough, and whether the action is allowed at all, is decided by `case_service.perform`, whose
ValidationError fields are shown next to the inputs.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from station_app.domain.enums import DEPARTMENT_SHORT, INCIDENT_LABELS, OBJECTION_LABELS, TRACK_LABELS, Department
from station_app.domain.lifecycle import ACTIONS
from station_app.errors import StationError, ValidationError
from station_app.services.case_service import SATISFACTION, perform
from station_app.services.dto import CaseDetail
from station_app.services.session import Session
from ui.errors import describe
from ui.i18n import TR
from ui.widgets import ErrorLabel, add_field, heading


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str  # text | line | date | days | choice | dept | depts | file
    required: bool = True
    source: str = ""  # for dept/choice: case | case_pending | case_unsigned | case_business | all | track | ...


FIELDS: dict[str, tuple[Field, ...]] = {
    "route": (
        Field("track", TR.field_track, "choice", False, "track"),
        Field("lead", TR.field_lead, "dept", False, "all"),
        Field("co", TR.field_co, "depts", False),
        Field("reason", TR.field_reason, "line", False),
    ),
    "close_on_spot": (Field("text", TR.field_text, "text"),),
    "sign": (Field("dept", TR.field_dept, "dept", source="case_unsigned"),),
    "return": (Field("dept", TR.field_dept, "dept", source="case_business"), Field("reason", TR.field_reason, "text")),
    "opinion": (
        Field("dept", TR.field_dept, "dept", source="case_pending"),
        Field("text", TR.col_opinion, "text"),
        Field("file", TR.field_file, "file", False),
    ),
    "extend": (Field("days", TR.field_days, "days"), Field("reason", TR.field_reason, "text")),
    "escalate": (Field("reason", TR.field_reason, "text"),),
    "approve": (Field("text", TR.field_approve_note, "text", False),),
    "minutes": (
        Field("held_on", TR.field_held_on, "date"),
        Field("attendees", TR.field_attendees, "line", False),
        Field("text", TR.field_text, "text"),
    ),
    "reply": (Field("text", TR.field_reply, "text"),),
    "objection": (
        Field("route", TR.field_route, "choice", source="objection"),
        Field("text", TR.field_text, "text", False),
    ),
    "callback": (Field("satisfaction", TR.field_satisfaction, "choice", source="satisfaction"),
                 Field("text", TR.field_text, "text", False)),
    "archive": (Field("text", TR.field_text, "text", False),),
    "withdraw": (Field("reason", TR.field_reason, "text"),),
    "submit_city": (
        Field("reason", TR.field_reason, "text"),
        Field("consulted", TR.field_consulted, "depts", False),
        Field("suggested", TR.field_suggested, "dept", False, "all"),
    ),
    "city_assign": (Field("lead", TR.field_lead, "dept", source="all"), Field("co", TR.field_co, "depts", False)),
    "clue_transfer": (
        Field("dept", TR.field_refused_dept, "dept", source="case"),
        Field("reason", TR.field_reason, "text"),
    ),
    "incident": (
        Field("kind", TR.field_incident_kind, "choice", source="incident"),
        Field("dept", TR.field_incident_dept, "dept", source="all"),
        Field("text", TR.field_incident_text, "text"),
    ),
}
CHOICES: dict[str, dict[str, str]] = {
    "track": {t.value: label for t, label in TRACK_LABELS.items()},
    "objection": {r.value: label for r, label in OBJECTION_LABELS.items()},
    "satisfaction": dict(SATISFACTION),
    "incident": {k.value: label for k, label in INCIDENT_LABELS.items()},
}


def reply_draft(detail: CaseDetail) -> str:
    """A first draft of the written reply from the departments' opinions (the worker edits it)."""
    lines = [f"{d.dept.full_name}:{d.opinion}" for d in detail.departments if d.opinion]
    if not lines:
        return ""
    names = "、".join(DEPARTMENT_SHORT[d.dept] for d in detail.departments if d.opinion)
    return TR.reply_draft.format(depts=names) + "\n" + "\n".join(lines)


def _dept_choices(detail: CaseDetail, source: str) -> list[Department]:
    depts = [d for d in detail.departments]
    if source == "case_pending":
        return [d.dept for d in depts if not d.opinion] + [d.dept for d in depts if d.opinion]
    if source == "case_unsigned":
        return [d.dept for d in depts if not d.signed_at] + [d.dept for d in depts if d.signed_at]
    if source == "case_business":
        return [d.dept for d in depts] + ([Department.BUSINESS] if Department.BUSINESS not in
                                          [d.dept for d in depts] else [])
    if source == "case" and depts:
        return [d.dept for d in depts]
    return list(Department)


class ActionDialog(QDialog):
    """Emits `performed(detail)` after the service carried the action out."""

    performed = Signal(object)

    def __init__(self, session: Session, detail: CaseDetail, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.detail, self.action = session, detail, action
        self.case_no = detail.summary.case_no
        label = ACTIONS[action].label
        self.setWindowTitle(TR.action_dialog_title.format(action=label, case_no=self.case_no))
        self.setMinimumWidth(max(560, self.fontMetrics().horizontalAdvance("0") * 64))
        column = QVBoxLayout(self)
        column.addWidget(heading(label, 2))
        self.error = ErrorLabel()
        column.addWidget(self.error)
        form = QFormLayout()
        self.inputs: dict[str, Any] = {}
        self.errors: dict[str, ErrorLabel] = {}
        self._file: dict[str, str] | None = None
        for field in FIELDS.get(action, ()):
            widget = self._make(field)
            caption = field.label + ("" if field.required else TR.field_optional)
            self.errors[field.key] = add_field(form, caption, widget)
        column.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(label)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(TR.cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)

    # -- inputs -------------------------------------------------------------------------------
    def _make(self, field: Field) -> QWidget:
        widget: QWidget
        if field.kind == "text":
            box = QPlainTextEdit()
            box.setTabChangesFocus(True)
            box.setMinimumHeight(110)
            if self.action == "reply":
                box.setPlainText(reply_draft(self.detail))
            widget = box
        elif field.kind == "line":
            widget = QLineEdit()
        elif field.kind == "date":
            widget = QDateEdit(QDate.fromString(self.session.today().isoformat(), "yyyy-MM-dd"))
            widget.setDisplayFormat("yyyy-MM-dd")
            widget.setCalendarPopup(True)
        elif field.kind == "days":
            widget = QSpinBox()
            widget.setRange(1, 90)
            widget.setValue(5)
        elif field.kind in ("choice", "dept"):
            combo = QComboBox()
            if not field.required:
                combo.addItem(TR.field_route_keep if field.key == "track" else "—", None)
            items = CHOICES[field.source] if field.kind == "choice" else {
                d.value: d.full_name for d in _dept_choices(self.detail, field.source)}
            for code, name in items.items():
                combo.addItem(name, code)
            widget = combo
        elif field.kind == "depts":
            widget = QWidget()
            grid = QGridLayout(widget)
            grid.setContentsMargins(0, 0, 0, 0)
            boxes = {}
            for i, dept in enumerate(Department):
                boxes[dept.value] = QCheckBox(DEPARTMENT_SHORT[dept])
                grid.addWidget(boxes[dept.value], i // 4, i % 4)
            self.inputs[field.key] = boxes
            return widget
        else:  # file
            widget = QWidget()
            row = QHBoxLayout(widget)
            row.setContentsMargins(0, 0, 0, 0)
            self.file_label = QLabel(TR.field_file_none)
            pick = QPushButton(TR.field_file_pick)
            pick.clicked.connect(self._on_pick_clicked)
            row.addWidget(pick)
            row.addWidget(self.file_label, 1)
        self.inputs[field.key] = widget
        return widget

    def set_file(self, path: Path) -> None:
        raw = path.read_bytes()
        self._file = {"name": path.name, "data_b64": base64.b64encode(raw).decode("ascii")}
        self.file_label.setText(f"{path.name}({len(raw) // 1024 + 1} KB)")

    def _on_pick_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, TR.field_file, "", TR.file_filter)
        if name:
            try:
                self.set_file(Path(name))
            except OSError as exc:
                self.errors["file"].show_error(describe(exc))

    def values(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for field in FIELDS.get(self.action, ()):
            widget = self.inputs[field.key]
            value: Any
            if isinstance(widget, QPlainTextEdit):
                value = widget.toPlainText().strip()
            elif isinstance(widget, QLineEdit):
                value = widget.text().strip()
            elif isinstance(widget, QDateEdit):
                value = widget.date().toString("yyyy-MM-dd")
            elif isinstance(widget, QSpinBox):
                value = widget.value()
            elif isinstance(widget, QComboBox):
                value = widget.currentData()
            elif isinstance(widget, dict):
                value = [code for code, box in widget.items() if box.isChecked()]
            else:
                value = self._file
            if value not in (None, "", []):
                data[field.key] = value
        if self.action == "route":
            override = {k: data.pop(k) for k in ("track", "lead", "co") if k in data}
            if override:
                data["override"] = override
        return data

    # -- acting ---------------------------------------------------------------------------------
    def submit(self) -> None:
        for label in self.errors.values():
            label.show_error(None)
        self.error.show_error(None)
        try:
            detail = perform(self.session, self.case_no, self.action, self.values())
        except ValidationError as exc:
            for path, why in exc.fields.items():
                key = path.removeprefix("override.")
                target = self.errors.get(key)
                (target or self.error).show_error(why)
            return
        except StationError as exc:
            self.error.show_error(describe(exc))
            return
        self.performed.emit(detail)
        self.accept()
