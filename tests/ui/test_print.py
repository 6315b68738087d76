"""Print preview from memory, printing to a (PDF) printer, saving, verifying a scanned paper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from station_app.services.case_service import intake
from station_app.services.session import Session
from tests.conftest import event_count
from tests.factories import refer_intake
from tests.ui.conftest import settle


def _printed(qtbot: Any, main: Any, runner: Any, case_no: str, kind: str = "") -> Any:
    dialog = main.print_case(case_no, kind)
    qtbot.addWidget(dialog)
    settle(qtbot, runner)
    qtbot.waitUntil(lambda: dialog.document.pageCount() > 0, timeout=10000)
    return dialog


def test_receipt_preview_print_and_save(
    qtbot: Any, worker: Session, main_window: Any, runner: Any, tmp_path: Path
) -> None:
    from PySide6.QtPrintSupport import QPrinter

    case_no = intake(worker, refer_intake(name="郭靖")).case_no
    before = event_count(worker)
    dialog = _printed(qtbot, main_window, runner, case_no, "receipt")
    assert event_count(worker) == before  # a preview takes no number and records nothing
    assert dialog.pdf.startswith(b"%PDF")
    assert "样稿" in dialog.info.text() and dialog.result is None
    kinds = {
        dialog.kinds.item(i).data(Qt.ItemDataRole.UserRole): dialog.kinds.item(i) for i in range(dialog.kinds.count())
    }
    assert kinds["receipt"].flags() & Qt.ItemFlag.ItemIsEnabled
    assert kinds["referral"].flags() & Qt.ItemFlag.ItemIsEnabled  # a refer case gets a referral slip
    assert not kinds["refusal"].flags() & Qt.ItemFlag.ItemIsEnabled
    assert "不适用" in kinds["refusal"].toolTip()
    dialog.save_to(tmp_path / "回执")
    assert not dialog.kinds.isEnabled()  # the paper cannot change while its copy is being made
    dialog.save_to(tmp_path / "again")  # a second click meanwhile does nothing
    qtbot.waitUntil(lambda: (tmp_path / "回执.pdf").exists(), timeout=10000)
    assert dialog.kinds.isEnabled() and not (tmp_path / "again.pdf").exists()
    assert event_count(worker) == before + 1  # saving the paper numbers and records it
    assert (tmp_path / "回执.pdf").read_bytes() == dialog.pdf
    assert dialog.result.paper_no in dialog.info.text() and "样稿" not in dialog.info.text()
    first_no = dialog.result.paper_no
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    dialog.print_to(printer)
    qtbot.waitUntil(lambda: (tmp_path / "printed.pdf").exists(), timeout=10000)
    assert (tmp_path / "printed.pdf").stat().st_size > 1000
    assert event_count(worker) == before + 2  # printing again is a recorded reprint
    assert dialog.result.reprint == 1 and dialog.result.paper_no == first_no
    assert "补打" in dialog.info.text() and "已发送到打印机" in dialog.info.text()
    dialog.kinds.setCurrentItem(kinds["referral"])
    qtbot.waitUntil(lambda: dialog.preview.kind == "referral", timeout=10000)
    assert "转办告知单" in dialog.info.text()


def test_intake_offers_receipt_and_referral(qtbot: Any, worker: Session, main_window: Any) -> None:
    from tests.ui.test_intake import type_intake

    main = main_window
    main.go("intake")
    type_intake(qtbot, main, "黄蓉")
    main.intake.save()
    qtbot.waitUntil(lambda: not main.intake.saving)  # saved on the runner's writer
    assert main.intake.referral_button.isVisibleTo(main)  # 2024-06..2024-12 with tax: a referral
    with qtbot.waitSignal(main.intake.print_requested) as asked:
        main.intake.receipt_button.click()
    assert asked.args == [main.intake.last_saved.case_no, "receipt"]


def test_verify_a_scanned_paper(qtbot: Any, worker: Session, main_window: Any, runner: Any, tmp_path: Path) -> None:
    from ui.verify_dialog import VerifyDialog

    case_no = intake(worker, refer_intake(name="洪七公")).case_no
    dialog = _printed(qtbot, main_window, runner, case_no, "receipt")
    draft = dialog.preview.payload
    dialog.save_to(tmp_path / "receipt.pdf")
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=10000)
    payload = dialog.result.payload
    verify = VerifyDialog(worker)
    qtbot.addWidget(verify)
    qtbot.keyClicks(verify.payload, payload)  # a hand scanner types it, then Enter
    qtbot.keyClick(verify.payload, Qt.Key.Key_Return)
    assert verify.verdict.text().startswith("✔")
    assert dialog.result.paper_no in verify.details.text()
    verify.payload.setText(draft)  # the on-screen draft is unsigned: it never verifies
    verify.verify()
    assert verify.verdict.text().startswith("✘")
    tampered = payload[:-6] + ("A" if payload[-6] != "A" else "B") + payload[-5:]
    verify.payload.setText(tampered)
    verify.verify()
    assert verify.verdict.text().startswith("✘")


def test_ctrl_p_prints_the_open_case(qtbot: Any, worker: Session, main_window: Any, runner: Any) -> None:
    from ui.print_dialog import CasePrintDialog

    case_no = intake(worker, refer_intake(name="柯镇恶")).case_no
    main_window.open_case(case_no)
    qtbot.keyClick(main_window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    dialog = next(d for d in main_window.findChildren(CasePrintDialog) if d.isVisible())
    qtbot.addWidget(dialog)
    settle(qtbot, runner)
    assert dialog.case_no == case_no
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    assert dialog.preview.kind == "receipt"  # the first paper that fits


@pytest.mark.qt_log_ignore("QPainter::begin")
def test_a_printer_that_fails_after_numbering_says_the_number_is_taken(
    qtbot: Any, worker: Session, main_window: Any, runner: Any, tmp_path: Path
) -> None:
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QMessageBox

    case_no = intake(worker, refer_intake(name="梅超风")).case_no
    dialog = _printed(qtbot, main_window, runner, case_no, "receipt")
    before = event_count(worker)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "no-such-folder" / "out.pdf"))  # the device refuses to start
    dialog.print_to(printer)
    qtbot.waitUntil(lambda: dialog.result is not None and not dialog.finalizing, timeout=10000)
    settle(qtbot, runner)
    assert event_count(worker) == before + 1
    assert f"文书编号 {dialog.result.paper_no} 已登记" in dialog.info.text() and "补打" in dialog.info.text()
    boxes = [b for b in dialog.findChildren(QMessageBox) if b.isVisible()]
    assert boxes and "打印机" in boxes[0].text()
    assert dialog.printed_to == ""
