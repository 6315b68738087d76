"""Idle auto-lock hides every screen and dialog with personal data until the password is typed."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QTableView

from station_app.services.case_service import intake
from station_app.services.session import Session
from tests.factories import joint_intake
from tests.ui.conftest import PASSWORD, commit_text, settle


def visible_texts(window: Any) -> str:
    """Every text a person could read on the window's visible widgets (labels, fields, table cells)."""
    parts: list[str] = []
    for label in window.findChildren(QLabel):
        if label.isVisible():
            parts.append(label.text())
    for line in window.findChildren(QLineEdit):
        if line.isVisible():
            parts.append(line.text())
    for table in window.findChildren(QTableView):
        model = table.model()
        if table.isVisible() and model is not None:
            for r in range(model.rowCount()):
                for c in range(model.columnCount()):
                    parts.append(str(model.data(model.index(r, c)) or ""))
    return "\n".join(parts)


def test_idle_lock_hides_the_data_and_needs_the_password(
    qtbot: Any, worker: Session, main_window: Any, runner: Any
) -> None:
    data = joint_intake(name="黄药师")
    case_no = intake(worker, data).case_no
    main = main_window
    main.go("cases")
    settle(qtbot, runner)
    main.open_case(case_no)
    assert "黄药师" in visible_texts(main)
    main.go("intake")
    commit_text(main.intake.form.applicant_name, "梅超风")
    dialog = main.print_case(case_no, "receipt")
    settle(qtbot, runner)
    assert dialog.isVisible()
    main.idle.set_minutes(0.002)  # about 0.1 s without input
    qtbot.waitUntil(lambda: main.locked, timeout=5000)
    assert not dialog.isVisible()
    texts = visible_texts(main)
    for secret in ("黄药师", "梅超风", data["applicant"]["phone"], data["applicant"]["id_number"]):
        assert secret not in texts
    assert not any(
        w.isVisible()
        for w in QApplication.topLevelWidgets()
        if w is not main and w.isWindow() and type(w).__name__.endswith("Dialog")
    )
    assert "空闲超过" in main.lock_view.reason.text()
    main.go("cases")  # navigation is refused while locked
    assert main.locked
    lock = main.lock_view
    qtbot.keyClicks(lock.password, "wrong-password")
    lock.unlock_button.click()
    qtbot.waitUntil(lambda: lock.error.isVisibleTo(lock), timeout=5000)
    assert main.locked
    qtbot.keyClicks(lock.password, PASSWORD)
    lock.unlock_button.click()
    qtbot.waitUntil(lambda: not main.locked, timeout=5000)
    assert main.intake.form.applicant_name.text() == "梅超风"  # the form is still there after unlocking


def test_ctrl_l_locks_and_switch_user_logs_out(qtbot: Any, worker: Session, main_window: Any) -> None:
    from PySide6.QtCore import Qt

    main = main_window
    qtbot.keyClick(main, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert main.locked
    with qtbot.waitSignal(main.logged_out):
        main.lock_view.logout_requested.emit()
