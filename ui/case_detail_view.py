"""One case: summary, routing decision and reasons, departments, timeline, allowed actions."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from station_app.documents.payload import KIND_LABELS, PaperKind
from station_app.domain.enums import DEPARTMENT_SHORT, Department, Track
from station_app.domain.lifecycle import ACTIONS
from station_app.dto.case import CaseDetail, DepartmentProgress, TimelineEntry
from station_app.services.action_inputs import choice_label
from station_app.services.query_service import get_case
from station_app.services.session import Session
from station_app.services.user_service import display_names
from ui import theme
from ui.action_dialog import ActionDialog
from ui.case_summary_widget import CaseSummaryWidget
from ui.case_table_model import due_text
from ui.conflict_panel import ConflictBox
from ui.errors import show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.page import Page
from ui.rows_model import RowsModel, rows_table
from ui.widgets import clear_layout, heading, muted


def actions_per_row() -> int:
    """Six action buttons a row; fewer with large text, so the row fits a 1366-pixel screen."""
    return 6 if theme.current_scale() <= 1.2 else 4


# One key per action, the same on every case (Alt+letter: typing in a dialog never triggers it).
ACTION_KEYS: dict[str, str] = {
    "route": "R",
    "close_on_spot": "Z",
    "sign": "S",
    "return": "T",
    "opinion": "O",
    "extend": "E",
    "escalate": "U",
    "approve": "A",
    "decline": "D",
    "minutes": "M",
    "consult": "H",
    "reply": "Y",
    "deliver": "V",
    "handled": "B",
    "confirm": "C",
    "objection": "X",
    "callback": "K",
    "archive": "G",
    "withdraw": "W",
    "submit_city": "Q",
    "city_assign": "N",
    "feedback_12345": "F",
    "clue_transfer": "J",
    "incident": "I",
}


def timeline_note(entry: TimelineEntry) -> str:
    """A short description of an event for the timeline (no identifiers)."""
    p = entry.payload
    parts: list[str] = []
    if p.get("dept"):
        try:
            parts.append(DEPARTMENT_SHORT[Department(str(p["dept"]))])
        except ValueError:
            pass
    if entry.type == "paper_printed":
        kind = str(p.get("kind", ""))
        label = KIND_LABELS[PaperKind(kind)] if kind in set(PaperKind) else kind
        parts.append(f"{label} {p.get('paper_no', '')}")
    if entry.type == "personal_data_revealed":
        parts.append(TR.col_id if p.get("field") == "applicant_id" else TR.col_phone)
    routing = p.get("routing")
    if isinstance(routing, dict) and routing.get("track"):
        parts.append(Track(str(routing["track"])).label)
    for key in ("document_no", "reason", "text", "route", "referral", "satisfaction", "days"):
        if p.get(key) not in (None, ""):
            parts.append(choice_label(key, p[key]))
    text = ":".join(parts[:1]) + (" " + " ".join(parts[1:]) if len(parts) > 1 else "")
    return text if len(text) <= 90 else text[:88] + "…"


def dept_due_text(d: DepartmentProgress) -> str:
    """A department's own opinion deadline and how it stands: extended, overdue, on time."""
    parts = [d.due_date or ""]
    if d.extended:
        parts.append(TR.dept_extended)
    if d.on_time is not None:
        parts.append(TR.dept_on_time if d.on_time else TR.dept_late)
    elif d.overdue:
        parts.append(TR.dept_overdue)
    return " ".join(p for p in parts if p)


