"""A day at the desk through the real window: deadlines that say who owes what, the approval
queue, actions that refuse before the worker writes, filters, shortcuts, one running window."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QMessageBox

from station_app.clock import FixedClock
from station_app.domain.lifecycle import ACTIONS
from station_app.services.case_service import intake, perform
from station_app.services.query_service import CaseQuery, list_cases
from station_app.services.session import Session
from tests.factories import joint_intake, not_accepted_intake, refer_intake
from tests.ui.conftest import PASSWORD, WORKER, commit_text, settle


def _routed_joint(session: Session, name: str = "周芷若") -> str:
    case_no = intake(session, joint_intake(name=name)).case_no
    perform(session, case_no, "route", {})
    return case_no


def _login(qtbot: Any, desk: Any) -> Any:
    view = desk.login_view
    view.password.clear()
    qtbot.keyClicks(view.password, PASSWORD)
    qtbot.keyClick(view.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.main is not None, timeout=10000)
    qtbot.addWidget(desk.main)
    return desk.main


def test_main_window_opens_maximised_after_login_and_user_switch(
    qtbot: Any, desk_station: Session, data_dir: Path, clock: FixedClock
) -> None:
    from ui.app import DeskApp

    desk = DeskApp(data_dir, WORKER, clock=clock)
    qtbot.addWidget(desk.start())
    main = _login(qtbot, desk)
    assert main.windowState() & Qt.WindowState.WindowMaximized
    assert "王丽" in main.statusBar().findChildren(type(main.busy_label))[1].text()  # display name, not "wangli"
    main._on_logout_clicked()  # switch user: the login window again, then a new main window
    qtbot.waitUntil(lambda: desk.main is None and desk.login_view is not None)
    qtbot.addWidget(desk.login_view)
    main = _login(qtbot, desk)
    assert main.windowState() & Qt.WindowState.WindowMaximized
    main.showMinimized()
    desk.bring_forward()  # what a second launch asks for
    assert main.windowState() & Qt.WindowState.WindowMaximized
    desk.shutdown()


def test_failed_login_says_how_long_the_lockout_lasts_and_who_unlocks(
    qtbot: Any, desk_station: Session, data_dir: Path, clock: FixedClock
) -> None:
    from ui.app import DeskApp

    desk = DeskApp(data_dir, WORKER, clock=clock)
    qtbot.addWidget(desk.start())
    view = desk.login_view
    assert not view.lockout_hint.isVisibleTo(view)
    qtbot.keyClicks(view.password, "wrong-password")
    qtbot.keyClick(view.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.login_button.isEnabled(), timeout=10000)
    hint = view.lockout_hint.text()
    assert view.lockout_hint.isVisibleTo(view)
    assert "5次" in hint and "15分钟" in hint and "站长或管理员" in hint
    desk.shutdown()


def test_second_launch_brings_the_running_window_forward(qtbot: Any, tmp_path: Path) -> None:
    from ui.single_instance import SingleInstance

    first = SingleInstance(tmp_path)
    assert first.claim()
    second = SingleInstance(tmp_path)
    with qtbot.waitSignal(first.raise_requested, timeout=5000):
        assert not second.claim()  # it asked the running one to come forward instead
    other = SingleInstance(tmp_path / "other")  # another data folder is another app
    assert other.claim()
    for instance in (first, second, other):
        instance.close()


def test_clear_filters_button_really_clears(qtbot: Any, worker: Session, main_window: Any, runner: Any) -> None:
    intake(worker, refer_intake(name="王五"))
    intake(worker, joint_intake(name="赵六"))
    main = main_window
    main.go("cases")
    cases = main.cases
    cases.status.setCurrentIndex(cases.status.findData("withdrawn"))
    cases.overdue.setChecked(True)
    qtbot.keyClicks(cases.search, "zzz")
    settle(qtbot, runner, 300)
    assert cases.model.rowCount() == 0
    qtbot.mouseClick(cases.clear_button, Qt.MouseButton.LeftButton)
    settle(qtbot, runner, 100)
    assert cases.search.text() == "" and cases.status.currentIndex() == 0 and not cases.overdue.isChecked()
    assert cases.model.rowCount() == 2


def test_deadlines_say_what_is_due_and_who_owes_it(
    qtbot: Any, worker: Session, main_window: Any, runner: Any, clock: FixedClock
) -> None:
    case_no = _routed_joint(worker)
    perform(worker, case_no, "opinion", {"dept": "tax", "text": "已核查。"})
    clock.advance(days=14)  # hrss's opinion is past its own due date now
    main = main_window
    main.open_case(case_no)
    detail = main.detail
    line = detail.status_line.text()
    assert "当前待办:部门书面意见(承办部门)" in line
    rows = {detail.departments.row_texts(i)[0]: detail.departments.row_texts(i) for i in range(2)}
    hrss = rows["人社局(协办)"]
    assert hrss[2].startswith("2025-") and "逾期" in hrss[2]
    assert "逾期" not in rows["税务局(牵头)"][2]
    assert (
        detail.departments.data(
            detail.departments.index(list(rows).index("人社局(协办)"), 0), Qt.ItemDataRole.ForegroundRole
        )
        is not None
    )  # the late row is marked red
    main.go("dashboard")
    main.dashboard.reload()
    settle(qtbot, runner, 100)
    late = main.dashboard.late_label
    assert late.isVisibleTo(main.dashboard)
    assert "人社局 1件" in late.text() and "税务局" not in late.text()


def test_head_has_an_approval_queue_and_the_worker_sees_the_case_waits(
    qtbot: Any, worker: Session, head: Session, main_window: Any, runner: Any
) -> None:
    from ui.main_window import MainWindow

    case_no = _routed_joint(worker)
    main = main_window
    assert "approval" not in main.dashboard.tiles  # a worker does not approve
    main.open_case(case_no)
    dialog = main.detail.start_action("escalate")
    qtbot.addWidget(dialog)
    commit_text(dialog.inputs["reason"], "涉及破产企业职工集体欠费。")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)  # the action runs off the GUI thread
    assert main.detail.detail.summary.status.value == "escalated"
    assert "等待领导小组审批" in main.detail.status_line.text()
    head_main = MainWindow(head, runner)
    qtbot.addWidget(head_main)
    head_main.show()
    settle(qtbot, runner, 100)
    assert head_main.dashboard.counts["approval"].text().startswith("1")
    qtbot.mouseClick(head_main.dashboard.tiles["approval"], Qt.MouseButton.LeftButton)
    settle(qtbot, runner, 100)
    assert head_main.current_page() == "cases"
    assert head_main.cases.status.currentData() == "escalated"
    assert head_main.cases.model.rowCount() == 1
    assert head_main.cases.model.case_at(0).case_no == case_no
    head_main.idle.detach()


def test_reply_is_disabled_with_the_reason_while_opinions_are_missing(
    qtbot: Any, worker: Session, main_window: Any
) -> None:
    case_no = _routed_joint(worker)
    perform(worker, case_no, "opinion", {"dept": "tax", "text": "已核查。"})
    main = main_window
    main.open_case(case_no)
    detail = main.detail
    reply = detail.action_buttons["reply"]
    assert not reply.isEnabled()
    assert "尚缺以下部门的书面意见:漠河市人力资源和社会保障局" in reply.toolTip()
    assert "书面答复" in detail.blocked_label.text() and detail.blocked_label.isVisibleTo(detail)
    assert detail.detail.why_not("reply") == reply.toolTip()  # the reason comes from the service
    perform(worker, case_no, "opinion", {"dept": "hrss", "text": "同意税务局意见。"})
    detail.reload()
    assert detail.action_buttons["reply"].isEnabled()


def test_every_case_action_has_its_own_shortcut(qtbot: Any, worker: Session, main_window: Any) -> None:
    from ui.case_detail_view import ACTION_KEYS

    assert set(ACTION_KEYS) == set(ACTIONS)
    assert len(set(ACTION_KEYS.values())) == len(ACTION_KEYS)
    case_no = intake(worker, joint_intake()).case_no
    main = main_window
    main.open_case(case_no)
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main)
    assert main.detail.action_buttons["route"].text() == "确认分流(Alt+R)"
    main.detail.action_buttons["route"].setFocus()
    qtbot.keyClick(main.detail.action_buttons["route"], Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    dialog = next(w for w in QApplication.topLevelWidgets() if w.isVisible() and hasattr(w, "action"))
    qtbot.addWidget(dialog)
    assert dialog.action == "route"
    # 确认分流 shows what it confirms: the proposed lead and co-handlers
    proposal = dialog.inputs["proposal"].text()
    assert "牵头部门:国家税务总局漠河市税务局" in proposal and "协办部门:漠河市人力资源和社会保障局" in proposal
    dialog.reject()


def test_dialogs_never_prechoose_a_department_or_a_satisfaction(qtbot: Any, worker: Session, main_window: Any) -> None:
    case_no = _routed_joint(worker)
    main = main_window
    main.open_case(case_no)
    dialog = main.detail.start_action("sign")
    qtbot.addWidget(dialog)
    combo = dialog.inputs["dept"]
    assert isinstance(combo, QComboBox) and combo.currentData() is None and combo.currentText() == "请选择"
    dialog.ok_button.click()  # nothing chosen: the service names the field, nothing is stored
    qtbot.waitUntil(lambda: not dialog.busy)  # the action runs off the GUI thread
    assert dialog.isVisible() and dialog.errors["dept"].text()
    assert main.detail.detail.departments[0].signed_at is None
    dialog.reject()
    refer_no = intake(worker, refer_intake(name="钱七")).case_no
    perform(worker, refer_no, "route", {})
    main.open_case(refer_no)
    dialog = main.detail.start_action("confirm")
    qtbot.addWidget(dialog)
    assert dialog.inputs["satisfaction"].currentData() is None
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)  # the action runs off the GUI thread
    assert dialog.isVisible() and dialog.errors["satisfaction"].text()
    dialog.reject()


def test_sorting_by_deadline_puts_open_cases_first(qtbot: Any, worker: Session, main_window: Any, runner: Any) -> None:
    from ui.case_table_model import COLUMN_INDEX

    closed = intake(worker, refer_intake(name="孙八")).case_no
    perform(worker, closed, "close_on_spot", {"text": "当场答复。"})
    perform(worker, closed, "archive", {})
    open_nos = {intake(worker, joint_intake(name=n)).case_no for n in ("周一", "吴二")}
    for descending in (False, True):
        rows = list_cases(worker, CaseQuery(order_by="due_date", descending=descending))
        assert {r.case_no for r in rows[:2]} == open_nos and rows[-1].case_no == closed
    main = main_window
    main.go("cases")
    settle(qtbot, runner, 100)
    header = main.cases.table.horizontalHeader()
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        header.setSortIndicator(COLUMN_INDEX["due"], order)
        settle(qtbot, runner, 100)
        assert main.cases.model.case_at(2).case_no == closed


def test_a_case_not_accepted_offers_the_refusal_notice(
    qtbot: Any, worker: Session, main_window: Any, runner: Any
) -> None:
    main = main_window
    main.go("intake")
    main.intake.form.load_data(not_accepted_intake(name="李四"))
    main.intake.save()
    qtbot.waitUntil(lambda: not main.intake.saving)  # saved on the runner's writer
    assert main.intake.last_saved is not None
    button = main.intake.receipt_button
    assert button.text() == "打印不予受理告知书" and not main.intake.referral_button.isVisibleTo(main.intake)
    dialog = None
    main.intake.print_requested.connect(lambda case_no, kind: setattr(main, "_asked", kind))
    button.click()
    assert main._asked == "refusal"
    settle(qtbot, runner, 200)
    dialog = next(w for w in QApplication.topLevelWidgets() if w.isVisible() and hasattr(w, "kinds"))
    qtbot.addWidget(dialog)
    item = dialog.kinds.currentItem()
    assert item.data(Qt.ItemDataRole.UserRole) == "refusal"
    receipt = next(
        dialog.kinds.item(i)
        for i in range(dialog.kinds.count())
        if dialog.kinds.item(i).data(Qt.ItemDataRole.UserRole) == "receipt"
    )
    assert "refusal" not in receipt.toolTip() and not any(c.isascii() and c.isalpha() for c in receipt.toolTip())
    dialog.reject()
    settle(qtbot, runner, 100)


def test_clear_form_asks_first(qtbot: Any, main_window: Any) -> None:
    main = main_window
    main.go("intake")
    form = main.intake.form
    commit_text(form.summary, "要求补缴养老保险。")
    main.intake.clear_button.click()
    box = main.intake.clear_question
    assert box.isVisible() and not form.is_blank()
    cancel = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole)
    cancel.click()
    assert not form.is_blank()
    main.intake.clear_button.click()
    box = main.intake.clear_question
    clear = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    clear.click()
    assert form.is_blank()


def test_esc_goes_back_and_verify_is_on_the_main_menu(qtbot: Any, worker: Session, main_window: Any) -> None:
    case_no = intake(worker, joint_intake()).case_no
    main = main_window
    main.go("cases")
    main.open_case(case_no)
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main)
    qtbot.keyClick(main.detail.back_button, Qt.Key.Key_Escape)
    assert main.current_page() == "cases"
    qtbot.keyClick(main.cases.table, Qt.Key.Key_Escape)
    assert main.current_page() == "dashboard"
    verify = main.menu_actions["verify"]
    assert verify.text() == "核验文书" and verify in main.menuBar().actions()[0].menu().actions()
    verify.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if w.isVisible() and type(w).__name__ == "VerifyDialog")
    qtbot.addWidget(dialog)
    dialog.reject()


def test_timeline_and_handler_show_display_names(qtbot: Any, worker: Session, main_window: Any) -> None:
    case_no = intake(worker, joint_intake()).case_no
    main = main_window
    main.open_case(case_no)
    assert main.detail.summary.values["handler"].text() == "王丽"
    assert main.detail.timeline.row_texts(0)[1] == "王丽"
    main.lock()
    assert not main.menu_actions["print"].isEnabled() and not main.menu_actions["verify"].isEnabled()
    assert "王丽" in "".join(label.text() for label in main.lock_view.findChildren(type(main.busy_label)))


def test_the_timeline_names_choices_in_chinese(qtbot: Any, worker: Session, main_window: Any) -> None:
    """The payer's satisfaction and the objection route read as the worker chose them, not as codes."""
    case_no = intake(worker, refer_intake(name="郑三")).case_no
    perform(worker, case_no, "route", {})
    perform(worker, case_no, "confirm", {"satisfaction": "basic"})
    joint = _routed_joint(worker, "吴二")
    for dept in ("tax", "hrss"):
        perform(worker, joint, "opinion", {"dept": dept, "text": "书面意见。"})
    perform(worker, joint, "reply", {"text": "答复。"})
    perform(worker, joint, "deliver", {"party": "applicant", "method": "mail", "date": "2025-11-20"})
    perform(worker, joint, "objection", {"route": "reconsideration", "text": "不服。"})
    main = main_window
    notes = []
    for no in (case_no, joint):
        main.open_case(no)
        timeline = main.detail.timeline
        notes += [timeline.row_texts(row)[3] for row in range(timeline.rowCount())]
    assert any("基本满意" in note for note in notes) and any("行政复议" in note for note in notes)
    assert not any(re.search(r"[A-Za-z]{3,}", note) for note in notes), notes


