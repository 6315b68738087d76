"""Print preview (QtPdf), printing through the system printer, saving as PDF.

PDF bytes are loaded from memory (QBuffer): no temporary file is ever written. The preview of
a case paper is a draft (样稿, unsigned, no number taken); printing or saving it numbers it,
signs it and records the print (paper_service); reprints say so on the paper.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
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
            self.show_pdf(result.pdf, TR.print_info.format(kind=label, paper_no=result.paper_no, reprint=reprint,
                                                           pages=result.pages or "?"))
            then()

        def failed(exc: BaseException) -> None:
            self.finalizing = False
            self._enable_side(True)
            self.show_failure(exc)

        self.runner.run(self.final_job(), done, failed, key="paper_final", write=True)


class ReportPrintDialog(RecordedPaperDialog):
    """The monthly statistics report of one month."""

    def __init__(self, session: Session, runner: Runner, month: str, parent: QWidget | None = None) -> None:
        from station_app.services.stats_service import preview_monthly_report

        super().__init__(TR.print_report_title.format(month=month), runner, parent)
        self.session, self.month = session, month
        self.file_stem = TR.print_report_stem.format(month=month)
        self.info.setText(TR.print_busy)
        self.runner.run(lambda: preview_monthly_report(session, month), self.show_preview, self.show_failure,
                        key="paper")

    def final_job(self) -> Any:
        from station_app.services.stats_service import print_monthly_report

        session, month = self.session, self.month
        return lambda: print_monthly_report(session, month)

    def paper_label(self) -> str:
        return KIND_LABELS[PaperKind.REPORT]


class CasePrintDialog(RecordedPaperDialog):
    """The papers of one case: pick a kind, see it, print or save it; verify a scanned paper."""

    def __init__(self, session: Session, runner: Runner, case_no: str, kind: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(TR.print_title.format(case_no=case_no), runner, parent)
        self.session, self.case_no = session, case_no
        self._kind = kind
        self.kinds = QListWidget()
        self.kinds.setObjectName("kinds")
        self.kinds.setMaximumWidth(220)
        self.side.addWidget(self.kinds, 1)
        verify = QPushButton(TR.print_verify)
        verify.clicked.connect(self._on_verify_clicked)
        self.side.addWidget(verify)
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
        from station_app.services.paper_service import preview_paper

        self._set_ready(False)
        self.info.setText(TR.print_busy)
        session, case_no = self.session, self.case_no
        self._kind = kind
        self.runner.run(lambda: preview_paper(session, case_no, kind), self._on_preview_built, self.show_failure,
                        key="paper")

    def _on_preview_built(self, preview: Any) -> None:
        self.file_stem = f"{self.case_no}-{self.paper_label()}"
        self.show_preview(preview)

    def final_job(self) -> Any:
        from station_app.services.paper_service import print_paper

        session, case_no, kind = self.session, self.case_no, self._kind
        return lambda: print_paper(session, case_no, kind)

    def paper_label(self) -> str:
        return KIND_LABELS[PaperKind(self._kind)]

    def _on_verify_clicked(self) -> None:
        from ui.verify_dialog import VerifyDialog

        VerifyDialog(self.session, self).open()
