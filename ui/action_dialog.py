"""One lifecycle action as a dialog: the inputs it needs, checked by the service before it acts.

Which inputs an action takes, their labels, choices, first values and which are required come
from `action_forms.action_form` (the core); whether they are enough, and whether the action is
allowed at all, is decided by `case_service.perform`, whose ValidationError fields are shown
next to the inputs. The action runs on the runner's writer (the window stays responsive);
its button is disabled until the answer lands. This module only draws.
"""

from __future__ import annotations

import base64
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

from station_app.documents.payload import PaperKind
from station_app.domain.lifecycle import ACTIONS
from station_app.dto.case import CaseDetail
from station_app.errors import StationError, ValidationError
from station_app.services.action_forms import FormField, action_form
from station_app.services.case_service import perform
from station_app.services.city_papers import paper_after_act
from station_app.services.session import Session
from ui.errors import describe, show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.widgets import ErrorLabel, add_field, heading

MULTI_COLUMNS = 4


class ActionDialog(QDialog):
    """Emits `performed(detail)` after the service carried the action out.

    When the act goes out with a paper (`city_papers.paper_after_act`: the city's 交办单, 批复,
    纪要 ...), the dialog stays open after saving and offers it; `print_requested(case_no, kind)`
    asks the window to open that paper's print dialog.
    """

    performed = Signal(object)
    print_requested = Signal(str, str)

    def __init__(
        self, session: Session, detail: CaseDetail, action: str, runner: Runner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.detail, self.action, self.runner = session, detail, action, runner
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
        self.fields = action_form(session, detail, action)
        for field in self.fields:
            widget = self._make(field)
            caption = field.label + ("" if field.required or field.kind == "info" else TR.field_optional)
            self.errors[field.key] = add_field(form, caption, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(label)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(TR.cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        self.form_box = QWidget()
        self.form_box.setLayout(form)
        column.addWidget(self.form_box)
        column.addWidget(buttons)
        self.paper_kind: PaperKind | None = None
        self.saved_note = QLabel()
        self.saved_note.setWordWrap(True)
        self.saved_note.hide()
        column.addWidget(self.saved_note)
        offer = QHBoxLayout()
        offer.addStretch(1)
        self.print_button = QPushButton()
        self.print_button.setObjectName("primary")
        self.print_button.clicked.connect(self._on_print_clicked)
        self.later_button = QPushButton(TR.action_print_later)
        self.later_button.clicked.connect(self.accept)
        for button in (self.print_button, self.later_button):
            button.hide()
            offer.addWidget(button)
        column.addLayout(offer)

    # -- inputs -------------------------------------------------------------------------------
    def _make(self, field: FormField) -> QWidget:
        widget: QWidget
        if field.kind == "text":
            box = QPlainTextEdit()
            box.setTabChangesFocus(True)
            box.setMinimumHeight(110)
            box.setPlainText(str(field.default or ""))
            widget = box
        elif field.kind == "line":
            widget = QLineEdit(str(field.default or ""))
        elif field.kind == "date":
            day = QDate.fromString(str(field.default or self.session.today().isoformat()), "yyyy-MM-dd")
            widget = QDateEdit(day)
            widget.setDisplayFormat("yyyy-MM-dd")
            widget.setCalendarPopup(True)
        elif field.kind == "days":
            widget = QSpinBox()
            widget.setRange(1, max(field.maximum, 1))
            widget.setValue(int(field.default or 1))
        elif field.kind == "info":
            note = QLabel(str(field.default or ""))
            note.setWordWrap(True)
            self.inputs[field.key] = note
            return note
        elif field.kind == "choice":
            combo = QComboBox()
            if not field.required:
                combo.addItem(TR.field_route_keep if field.key == "track" else "—", None)
            elif field.default is None:  # the worker chooses: never a department or a level by default
                combo.addItem(TR.field_choose, None)
            for code, name in field.choices:
                combo.addItem(name, code)
            if field.default is not None:
                combo.setCurrentIndex(max(combo.findData(field.default), 0))
            widget = combo
        elif field.kind == "multi":
            widget = QWidget()
            grid = QGridLayout(widget)
            grid.setContentsMargins(0, 0, 0, 0)
            boxes = {}
            chosen = set(field.default or ())
            for i, (code, name) in enumerate(field.choices):
                boxes[code] = QCheckBox(name)
                boxes[code].setChecked(code in chosen)
                grid.addWidget(boxes[code], i // MULTI_COLUMNS, i % MULTI_COLUMNS)
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
        for field in self.fields:
            widget = self.inputs[field.key]
            value: Any
            if field.kind == "info":
                continue
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
        session, case_no, action, data = self.session, self.case_no, self.action, self.values()
        self.ok_button.setEnabled(False)
        self.runner.run(
            lambda: perform(session, case_no, action, data), self._on_perform_done, self._on_perform_failed, write=True
        )

    @property
    def busy(self) -> bool:
        """Whether the action is on its way (its button is disabled until the answer lands)."""
        return not self.ok_button.isEnabled()

    def _on_perform_done(self, detail: CaseDetail) -> None:
        self.ok_button.setEnabled(True)
        self.performed.emit(detail)
        kind = paper_after_act(self.session, detail, self.action)
        if kind is None:
            self.accept()
            return
        self.offer_paper(kind)

    def offer_paper(self, kind: PaperKind) -> None:
        """The act is saved: the inputs give way to the paper that goes out with it."""
        self.paper_kind = kind
        self.form_box.hide()
        self.buttons.hide()
        self.error.show_error(None)
        self.saved_note.setText(TR.action_saved_paper.format(action=ACTIONS[self.action].label, paper=kind.label))
        self.saved_note.show()
        self.print_button.setText(TR.action_print_paper.format(paper=kind.label))
        self.print_button.show()
        self.later_button.show()
        self.print_button.setFocus()

    def _on_print_clicked(self) -> None:
        if self.paper_kind is not None:
            self.print_requested.emit(self.case_no, self.paper_kind.value)
        self.accept()

    def _on_perform_failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            for path, why in exc.fields.items():
                key = path.removeprefix("override.")
                target = self.errors.get(key)
                (target or self.error).show_error(why)
        elif isinstance(exc, StationError):
            self.error.show_error(describe(exc))
        else:  # our bug: logged, and the crash dialog shown
            show_error(self, exc)