def _fully_visible(widget: Any) -> bool:
    """Shown, not squeezed below its own size, and inside every ancestor's visible area."""
    if not widget.isVisible() or widget.width() < widget.minimumSizeHint().width():
        return False
    region = widget.visibleRegion().boundingRect()
    return region.width() >= widget.width() - 1 and region.height() >= widget.height() - 1


@contextmanager
def desk_window(qtbot: Any, session: Session, runner: Any, scale: float = 1.6) -> Iterator[Any]:
    """The desk's main window at 1366x768 in the text size `scale`, shown; closed and the normal
    text size put back after."""
    from ui import theme
    from ui.main_window import MainWindow

    app = QApplication.instance()
    theme.apply_theme(app, scale)
    try:
        main = MainWindow(session, runner)
        qtbot.addWidget(main)
        main.resize(1366, 768)
        main.show()
        yield main
        main.idle.detach()
        main.close()
    finally:
        theme.apply_theme(app, 1.0)


def test_large_text_at_1366_keeps_counts_columns_buttons_and_rows_visible(
    qtbot: Any, worker: Session, runner: Any, tmp_path: Path
) -> None:
    from ui.case_table_model import COLUMN_INDEX

    case_no = _routed_joint(worker)
    perform(worker, case_no, "opinion", {"dept": "tax", "text": "经核查,单位少报缴费基数,已责令补缴。"})
    for scale in (1.0, 1.6):
        with desk_window(qtbot, worker, runner, scale) as main:
            settle(qtbot, runner, 200)
            assert main.width() <= 1366 and main.height() <= 768  # nothing pushes the window past the screen
            for count in main.dashboard.counts.values():
                assert _fully_visible(count) and count.text().endswith("件")
            main.grab().save(str(tmp_path / f"dashboard-{scale}.png"))
            main.go("cases")
            settle(qtbot, runner, 200)
            for table in (main.dashboard.table, main.cases.table):
                for key in ("due", "status"):  # the deadline and the status are on screen without scrolling
                    x = table.columnViewportPosition(COLUMN_INDEX[key])
                    assert x >= 0 and x + table.columnWidth(COLUMN_INDEX[key]) <= table.viewport().width(), key
            main.open_case(case_no)
            settle(qtbot, runner, 200)
            detail = main.detail
            for button in (
                *detail.action_buttons.values(),
                detail.summary.id_number.button,
                detail.summary.phone.button,
            ):
                assert _fully_visible(button), button.text()
            dept = detail.departments_table
            rows = sum(dept.rowHeight(i) for i in range(detail.departments.rowCount()))
            assert dept.viewport().height() >= rows  # every department row, whole (the page scrolls)
            main.grab().save(str(tmp_path / f"detail-{scale}.png"))
    assert len(list(tmp_path.glob("*.png"))) == 4


