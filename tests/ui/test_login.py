"""Login window, lockout, caps-lock hint, first-start setup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from station_app.clock import FixedClock
from station_app.services.session import Session
from station_app.store.keystore import GENERIC_LOGIN_ERROR
from tests.ui.conftest import PASSWORD, WORKER


def _desk(qtbot: Any, data_dir: Path, clock: FixedClock) -> Any:
    from ui.app import DeskApp

    desk = DeskApp(data_dir, WORKER, clock=clock)
    view = desk.start()
    qtbot.addWidget(view)
    return desk


def _try(qtbot: Any, desk: Any, password: str) -> None:
    view = desk.login_view
    view.password.clear()
    qtbot.keyClicks(view.password, password)
    qtbot.keyClick(view.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: desk.main is not None or view.login_button.isEnabled(), timeout=10000)


def test_login_opens_the_main_window(qtbot: Any, desk_station: Session, data_dir: Path, clock: FixedClock) -> None:
    desk = _desk(qtbot, data_dir, clock)
    view = desk.login_view
    assert view.user_box.currentText() == WORKER
    assert [view.user_box.itemText(i) for i in range(view.user_box.count())] == ["admin", WORKER, "zhaogang"]
    assert desk_station.station_name in view.station_label.text()
    _try(qtbot, desk, PASSWORD)
    qtbot.waitUntil(lambda: desk.main is not None, timeout=10000)
    qtbot.addWidget(desk.main)
    assert desk.main.session.user == WORKER
    assert desk.main.current_page() == "dashboard"
    assert view.password.text() == ""
    desk.shutdown()


def test_wrong_password_and_lockout_are_shown(
    qtbot: Any, desk_station: Session, data_dir: Path, clock: FixedClock
) -> None:
    desk = _desk(qtbot, data_dir, clock)
    view = desk.login_view
    for _ in range(5):
        _try(qtbot, desk, "wrong-password")
        assert view.error.isVisibleTo(view)
        assert view.error.text() == GENERIC_LOGIN_ERROR
    _try(qtbot, desk, PASSWORD)  # locked now: even the right password is refused, same message
    assert desk.main is None
    assert view.error.text() == GENERIC_LOGIN_ERROR
    clock.advance(minutes=16)
    _try(qtbot, desk, PASSWORD)
    qtbot.waitUntil(lambda: desk.main is not None, timeout=10000)
    qtbot.addWidget(desk.main)
    desk.shutdown()


def test_caps_lock_hint(qtbot: Any, desk_station: Session, data_dir: Path, clock: FixedClock) -> None:
    desk = _desk(qtbot, data_dir, clock)
    view = desk.login_view
    view.show()
    qtbot.keyClick(view.password, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier)  # no text: cannot tell
    qtbot.keyClicks(view.password, "A")  # an upper-case letter without shift: caps lock is on
    assert view.caps_hint.isVisible()
    qtbot.keyClicks(view.password, "a")
    assert not view.caps_hint.isVisible()


def test_demo_password_only_shown_for_the_demo(qtbot: Any, desk_station: Session, data_dir: Path) -> None:
    from station_app.services.login_service import station_facts
    from ui.login_view import LoginView
    from ui.ops import Runner

    runner = Runner()
    plain = LoginView(data_dir, station_facts(data_dir), runner)
    demo = LoginView(data_dir, station_facts(data_dir), runner, demo_password="mohe2025")
    for view in (plain, demo):
        qtbot.addWidget(view)
        view.show()
    assert not plain.demo_label.isVisible()
    assert demo.demo_label.isVisible() and "mohe2025" in demo.demo_label.text()


def test_setup_dialog_makes_the_first_station(qtbot: Any, tmp_path: Path, clock: FixedClock) -> None:
    from ui.app import DeskApp
    from ui.setup_dialog import SetupDialog

    desk = DeskApp(tmp_path / "new", clock=clock)
    dialog = desk.start()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, SetupDialog)
    assert dialog.station_code.text() == "232701100001"
    dialog.town.setCurrentIndex(dialog.town.findData("232701102"))
    assert dialog.station_code.text() == "232701102001"
    assert dialog.station_name.text() == "阿木尔镇社保费争议调解站"
    qtbot.keyClicks(dialog.password, "short")
    qtbot.keyClicks(dialog.password2, "different")
    dialog.create_button.click()
    assert dialog.errors["password2"].text() == "两次输入的密码不一致"
    dialog.password2.setText("short")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.create_button.isEnabled(), timeout=10000)
    assert "8" in dialog.errors["password"].text()
    dialog.password.setText("lantern-desk-48")
    dialog.password2.setText("lantern-desk-48")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: desk.main is not None, timeout=20000)
    qtbot.addWidget(desk.main)
    assert desk.main.session.station_code == "232701102001"
    assert desk.main.session.role.value == "admin"
    desk.shutdown()


def test_login_facts_use_the_store_file_names() -> None:
    from station_app.services import login_service
    from station_app.store import station_store

    assert login_service.KEYS_NAME == station_store.KEYS_NAME
    assert login_service.DB_NAME == station_store.DB_NAME
