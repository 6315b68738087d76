"""Statistics (charts, Excel, monthly PDF), settings by role, users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QDate

from station_app.errors import PermissionDenied, ValidationError
from station_app.services.case_service import intake
from station_app.services.session import Session
from station_app.services.settings_service import set_setting
from tests.conftest import event_count
from tests.factories import joint_intake, refer_intake
from tests.ui.conftest import settle


def test_statistics_screen_charts_and_exports(
    qtbot: Any, worker: Session, main_window: Any, runner: Any, tmp_path: Path
) -> None:
    intake(worker, refer_intake(name="一灯"))
    intake(worker, joint_intake(name="瑛姑"))
    main = main_window
    main.go("stats")
    stats = main.stats
    stats.date_from.setDate(QDate(2025, 11, 1))
    stats.date_to.setDate(QDate(2025, 11, 30))
    stats.reload()
    settle(qtbot, runner)
    assert stats.stats.total == 2
    assert any("受理总数" in label.text() and "2" in label.text() for label in stats.figure_labels.values())
    by_track = stats.charts[3]
    assert dict(by_track.rows)["告知转办"] == 1 and dict(by_track.rows)["一般事项(联办)"] == 1
    assert by_track.grab().width() > 0
    stats.export_to(tmp_path / "统计")
    settle(qtbot, runner)  # written off the GUI thread
    book = load_workbook(tmp_path / "统计.xlsx")
    assert book.sheetnames == [
        "汇总",
        "按争议类别",
        "按镇",
        "按部门",
        "按办理方式",
        "按状态",
        "部门履职和责任追究",
        "绩效考评-按调解站",
        "绩效考评-按部门(牵头、协办)",
        "绩效考评-按工作人员",
    ]
    assert book["汇总"]["B2"].value == 2  # a number a spreadsheet can add, not the text "2"
    before = event_count(stats.session)
    dialog = stats.open_report("2025-11")
    qtbot.addWidget(dialog)
    settle(qtbot, runner)
    qtbot.waitUntil(lambda: dialog.document.pageCount() > 0, timeout=10000)
    assert dialog.pdf.startswith(b"%PDF")
    assert "样稿" in dialog.info.text() and event_count(stats.session) == before  # looking records nothing
    dialog.save_to(tmp_path / "月报")
    qtbot.waitUntil(lambda: (tmp_path / "月报.pdf").exists(), timeout=10000)
    assert event_count(stats.session) == before + 1 and dialog.result.paper_no in dialog.info.text()


def test_the_report_of_the_chosen_period_prints_from_the_statistics_screen(
    qtbot: Any, worker: Session, main_window: Any, runner: Any, tmp_path: Path
) -> None:
    """五(四): the figures of any period, printable, beside the monthly report."""
    from tests.documents.conftest import pdf_text

    intake(worker, refer_intake(name="一灯"))
    main_window.go("stats")
    stats = main_window.stats
    stats.date_from.setDate(QDate(2025, 11, 30))
    stats.date_to.setDate(QDate(2025, 11, 1))
    assert stats.open_period_report() is None  # runs backwards: refused, nothing opens
    stats.date_to.setDate(QDate(2025, 12, 15))
    before = event_count(worker)
    stats.period_report_button.click()
    dialog = next(w for w in stats.findChildren(object) if type(w).__name__ == "ReportPrintDialog")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.document.pageCount() > 0, timeout=10000)
    assert dialog.windowTitle() == "统计报表 2025-11-30 至 2025-12-15"
    draft = pdf_text(dialog.pdf)
    assert "统计报表" in draft and "统计月报" not in draft and "2025年11月30日至2025年12月15日" in draft
    assert event_count(worker) == before  # the draft records nothing
    dialog.save_to(tmp_path / "报表")
    qtbot.waitUntil(lambda: (tmp_path / "报表.pdf").exists(), timeout=10000)
    assert event_count(worker) == before + 1


def test_settings_are_changed_through_events_by_role(
    qtbot: Any, desk_station: Session, worker: Session, runner: Any
) -> None:
    from ui.settings_view import SettingsView

    admin = desk_station
    view = SettingsView(admin, runner)
    qtbot.addWidget(view)
    before = event_count(admin)
    view.editors["opinion_days"].setValue(7)
    view.editors["idle_lock_minutes"].setValue(3)
    with qtbot.waitSignal(view.settings_changed) as changed:
        view._on_rules_save_clicked()
    assert changed.args[0] == {"opinion_days", "idle_lock_minutes"}
    assert admin.setting("opinion_days") == 7
    assert event_count(admin) == before + 2
    worker_view = SettingsView(worker, runner)
    qtbot.addWidget(worker_view)
    assert not worker_view.can_edit and worker_view.users is None
    assert not worker_view.editors["opinion_days"].isEnabled()
    assert worker_view.tabs.tabText(worker_view.tabs.count() - 1) == "我的账户"
    with pytest.raises(PermissionDenied):
        set_setting(worker, "opinion_days", 9)
    with pytest.raises(ValidationError) as refused:
        set_setting(admin, "opinion_days", 0)
    assert refused.value.fields == {"opinion_days": "部门书面意见时限(工作日)不能小于1"}
    set_setting(admin, "lockout_max_failures", 3)
    assert admin.store.keystore.lockout.max_failures == 3  # mirrored where login can read it


def test_department_contacts_and_large_text(qtbot: Any, desk_station: Session, runner: Any) -> None:
    from ui import theme
    from ui.main_window import MainWindow

    main = MainWindow(desk_station, runner)
    qtbot.addWidget(main)
    view = main.settings
    assert view.users is not None  # an admin sees the users tab
    view.contacts.item(0, 1).setText("0457-2829999")
    view._on_contacts_save_clicked()
    qtbot.waitUntil(lambda: not view.saving)  # saved on the runner's writer
    assert desk_station.setting("department_contacts")["tax"]["phone"] == "0457-2829999"
    view.font_scale.setCurrentIndex(1)
    view._on_font_scale_activated()
    qtbot.waitUntil(view.font_scale.isEnabled)  # stored on the runner's writer
    from station_app.services.user_service import font_scale

    assert font_scale(desk_station) == 1.3  # the admin's own choice ...
    assert desk_station.setting("font_scale") == 1.0  # ... not the station's
    assert theme.current_scale() == 1.3
    view.font_scale.setCurrentIndex(0)
    view._on_font_scale_activated()
    qtbot.waitUntil(view.font_scale.isEnabled)
    assert theme.current_scale() == 1.0
    main.idle.detach()


def test_users_add_and_head_unlocks(
    qtbot: Any, desk_station: Session, head: Session, data_dir: Path, clock: Any, runner: Any
) -> None:
    from station_app.errors import AuthError
    from station_app.services.session import login
    from ui.users_view import UserDialog, UsersView

    users = UsersView(desk_station, runner)
    qtbot.addWidget(users)
    assert users.model.rowCount() == 3
    dialog = UserDialog(desk_station, "add", runner)
    qtbot.addWidget(dialog)
    dialog.user_name.setText("liqiang")
    dialog.display.setText("李强")
    dialog.password.setText("short")
    dialog.password2.setText("short")
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog.busy)  # stored on the runner's writer
    assert dialog.errors["password"].text() == "密码至少8位"
    dialog.password.setText("new-pass-123")
    dialog.password2.setText("new-pass-123")
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog.busy)  # stored on the runner's writer
    assert dialog.result() == dialog.DialogCode.Accepted
    users.refresh()
    assert users.model.rowCount() == 4
    for _ in range(5):
        with pytest.raises(AuthError):
            login(data_dir, "liqiang", "wrong-password", clock)
    head_users = UsersView(head, runner)
    qtbot.addWidget(head_users)
    row = next(r for r in range(head_users.model.rowCount()) if head_users.model.key_at(r) == "liqiang")
    assert head_users.model.row_texts(row)[3]  # locked until ...
    head_users.table.selectRow(row)
    head_users._on_unlock_clicked()
    qtbot.waitUntil(lambda: not head_users.busy)
    assert head_users.model.row_texts(row)[3] == ""
    login(data_dir, "liqiang", "new-pass-123", clock).close()
