"""五(三) and 五(四) on screen: the print dialog asks for the receiver and shows the approval;
the settings show which department contacts are samples; the statistics show incidents."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate

from station_app.services.case_service import intake, perform
from station_app.services.session import Session
from tests.conftest import event_count
from tests.documents.conftest import pdf_text
from tests.factories import joint_intake
from tests.ui.conftest import settle


def _joint(session: Session) -> str:
    no = intake(session, joint_intake(name="郭靖")).case_no
    perform(session, no, "route", {})
    return no


def _dialog(qtbot: Any, session: Session, runner: Any, case_no: str, kind: str) -> Any:
    from ui.print_dialog import CasePrintDialog

    dialog = CasePrintDialog(session, runner, case_no, kind)
    qtbot.addWidget(dialog)
    settle(qtbot, runner)
    qtbot.waitUntil(lambda: dialog.document.pageCount() > 0, timeout=10000)
    return dialog


def test_print_dialog_asks_for_the_receiver_and_needs_an_approval(
    qtbot: Any, worker: Session, head: Session, runner: Any
) -> None:
    """五(三): 对外...提供信息,要严格按照规定和程序报批. For a 交办单 the worker picks the receiver; a
    department without approval may be previewed but not printed or saved, and the worker has
    no approve button; a head approves in the dialog, and the copy then names the receiver."""
    no = _joint(worker)
    dialog = _dialog(qtbot, worker, runner, no, "assignment")
    codes = [dialog.recipients.itemData(i) for i in range(dialog.recipients.count())]
    assert codes == ["station", "tax", "hrss"] and dialog.recipients.isEnabled()
    assert dialog.print_button.isEnabled()  # 本站留存 needs no approval
    dialog.recipients.setCurrentIndex(1)
    settle(qtbot, runner)
    qtbot.waitUntil(lambda: "尚未报批" in pdf_text(dialog.pdf), timeout=10000)
    assert not dialog.print_button.isEnabled() and not dialog.save_button.isEnabled()
    assert "尚未报批" in dialog.recipient_state.text() and dialog.approve_button.isHidden()
    dialog.approve("交办出具书面意见")  # the service refuses a worker
    assert "站长" in dialog.error.text()

    before = event_count(head)
    chief = _dialog(qtbot, head, runner, no, "assignment")
    chief.recipients.setCurrentIndex(1)
    settle(qtbot, runner)
    assert not chief.approve_button.isHidden()
    chief.approve("交办出具书面意见")
    settle(qtbot, runner)
    assert event_count(head) == before + 1
    assert "已报批" in chief.recipient_state.text() and "交办出具书面意见" in chief.recipient_state.text()
    qtbot.waitUntil(lambda: chief.print_button.isEnabled(), timeout=10000)
    assert "报批同意" in pdf_text(chief.pdf)


def test_receipt_has_no_receiver_choice(qtbot: Any, worker: Session, runner: Any) -> None:
    """五(三): a citizen paper goes to the payer, masked; there is nothing to choose."""
    no = _joint(worker)
    dialog = _dialog(qtbot, worker, runner, no, "receipt")
    assert not dialog.recipients.isEnabled() and dialog.recipients.currentData() is None
    assert dialog.print_button.isEnabled()


def test_settings_mark_sample_contacts_and_an_admin_confirms(
    qtbot: Any, desk_station: Session, head: Session, runner: Any
) -> None:
    """Department contacts are samples until an admin confirms them (an event); a head sees the
    state but has no confirm button."""
    from ui.settings_view import SettingsView

    view = SettingsView(head, runner)
    qtbot.addWidget(view)
    assert view.contacts_state(0).startswith("示例") and not view.confirm_button.isEnabled()
    admin_view = SettingsView(desk_station, runner)
    qtbot.addWidget(admin_view)
    before = event_count(desk_station)
    admin_view.confirm_contacts()
    assert event_count(desk_station) == before + 1
    assert admin_view.contacts_state(0).startswith("已确认")


def test_stats_screen_shows_incidents_per_department(qtbot: Any, head: Session, runner: Any) -> None:
    """五(四): the statistics screen lists each department's figures with its incidents."""
    from ui.stats_view import StatsView

    no = _joint(head)
    perform(head, no, "incident", {"kind": "public_opinion", "dept": "tax", "text": "网上发帖。"})
    view = StatsView(head, runner)
    qtbot.addWidget(view)
    view.date_from.setDate(QDate(2025, 11, 1))
    view.date_to.setDate(QDate(2025, 11, 30))
    view.reload()
    settle(qtbot, runner)
    qtbot.waitUntil(lambda: view.stats is not None, timeout=10000)
    table = view.work_table
    rows = {
        table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    }
    tax = rows["国家税务总局漠河市税务局"]
    assert tax[1] == "1" and tax[6] == "1"  # handles the case; one 引发舆情
    assert any("责任事件" in label.text() and "1" in label.text() for label in view.figure_labels.values())