def test_a_long_timeline_note_wraps_in_large_text_instead_of_being_cut(
    qtbot: Any, worker: Session, runner: Any
) -> None:
    case_no = _routed_joint(worker)
    note = "缴费人对答复有异议,已电话告知可向漠河市司法局申请行政复议业务指导,并约定三个工作日内回访。"
    perform(worker, case_no, "withdraw", {"reason": note})
    with desk_window(qtbot, worker, runner) as main:
        main.open_case(case_no)
        settle(qtbot, runner, 200)
        table, model = main.detail.timeline_table, main.detail.timeline
        row = next(r for r in range(model.rowCount()) if "司法局" in model.row_texts(r)[3])
        metrics = table.fontMetrics()
        assert table.columnWidth(3) < metrics.horizontalAdvance(model.row_texts(row)[3])  # too long for one line
        assert table.rowHeight(row) >= 2 * metrics.height()  # so the row grows: every character on screen


def test_text_size_is_each_users_own(worker: Session, head: Session) -> None:
    from station_app.services.user_service import font_scale, set_font_scale

    set_font_scale(worker, 1.6)
    assert font_scale(worker) == 1.6
    assert font_scale(head) == 1.0  # the head keeps the station's size
    assert worker.setting("font_scale") == 1.0


def test_stats_and_dashboard_count_overdue_alike(worker: Session, clock: FixedClock) -> None:
    from datetime import date

    from station_app.services.queue_service import desk_overview
    from station_app.services.stats_service import compute_stats

    for name in ("甲一", "乙二", "丙三"):
        _routed_joint(worker, name)
    clock.advance(days=20)
    overview = desk_overview(worker)
    stats = compute_stats(worker, date(2025, 1, 1), worker.today())
    assert overview.count("overdue") == stats.overdue_open == 3


