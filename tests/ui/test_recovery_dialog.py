"""忘记全部密码 on the login window: the worker makes the request, the city answers, the worker
applies it, and the new admin logs in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLineEdit

from station_app.services.login_service import station_facts
from tests.sync.cityhelp import CITY_ADMIN, cli, make_world, ok

A = "232701100001"
NEW_PASSWORD = "river-lamp-5517"


def _type(box: QLineEdit, text: str) -> None:
    box.setText(text)


def test_a_worker_recovers_the_station_from_the_login_window(qtbot: Any, tmp_path: Path) -> None:
    from ui.login_view import LoginView
    from ui.ops import Runner

    world = make_world(tmp_path, (A,))
    data_dir = world.stations[A]
    runner = Runner()
    view = LoginView(data_dir, station_facts(data_dir), runner)
    qtbot.addWidget(view)
    assert view.forgot_button.isVisible() or not view.isVisible()
    view.open_recovery()
    dialog = view.recovery
    _type(dialog.password, NEW_PASSWORD)
    _type(dialog.password2, NEW_PASSWORD + "x")
    dialog.request_button.click()  # two different entries: refused before anything is written
    assert "不一致" in dialog.error.text()
    _type(dialog.password2, NEW_PASSWORD)
    request = tmp_path / "request.json"
    dialog.request_to(request)
    qtbot.waitUntil(lambda: bool(dialog.fingerprint.text()), timeout=30000)
    assert request.exists() and len(dialog.fingerprint.text().split()) == 16  # 16 groups to read out

    response = tmp_path / "response.json"
    ok(cli("city", "recover", str(request), "--out", str(response), data_dir=world.city, user=CITY_ADMIN))
    dialog.apply_button.click()  # no answer chosen yet
    assert "答复文件" in dialog.error.text()
    dialog.choose_response(response)
    _type(dialog.admin, "newadmin")
    with qtbot.waitSignal(dialog.recovered, timeout=60000):
        dialog.apply_button.click()
    assert view.user_box.currentText() == "newadmin"

    view.password.setText(NEW_PASSWORD)
    with qtbot.waitSignal(view.logged_in, timeout=30000) as logged:
        view.login_button.click()
    session = logged.args[0]
    assert session.user == "newadmin" and session.role.value == "admin"
    session.close()


def test_a_wrong_answer_file_is_named_in_the_dialog(qtbot: Any, tmp_path: Path) -> None:
    from ui.login_view import LoginView
    from ui.ops import Runner

    world = make_world(tmp_path, (A,))
    data_dir = world.stations[A]
    view = LoginView(data_dir, station_facts(data_dir), Runner())
    qtbot.addWidget(view)
    view.open_recovery()
    dialog = view.recovery
    junk = tmp_path / "junk.json"
    junk.write_text("{}", encoding="utf-8")
    dialog.choose_response(junk)
    _type(dialog.admin, "newadmin")
    _type(dialog.apply_password, NEW_PASSWORD)
    dialog.apply_button.click()
    qtbot.waitUntil(lambda: bool(dialog.error.text()), timeout=30000)
    assert "恢复文件" in dialog.error.text() and dialog.isVisible()
