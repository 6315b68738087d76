"""The desk: the intake form, its live routing panel, duplicate warning, save, and the draft."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from station_app.documents.payload import PaperKind
from station_app.dto.case import IntakeResult
from station_app.errors import ValidationError
from station_app.services.case_service import intake
from station_app.services.desk_service import (
    clear_draft,
    known_employers,
    load_draft,
    routing_preview,
    save_draft,
    stage_deadlines,
    station_town,
)
from station_app.services.paper_rules import intake_papers
from station_app.services.query_service import DuplicateCase, find_duplicates
from station_app.services.session import Session
from ui.errors import show_error
from ui.i18n import TR
from ui.intake_form import IntakeForm
from ui.ops import Runner
from ui.page import Page
from ui.routing_panel import RoutingPanel
from ui.widgets import heading


def _banner(style: str) -> QLabel:
    label = QLabel()
    label.setObjectName(style)
    label.setWordWrap(True)
    label.hide()
    return label


class IntakeView(Page):
    case_saved = Signal(str)
    case_open_requested = Signal(str)
    print_requested = Signal(str, str)  # case number, paper kind

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__(session, runner)
        self.form = IntakeForm(station_town(session), session.clock.now)
        self.form.set_towns(dict(session.settings()["jurisdiction_towns"]))
        self.panel = RoutingPanel()
        self.last_saved: IntakeResult | None = None
        self.saving = False  # a save on its way: the save button is disabled until it lands
        self._draft_checked = False
        column = QVBoxLayout(self)
        column.addWidget(heading(TR.intake_title))
        self.draft_banner = _banner("banner")
        self.draft_banner.setText(TR.intake_draft_restored)
        self.discard_button = QPushButton(TR.intake_draft_discard)
        self.discard_button.hide()
        self.discard_button.clicked.connect(self._on_discard_clicked)
        draft_row = QHBoxLayout()
        draft_row.addWidget(self.draft_banner, 1)
        draft_row.addWidget(self.discard_button)
        column.addLayout(draft_row)
        self.saved_banner = _banner("success")
        self.saved_row = QWidget()
        saved_layout = QHBoxLayout(self.saved_row)
        saved_layout.setContentsMargins(0, 0, 0, 0)
        saved_layout.addWidget(self.saved_banner, 1)
        self.receipt_button = QPushButton(TR.intake_print_receipt)
        self.referral_button = QPushButton(TR.intake_print_referral)
        self.open_button = QPushButton(TR.intake_open_case)
        for button in (self.receipt_button, self.referral_button, self.open_button):
            saved_layout.addWidget(button)
        self.first_paper = "receipt"
        self.receipt_button.clicked.connect(lambda: self._on_saved_action(self.first_paper))
        self.referral_button.clicked.connect(lambda: self._on_saved_action("referral"))
        self.open_button.clicked.connect(lambda: self._on_saved_action(""))
        self.saved_row.hide()
        column.addWidget(self.saved_row)
        self.duplicates_banner = _banner("banner")
        column.addWidget(self.duplicates_banner)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.form)
        self.form_scroll = scroll
        # the panel scrolls rather than squeezing its lines on top of each other in large text
        panel_scroll = QScrollArea()
        panel_scroll.setWidgetResizable(True)
        panel_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        panel_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        panel_scroll.setWidget(self.panel)
        self.panel_scroll = panel_scroll
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(panel_scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        panel_scroll.setMinimumWidth(self.panel.fontMetrics().horizontalAdvance("协办部门:漠河市人力资源和社会") + 40)
        column.addWidget(splitter, 1)
        buttons = QHBoxLayout()
        self.clear_button = QPushButton(TR.intake_clear)
        self.clear_button.clicked.connect(self._on_clear_clicked)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        self.save_button = QPushButton(TR.intake_save)
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.save_button)
        column.addLayout(buttons)
        for keys in ("Ctrl+S", "Ctrl+Return"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.save)
        self.routing_timer = self._timer(250, self.update_routing)
        self.duplicates_timer = self._timer(600, self._check_duplicates)
        self.draft_timer = self._timer(1500, self._store_draft)
        self.form.changed.connect(self._on_form_changed)
        self.update_routing()

    def _timer(self, msecs: int, slot: Any) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(msecs)
        timer.timeout.connect(slot)
        return timer

    def refresh(self) -> None:
        self.runner.run(lambda: known_employers(self.session), self.form.set_employers, key="employers")
        if not self._draft_checked:
            self._draft_checked = True
            draft = load_draft(self.session)
            if draft:
                self.form.load_data(draft)
                self.draft_banner.show()
                self.discard_button.show()
        self.form.refresh_time_range()
        self.form.applicant_name.setFocus()

    # -- live feedback ---------------------------------------------------------------------------
    def _on_form_changed(self) -> None:
        self.routing_timer.start()
        self.duplicates_timer.start()
        self.draft_timer.start()

    def update_routing(self) -> None:
        self.routing_timer.stop()
        try:
            decision = routing_preview(self.session, self.form.to_data())
        except ValidationError as exc:
            self.panel.show_waiting(self.form.error_lines(exc.fields))
            return
        self.panel.show_decision(decision, stage_deadlines(self.session, decision))

    def _check_duplicates(self) -> None:
        data = self.form.to_data()
        self.runner.run(lambda: find_duplicates(self.session, data), self._on_duplicates_found, key="duplicates")

    def _on_duplicates_found(self, found: list[DuplicateCase]) -> None:
        if not found:
            self.duplicates_banner.hide()
            return
        names = TR.intake_duplicate_matched
        cases = "、".join(
            TR.intake_duplicate_case.format(
                case_no=d.case.case_no, status=d.case.status.label, matched="、".join(names[m] for m in d.matched)
            )
            for d in found[:3]
        ) + ("…" if len(found) > 3 else "")
        self.duplicates_banner.setText(TR.intake_duplicates.format(count=len(found), cases=cases))
        self.duplicates_banner.show()

    # -- draft -------------------------------------------------------------------------------------
    def _store_draft(self) -> None:
        blank = self.form.is_blank()
        data = self.form.to_data()
        session = self.session
        self.runner.run(
            lambda: clear_draft(session) if blank else save_draft(session, data), lambda _: None, write=True
        )

    def save_draft_now(self) -> None:
        """Keep the form in the encrypted store at once (lock, close); not while the form is
        being registered as a case (its draft goes with the save)."""
        self.draft_timer.stop()
        if self.saving:
            return
        if self.form.is_blank():
            clear_draft(self.session)
        else:
            save_draft(self.session, self.form.to_data())

    def _on_discard_clicked(self) -> None:
        self.draft_timer.stop()
        clear_draft(self.session)
        self.form.clear()
        self.draft_banner.hide()
        self.discard_button.hide()

    def _on_clear_clicked(self) -> None:
        if self.form.is_blank():
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            TR.intake_clear,
            TR.intake_clear_confirm,
            QMessageBox.StandardButton.NoButton,
            self,
        )
        clear = box.addButton(TR.intake_clear, QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(TR.cancel, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.buttonClicked.connect(lambda button: self._clear_now() if button is clear else None)
        self.clear_question = box
        box.open()

    def _clear_now(self) -> None:
        self.form.clear()
        self.draft_timer.start()

    # -- save -------------------------------------------------------------------------------------------
    def save(self) -> None:
        """Register the form's case on the runner's writer (the draft goes with it); the save
        button is disabled until the answer lands, and a second Ctrl+S meanwhile does nothing."""
        if self.saving:
            return
        data = self.form.to_data()
        session = self.session
        self.draft_timer.stop()  # the draft is cleared with the save, or kept again if refused
        self.saving = True
        self.save_button.setEnabled(False)
        self.runner.run(lambda: _register(session, data), self._on_intake_saved, self._on_intake_failed, write=True)

    def _on_intake_failed(self, exc: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.draft_timer.start()
        if isinstance(exc, ValidationError):
            first = self.form.show_errors(exc.fields)
            if first is not None:
                self.form_scroll.ensureWidgetVisible(first)
                first.setFocus()
            return
        show_error(self, exc)

    def _on_intake_saved(self, result: IntakeResult) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.last_saved = result
        self.form.clear()
        self.draft_banner.hide()
        self.discard_button.hide()
        self.duplicates_banner.hide()
        lead = result.routing.lead.full_name if result.routing.lead else TR.none
        text = TR.intake_saved.format(case_no=result.case_no, track=result.routing.track.label, lead=lead)
        if result.warnings:
            text += "\n" + TR.intake_warnings.format(warnings=";".join(result.warnings))
        self.saved_banner.setText(text)
        self.saved_banner.show()
        papers = intake_papers(result.routing.track)
        self.first_paper = papers[0].value
        self.receipt_button.setText(TR.intake_print_paper.format(paper=papers[0].label))
        self.referral_button.setVisible(PaperKind.REFERRAL in papers)
        self.saved_row.show()
        self.receipt_button.setFocus()
        self.case_saved.emit(result.case_no)

    def _on_saved_action(self, kind: str) -> None:
        if self.last_saved is None:
            return
        if kind:
            self.print_requested.emit(self.last_saved.case_no, kind)
        else:
            self.case_open_requested.emit(self.last_saved.case_no)


def _register(session: Session, data: dict[str, Any]) -> IntakeResult:
    """On the runner's writer: the case through `case_service.intake`, then the draft cleared."""
    result = intake(session, data)
    clear_draft(session)
    return result