def test_excel_cells_are_numbers(worker: Session, tmp_path: Path) -> None:
    from datetime import date

    from openpyxl import load_workbook

    from station_app.services.stats_service import compute_stats
    from station_app.services.stats_workbook import write_stats_workbook

    _routed_joint(worker)
    path = tmp_path / "stats.xlsx"
    write_stats_workbook(compute_stats(worker, date(2025, 1, 1), worker.today()), path)
    book = load_workbook(path)
    summary = {row[0].value: row[1] for row in book.worksheets[0].iter_rows()}
    total = summary["受理总数"]
    assert total.value == 1 and isinstance(total.value, int)
    for sheet in book.worksheets[1:]:
        if sheet.title.startswith("绩效考评-"):
            continue  # text columns (a department's role) and rates: checked below
        for row in sheet.iter_rows(min_row=2):
            assert all(isinstance(cell.value, int) for cell in row[1:]), sheet.title
    performance = compute_stats(worker, date(2025, 1, 1), worker.today()).performance
    assert performance is not None
    for view in performance.views():
        sheet = book["绩效考评-" + view.title]
        for row in sheet.iter_rows(min_row=2):
            for cell, column in zip(row, view.columns):
                if column.kind == "count":
                    assert isinstance(cell.value, int), (sheet.title, column.label)
                elif column.kind == "rate":
                    # a number shown as a percentage (0.0 reads back as the number 0), or empty
                    assert cell.value is None or isinstance(cell.value, int | float), (sheet.title, column.label)
                    assert cell.number_format == "0.0%"