class CaseDetailView(Page):
    back_requested = Signal()
    case_changed = Signal(str)
    print_requested = Signal(str, str)

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__(session, runner)
        self.detail: CaseDetail | None = None
        self.case_no = ""
        self.sync_state = ""
        column = QVBoxLayout(self)
        top = QHBoxLayout()
        self.back_button = QPushButton(TR.detail_back)
        self.back_button.clicked.connect(self.back_requested)
        top.addWidget(self.back_button)
        self.title = heading("")
        top.addWidget(self.title)
        top.addStretch(1)
        self.print_button = QPushButton(TR.detail_print)
        self.print_button.clicked.connect(lambda: self.print_requested.emit(self.case_no, ""))
        top.addWidget(self.print_button)
        column.addLayout(top)
        self.status_line = muted()  # its own line: status, track, what is due and who owes it
        self.status_line.setWordWrap(True)
        column.addWidget(self.status_line)
        self.conflict = ConflictBox(session, runner)  # shown while the case has an open sync conflict
        self.conflict.resolved.connect(self._on_conflict_resolved)
        column.addWidget(self.conflict)
        self.actions_box = QFrame()
        self.actions_box.setObjectName("panel")
        self.actions_layout = QGridLayout(self.actions_box)
        column.addWidget(self.actions_box)
        self.summary = CaseSummaryWidget(session, runner)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.summary)
        self.summary_scroll = scroll
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_scroll = QScrollArea()  # large text on a small screen scrolls; nothing is clipped
        right_scroll.setWidgetResizable(True)
        right_scroll.setFrameShape(QFrame.Shape.NoFrame)
        right_scroll.setWidget(right)
        right_column.addWidget(heading(TR.detail_routing, 2))
        self.routing = muted()
        self.routing.setTextFormat(Qt.TextFormat.RichText)
        self.routing.setObjectName("")
        right_column.addWidget(self.routing)
        right_column.addWidget(heading(TR.detail_departments, 2))
        self.departments = RowsModel(
            (TR.col_dept, TR.col_signed, TR.col_dept_due, TR.col_opinion, TR.col_returned), self
        )
        self.departments_table = rows_table(self.departments, single=True)
        self.departments_table.setWordWrap(True)
        dept_header = self.departments_table.horizontalHeader()
        dept_header.setStretchLastSection(False)
        dept_header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        dept_header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance(TR.col_opinion) + 24)
        self.departments_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # wrapped opinions change the rows' heights whenever the columns do: keep every row in view
        self.departments_table.installEventFilter(self)
        right_column.addWidget(self.departments_table, 1)
        right_column.addWidget(heading(TR.detail_timeline, 2))
        self.timeline = RowsModel((TR.col_time, TR.col_author, TR.col_event, TR.col_note), self)
        self.timeline_table = rows_table(self.timeline, single=True)
        self.timeline_table.setMinimumHeight(self.fontMetrics().height() * 8)
        # a long note wraps onto more lines instead of ending in "…" (large text, narrow column)
        self.timeline_table.setWordWrap(True)
        self.timeline_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        right_column.addWidget(self.timeline_table, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right_scroll)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        column.addWidget(splitter, 1)

    # -- loading --------------------------------------------------------------------------------
    def open_case(self, case_no: str) -> None:
        self.case_no = case_no
        self.reload()

    def refresh(self) -> None:
        if not self.case_no:
            return
        try:
            detail = get_case(self.session, self.case_no)
        except Exception as exc:
            show_error(self, exc)
            return
        self.show_detail(detail)

    def _load_sync_state(self, case_uuid: str) -> None:
        """Add the case's sync state (待同步 … 市级已确认, 待处理) to the status line, off the GUI thread."""
        from sync.case_states import case_sync_states

        session = self.session
        self.runner.run(
            lambda: (case_uuid, case_sync_states(session, [case_uuid]).get(case_uuid, "")),
            self._on_sync_state,
            lambda _exc: None,
            key="detail-sync-state",
        )

    def _on_sync_state(self, answer: tuple[str, str]) -> None:
        case_uuid, state = answer
        if state and self.detail is not None and self.detail.summary.uuid == case_uuid:
            self.sync_state = state
            self.status_line.setText(self.status_line.text() + f" · {TR.sync_state_label}:{state}")

    def show_detail(self, detail: CaseDetail) -> None:
        self.detail = detail
        s = detail.summary
        self.title.setText(TR.detail_title.format(case_no=s.case_no))
        line = (
            s.status.label
            if s.status.label == s.track.label  # 重大疑难 is a status and a track
            else TR.detail_status_line.format(status=s.status.label, track=s.track.label)
        )
        if s.due_for:
            line += " · " + TR.detail_due_line.format(stage=s.due_for, due=due_text(s) or TR.none)
        self.status_line.setText(line + (f" · {TR.detail_clue_transferred}" if detail.clue_transferred else ""))
        self._load_sync_state(s.uuid)
        self.conflict.load(s.case_no)
        colour = {"warn": theme.AMBER.name(), "overdue": theme.RED.name()}.get(s.deadline_state, "")
        self.status_line.setStyleSheet(f"color: {colour};" if colour else "")
        names = display_names(self.session)
        self.summary.show_case(detail, names.get(s.handler, s.handler))
        # the 显示 buttons stay in view: the summary is never squeezed below its own width
        bar = self.summary_scroll.verticalScrollBar().sizeHint().width()
        self.summary_scroll.setMinimumWidth(self.summary.needed_width() + bar + 8)
        self._show_routing(detail)
        self.departments.set_rows(
            [
                (
                    f"{DEPARTMENT_SHORT[d.dept]}({TR.role_lead if d.role == 'lead' else TR.role_co})",
                    (d.signed_at or "")[:10],
                    dept_due_text(d),
                    (d.opinion or "").replace("\n", " "),
                    f"{(d.returned_at or '')[:10]} {d.return_reason or ''}".strip(),
                )
                for d in detail.departments
            ],
            colours=[theme.RED if d.overdue or d.on_time is False else None for d in detail.departments],
        )
        self._fit_departments()
        self.timeline.set_rows(
            [
                (t.at[:16].replace("T", " "), names.get(t.author, t.author), t.label, timeline_note(t))
                for t in reversed(detail.timeline)
            ]
        )
        self._show_actions(detail)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.departments_table and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self, self._fit_departments)
        return super().eventFilter(watched, event)

    def _fit_departments(self) -> None:
        """Tall enough for every department row (the page scrolls instead of the rows clipping)."""
        table = self.departments_table
        table.resizeRowsToContents()
        rows = sum(max(table.rowHeight(i), table.sizeHintForRow(i)) for i in range(self.departments.rowCount()))
        table.setMinimumHeight(
            table.horizontalHeader().sizeHint().height()
            + rows
            + 2 * table.frameWidth()
            + table.horizontalScrollBar().sizeHint().height()
        )

    def _show_routing(self, detail: CaseDetail) -> None:
        r = detail.routing
        lead = r.lead.full_name if r.lead else TR.none
        co = "、".join(d.full_name for d in r.co) or TR.none
        colour = theme.TRACK_COLORS.get(r.track.value, "#1b2a3a")
        reasons = "".join(f"<li>{escape(x)}</li>" for x in r.reasons)
        self.routing.setText(
            f"<b style='color:{colour}'>{escape(r.track.label)}</b><br>"
            f"<b>{TR.routing_lead}</b>:{escape(lead)}<br><b>{TR.routing_co}</b>:{escape(co)}"
            f"<ul style='margin-left:-20px'>{reasons}</ul>"
        )

    def _show_actions(self, detail: CaseDetail) -> None:
        clear_layout(self.actions_layout)
        for shortcut in getattr(self, "action_shortcuts", ()):
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self.action_buttons: dict[str, QPushButton] = {}
        self.action_shortcuts: list[QShortcut] = []
        if not detail.allowed_actions:
            self.actions_layout.addWidget(muted(TR.detail_no_actions), 0, 0)
            return
        reasons: list[str] = []
        per_row = actions_per_row()
        for i, name in enumerate(detail.allowed_actions):
            key = ACTION_KEYS.get(name, "")
            button = QPushButton(ACTIONS[name].label + (f"(Alt+{key})" if key else ""))
            button.clicked.connect(lambda _=False, n=name: self.start_action(n))
            why = detail.why_not(name)
            if why:  # offered by state and role, but the record is not there yet
                button.setEnabled(False)
                button.setToolTip(why)
                reasons.append(TR.detail_action_blocked.format(action=ACTIONS[name].label, why=why))
            elif key:
                shortcut = QShortcut(QKeySequence(f"Alt+{key}"), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(button.click)
                self.action_shortcuts.append(shortcut)
            self.actions_layout.addWidget(button, i // per_row, i % per_row)
            self.action_buttons[name] = button
        if reasons:
            self.blocked_label = QLabel("\n".join(reasons))
            self.blocked_label.setObjectName("hint")
            self.blocked_label.setWordWrap(True)
            rows = (len(detail.allowed_actions) + per_row - 1) // per_row
            self.actions_layout.addWidget(self.blocked_label, rows, 0, 1, per_row)

    # -- actions ----------------------------------------------------------------------------------
    def start_action(self, action: str) -> ActionDialog | None:
        if self.detail is None:
            return None
        dialog = ActionDialog(self.session, self.detail, action, self.runner, self)
        dialog.performed.connect(self._on_dialog_performed)
        dialog.print_requested.connect(self.print_requested)  # the city's paper for its act
        dialog.open()
        return dialog

    def _on_conflict_resolved(self) -> None:
        self.reload()
        self.case_changed.emit(self.case_no)

    def _on_dialog_performed(self, detail: CaseDetail) -> None:
        self.show_detail(detail)
        self.case_changed.emit(detail.summary.case_no)

    def hide_personal_data(self) -> None:
        self.summary.mask_again()
