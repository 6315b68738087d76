"""Print preview (QtPdf), printing through the system printer, saving as PDF.

PDF bytes are loaded from memory (QBuffer): no temporary file is ever written. The preview of
a case paper is a draft (样稿, unsigned, no number taken); printing or saving it numbers it,
signs it and records the print (paper_service); reprints say so on the paper.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from station_app.documents.payload import KIND_LABELS, PaperKind
from station_app.errors import StationError, ValidationError
from station_app.services.session import Session
from station_app.store.atomic import atomic_write_bytes
from ui.errors import describe, show_error
from ui.i18n import TR
from ui.ops import Runner
from ui.widgets import ErrorLabel, muted

PRINT_DPI = 300


def render_to_printer(document: QPdfDocument, printer: QPrinter) -> None:
    """Paint every page of `document` onto `printer`, fitted to the printable area."""
    painter = QPainter()
    if not painter.begin(printer):
        raise StationError(TR.print_printer_failed)
    try:
        dpi = min(printer.resolution(), PRINT_DPI)
        for page in range(document.pageCount()):
            if page:
                printer.newPage()
            points = document.pagePointSize(page)
            image = document.render(page, QSize(int(points.width() / 72 * dpi), int(points.height() / 72 * dpi)))
            area = painter.viewport()
            size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(area.x(), area.y(), size.width(), size.height()), image)
    finally:
        painter.end()


class PdfPreviewDialog(QDialog):
    """Shows PDF bytes; prints them or saves them where the user says."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(1000, 720)
        self.pdf = b""
        self.printed_to = ""
        self.file_stem = TR.print_file_stem
        self._buffer: QBuffer | None = None
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.side = QVBoxLayout()
        self.info = muted()
        self.error = ErrorLabel()
        self.print_button = QPushButton(TR.print_button)
        self.print_button.setObjectName("primary")
        self.save_button = QPushButton(TR.print_save_pdf)
        self.close_button = QPushButton(TR.close)
        self.print_button.clicked.connect(self._on_print_clicked)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.close_button.clicked.connect(self.reject)
        body = QHBoxLayout()
        body.addLayout(self.side)
        body.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.info, 1)
        for button in (self.save_button, self.print_button, self.close_button):
            buttons.addWidget(button)
        column = QVBoxLayout(self)
        column.addWidget(self.error)
        column.addLayout(body, 1)
        column.addLayout(buttons)
        self._set_ready(False)

    def _set_ready(self, ready: bool) -> None:
        self.print_button.setEnabled(ready)
        self.save_button.setEnabled(ready)

    def show_pdf(self, pdf: bytes, info: str = "") -> None:
        """Load `pdf` from memory into the preview."""
        self.document.close()
        self.pdf = pdf
        buffer = QBuffer(self)
        buffer.setData(QByteArray(pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        old, self._buffer = self._buffer, buffer
        self.document.load(buffer)
        if old is not None:
            old.close()
            old.deleteLater()
        self.info.setText(info)
        self.error.show_error(None)
        self._set_ready(True)

    def show_failure(self, exc: BaseException) -> None:
        self.document.close()
        self.pdf = b""
        self.info.setText("")
        self.error.show_error(describe(exc))
        self._set_ready(False)

    def finalize(self, then: Any) -> None:
        """Make the copy that leaves the station, then call `then()`; here the shown PDF is final."""
        then()

    def print_to(self, printer: QPrinter) -> None:
        """Print the final copy on `printer` (a case paper is numbered and recorded first)."""
        self.finalize(lambda: self._print_now(printer))

    def save_to(self, path: Path) -> None:
        """Save the final copy at `path` (.pdf added when missing)."""
        self.finalize(lambda: self._save_now(path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")))

    def _print_now(self, printer: QPrinter) -> None:
        try:
            render_to_printer(self.document, printer)
        except Exception as exc:
            result = getattr(self, "result", None)
            if result is not None:  # the number is taken and recorded: say so, a retry is a reprint
                self.info.setText(TR.print_failed_recorded.format(paper_no=result.paper_no))
            show_error(self, exc)
            return
        self.printed_to = printer.outputFileName() or printer.printerName()
        self.info.setText(f"{self.info.text()} · {TR.print_sent}")

    def _save_now(self, path: Path) -> None:
        try:
            atomic_write_bytes(path, self.pdf)
        except Exception as exc:
            show_error(self, exc)
            return
        self.info.setText(f"{self.info.text()} · {TR.print_saved.format(path=path.name)}")

    def _on_print_clicked(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.print_to(printer)

    def _on_save_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, TR.print_save_pdf, f"{self.file_stem}.pdf", TR.print_pdf_filter)
        if name:
            self.save_to(Path(name))

    def closeEvent(self, event: Any) -> None:
        self.document.close()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.document.close()
        if self._buffer is not None:
            self._buffer.close()
        super().done(result)


class RecordedPaperDialog(PdfPreviewDialog):
    """A paper shown as a draft (样稿); it is numbered, signed and recorded only when it is
    printed or saved, and each print or save after the first is a recorded reprint."""

    def __init__(self, title: str, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.runner = runner
        self.preview: Any = None  # the on-screen draft: no number taken, nothing recorded
        self.result: Any = None  # the last copy printed or saved: numbered, signed, recorded
        self.finalizing = False

    def final_job(self) -> Any:
        """A callable (run on a worker thread) that numbers, signs and records the paper."""
        raise NotImplementedError

    def paper_label(self) -> str:
        raise NotImplementedError

    def show_preview(self, preview: Any) -> None:
        self.preview = preview
        self.show_pdf(preview.pdf, TR.print_draft_info.format(kind=self.paper_label(), pages=preview.pages or "?"))

    def _enable_side(self, enabled: bool) -> None:
        for i in range(self.side.count()):
            item = self.side.itemAt(i)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setEnabled(enabled)

    def finalize(self, then: Any) -> None:
        """Number, sign and record the paper, show that copy, then print or save it. The choice
        of paper is frozen meanwhile, so the copy recorded is the copy that leaves the desk."""
        if self.finalizing:
            return
        self.finalizing = True
        self._set_ready(False)
        self._enable_side(False)
        self.info.setText(TR.print_busy)
        label = self.paper_label()

        def done(result: Any) -> None:
            self.finalizing = False
            self._enable_side(True)
            self.result = result
            reprint = TR.print_reprint if result.reprint else ""
            self.show_pdf(
                result.pdf,
                TR.print_info.format(kind=label, paper_no=result.paper_no, reprint=reprint, pages=result.pages or "?"),
            )
            then()

        def failed(exc: BaseException) -> None:
            self.finalizing = False
            self._enable_side(True)
            self.show_failure(exc)

        self.runner.run(self.final_job(), done, failed, key="paper_final", write=True)


class ReportPrintDialog(RecordedPaperDialog):
    """The statistics report of the cases received `first`..`last`: a whole month's is the
    monthly report."""

    def __init__(self, session: Session, runner: Runner, first: date, last: date, parent: QWidget | None = None):
        from station_app.dto.stats import whole_month
        from station_app.services.stats_service import preview_period_report

        if whole_month(first, last):
            month = first.strftime("%Y-%m")
            title, self.file_stem = TR.print_report_title.format(month=month), TR.print_report_stem.format(month=month)
        else:
            start, end = first.isoformat(), last.isoformat()
            title = TR.print_period_title.format(start=start, end=end)
            self.file_stem = TR.print_period_stem.format(start=start, end=end)
        super().__init__(title, runner, parent)
        self.session, self.first, self.last = session, first, last
        self.info.setText(TR.print_busy)
        self.runner.run(
            lambda: preview_period_report(session, first, last), self.show_preview, self.show_failure, key="paper"
        )

    def final_job(self) -> Any:
        from station_app.services.stats_service import print_period_report

        session, first, last = self.session, self.first, self.last
        return lambda: print_period_report(session, first, last)

    def paper_label(self) -> str:
        return KIND_LABELS[PaperKind.REPORT]


class CasePrintDialog(RecordedPaperDialog):
    """The papers of one case: pick a kind, see it, print or save it; verify a scanned paper."""

    def __init__(
        self, session: Session, runner: Runner, case_no: str, kind: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(TR.print_title.format(case_no=case_no), runner, parent)
        self.session, self.case_no = session, case_no
        self._kind = kind
        self.kinds = QListWidget()
        self.kinds.setObjectName("kinds")
        self.kinds.setMaximumWidth(220)
        self.side.addWidget(self.kinds, 1)
        # 五(三): an internal paper names its receiver; one outside the station needs a head's approval
        self.side.addWidget(QLabel(TR.print_recipient))
        self.recipients = QComboBox()
        self.recipients.setObjectName("recipients")
        self.recipients.setMaximumWidth(220)
        self.side.addWidget(self.recipients)
        self.recipient_state = muted()
        self.recipient_state.setWordWrap(True)
        self.recipient_state.setMaximumWidth(220)
        self.side.addWidget(self.recipient_state)
        self.approve_button = QPushButton(TR.print_approve)
        self.approve_button.clicked.connect(self._on_approve_clicked)
        self.side.addWidget(self.approve_button)
        self.form: Any = None
        verify = QPushButton(TR.print_verify)
        verify.clicked.connect(self._on_verify_clicked)
        self.side.addWidget(verify)
        self.recipients.currentIndexChanged.connect(self._on_recipient_changed)
        self._fill_kinds()
        self.kinds.currentItemChanged.connect(self._on_kind_changed)
        wanted = kind or self._first_fitting()
        for i in range(self.kinds.count()):
            if self.kinds.item(i).data(Qt.ItemDataRole.UserRole) == wanted:
                self.kinds.setCurrentRow(i)

    def _fill_kinds(self) -> None:
        from station_app.services.paper_service import CASE_PAPERS, check_paper
        from station_app.services.query_service import get_case

        detail = get_case(self.session, self.case_no)
        for code in CASE_PAPERS:
            item = QListWidgetItem(KIND_LABELS[PaperKind(code)])
            item.setData(Qt.ItemDataRole.UserRole, code)
            try:
                check_paper(detail, PaperKind(code))
            except ValidationError as exc:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(TR.print_not_fit.format(reason=describe(exc)))
            self.kinds.addItem(item)

    def _first_fitting(self) -> str:
        for i in range(self.kinds.count()):
            item = self.kinds.item(i)
            if item.flags() & Qt.ItemFlag.ItemIsEnabled:
                return str(item.data(Qt.ItemDataRole.UserRole))
        return ""

    def _on_kind_changed(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is None:
            return
        self.generate(str(item.data(Qt.ItemDataRole.UserRole)))

    def generate(self, kind: str) -> None:
        """Show the draft of `kind`; the numbered, signed copy is made only when printed or saved."""
        if kind != self._kind or self.form is None:
            self._kind = kind
            self._fill_recipients()
        self._preview()

    def _preview(self) -> None:
        from station_app.services.paper_service import preview_paper

        self._set_ready(False)
        self.info.setText(TR.print_busy)
        session, case_no, kind, options = self.session, self.case_no, self._kind, self.options()
        self.runner.run(
            lambda: preview_paper(session, case_no, kind, options),
            self._on_preview_built,
            self.show_failure,
            key="paper",
        )

    # -- the receiver (五(三)) ------------------------------------------------------------------
    def options(self) -> dict[str, str]:
        """The paper options the service takes: the receiver of an internal paper."""
        code = self.recipients.currentData()
        return {"to": str(code)} if code else {}

    def _choice(self) -> Any:
        if not hasattr(self, "recipients"):  # the base class asks before the side panel exists
            return None
        code = self.recipients.currentData()
        if self.form is None or not code:
            return None
        return next((c for c in self.form.choices if c.code == code), None)

    def _fill_recipients(self, keep: str | None = None) -> None:
        """Ask the service which receivers this paper may go to, and whether each is approved."""
        from station_app.services.disclosure_service import disclosure_form
        from station_app.services.query_service import get_case

        self.form = disclosure_form(self.session, get_case(self.session, self.case_no), PaperKind(self._kind))
        self.recipients.blockSignals(True)
        self.recipients.clear()
        if not self.form.personal:
            self.recipients.addItem(TR.print_recipient_citizen, None)
        for choice in self.form.choices:
            mark = "" if choice.ready else TR.print_recipient_unapproved
            self.recipients.addItem(choice.label + mark, choice.code)
        if keep is not None:
            self.recipients.setCurrentIndex(max(self.recipients.findData(keep), 0))
        self.recipients.setEnabled(self.form.personal)
        self.recipients.blockSignals(False)
        self._show_recipient_state()

    def _show_recipient_state(self) -> None:
        choice = self._choice()
        if choice is None or not choice.needs_approval:
            self.recipient_state.setText(TR.print_recipient_station if choice is not None else "")
        elif choice.approval is not None:
            a = choice.approval
            self.recipient_state.setText(
                TR.print_recipient_approved.format(approver=a.approver, at=a.at[:10], purpose=a.purpose)
            )
        else:
            self.recipient_state.setText(TR.print_recipient_missing)
        self.approve_button.setVisible(bool(choice and not choice.ready and self.form.can_approve))

    def recipient_ready(self) -> bool:
        choice = self._choice()
        return choice is None or bool(choice.ready)

    def _set_ready(self, ready: bool) -> None:
        super()._set_ready(ready and self.recipient_ready())

    def _on_recipient_changed(self, _index: int) -> None:
        self._show_recipient_state()
        self._preview()

    def approve(self, purpose: str) -> None:
        """Record the head's approval for the chosen receiver (the service checks the role)."""
        from station_app.services.disclosure_service import approve_disclosure

        choice = self._choice()
        if choice is None:
            return
        try:
            approve_disclosure(self.session, choice.code, purpose, self.case_no)
        except StationError as exc:
            self.error.show_error(describe(exc))
            return
        self.error.show_error(None)
        self._fill_recipients(keep=choice.code)
        self._preview()

    def _on_approve_clicked(self) -> None:
        choice = self._choice()
        if choice is None:
            return
        purpose, ok = QInputDialog.getText(
            self, TR.print_approve_title, TR.print_approve_purpose.format(recipient=choice.label)
        )
        if ok:
            self.approve(purpose)

    def _on_preview_built(self, preview: Any) -> None:
        self.file_stem = f"{self.case_no}-{self.paper_label()}"
        self.show_preview(preview)

    def final_job(self) -> Any:
        from station_app.services.paper_service import print_paper

        session, case_no, kind, options = self.session, self.case_no, self._kind, self.options()
        return lambda: print_paper(session, case_no, kind, options)

    def paper_label(self) -> str:
        return KIND_LABELS[PaperKind(self._kind)]

    def _on_verify_clicked(self) -> None:
        from ui.verify_dialog import VerifyDialog

        VerifyDialog(self.session, self).open()
