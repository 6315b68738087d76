"""A case's open sync conflict on its screen: both versions side by side, and the head's choice.

DESIGN.md "No silent overwrite": the two versions stay shown until a head, an admin or a
coordinator keeps one of them, with a reason; the choice is an event that syncs like any other.
What is shown and who may choose come from `conflict_service`; this panel draws them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from station_app.errors import ValidationError
from station_app.services.conflict_service import ConflictPanel, ConflictSide, conflict_panel, resolve
from station_app.services.session import Session
from ui.errors import show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.widgets import ErrorLabel, add_field, clear_layout, heading


class ResolveDialog(QDialog):
    """Asks for the reason before one version is kept; `chosen` is that version's event uuid."""

    resolved = Signal()

    def __init__(self, session: Session, runner: Runner, case_no: str, side: ConflictSide, parent: QWidget) -> None:
        super().__init__(parent)
        self.session, self.runner, self.case_no, self.chosen = session, runner, case_no, side.uuid
        self.setWindowTitle(TR.conflict_resolve_title)
        column = QVBoxLayout(self)
        keep = QLabel(TR.conflict_resolve_keep.format(source=side.source, action=side.action))
        keep.setWordWrap(True)
        column.addWidget(keep)
        form = QFormLayout()
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(TR.conflict_reason_hint)
        self.reason_error: ErrorLabel = add_field(form, TR.conflict_reason, self.reason)
        column.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(TR.conflict_resolve_ok)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)

    def submit(self) -> None:
        """Record the choice (off the GUI thread); a refused reason is shown under its field."""
        session, case_no, chosen, reason = self.session, self.case_no, self.chosen, self.reason.text()
        self.runner.run(lambda: resolve(session, case_no, chosen, reason), self._on_done, self._on_failed, write=True)

    def _on_done(self, _after: object) -> None:
        self.resolved.emit()
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError) and "reason" in exc.fields:
            self.reason_error.show_error(exc.fields["reason"])
        else:
            show_error(self, exc)


class ConflictBox(QFrame):
    """The banner of a case with an open conflict; hidden when it has none."""

    resolved = Signal()

    def __init__(self, session: Session, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.runner = session, runner
        self.setObjectName("panel")
        self.case_no = ""
        self.panel: ConflictPanel | None = None
        self.dialog: ResolveDialog | None = None
        self.keep_buttons: list[QPushButton] = []
        column = QVBoxLayout(self)
        self.title = heading("", 2)
        self.title.setWordWrap(True)
        column.addWidget(self.title)
        self.sides = QGridLayout()
        column.addLayout(self.sides)
        self.hide()

    def load(self, case_no: str) -> None:
        """Look the case's open conflict up off the GUI thread, then show it (or hide)."""
        self.case_no = case_no
        session = self.session
        self.runner.run(
            lambda: (case_no, conflict_panel(session, case_no)),
            self._on_loaded,
            lambda _exc: self.hide(),
            key="case-conflict",
        )

    def _on_loaded(self, answer: tuple[str, ConflictPanel | None]) -> None:
        case_no, panel = answer
        if case_no != self.case_no:
            return
        self.show_panel(panel)

    def show_panel(self, panel: ConflictPanel | None) -> None:
        """Draw both versions, each with its 保留此版本 button (disabled, with why, for others)."""
        self.panel = panel
        clear_layout(self.sides)
        self.keep_buttons = []
        if panel is None:
            self.hide()
            return
        self.title.setText(TR.conflict_title.format(fields="、".join(panel.fields)))
        for i, side in enumerate(panel.sides):
            lines = [TR.conflict_side.format(source=side.source, author=side.author, at=side.at, action=side.action)]
            lines += list(side.changes)
            if side.held:
                lines.append(TR.conflict_held)
            text = QLabel("\n".join(lines))
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            keep = QPushButton(TR.conflict_keep)
            keep.setEnabled(panel.may_resolve)
            keep.setToolTip(panel.why_not or "")
            keep.clicked.connect(lambda _=False, s=side: self.choose(s))
            self.sides.addWidget(text, 0, i)
            self.sides.addWidget(keep, 1, i, Qt.AlignmentFlag.AlignLeft)
            self.keep_buttons.append(keep)
        if panel.why_not:
            why = QLabel(panel.why_not)
            why.setObjectName("hint")
            why.setWordWrap(True)
            self.sides.addWidget(why, 2, 0, 1, 2)
        self.show()

    def choose(self, side: ConflictSide) -> ResolveDialog:
        """Open the reason dialog for keeping `side`."""
        self.dialog = ResolveDialog(self.session, self.runner, self.case_no, side, self)
        self.dialog.resolved.connect(self.resolved)
        self.dialog.open()
        return self.dialog
