"""Writes run on the runner's writer, not on the GUI thread: while one is on its way its button
is disabled and the window keeps answering; when it lands, the screen shows the result."""

from __future__ import annotations

import threading
from typing import Any

from station_app.services.case_service import intake
from station_app.services.query_service import get_case
from station_app.services.session import Session
from tests.factories import joint_intake


def _hold_writer(runner: Any) -> threading.Event:
    """Occupy the runner's one writer until the returned event is set (an earlier write still
    under way: a slow disk, an Argon2id wrap)."""
    release = threading.Event()
    runner.run(lambda: release.wait(30), lambda _result: None, write=True)
    return release


def test_an_action_in_flight_disables_its_button_and_its_result_lands(
    qtbot: Any, worker: Session, main_window: Any, runner: Any
) -> None:
    case_no = intake(worker, joint_intake(name="周芷若")).case_no
    main_window.open_case(case_no)
    dialog = main_window.detail.start_action("route")
    qtbot.addWidget(dialog)
    release = _hold_writer(runner)
    try:
        dialog.ok_button.click()
        assert dialog.busy and not dialog.ok_button.isEnabled()
        assert dialog.isVisible()
        qtbot.wait(100)  # the event loop runs on: the window is not frozen
        assert get_case(worker, case_no).summary.status.value == "registered"  # not yet written
    finally:
        release.set()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert not dialog.isVisible()
    assert main_window.detail.detail.summary.status.value == "routed"
    assert "route" not in main_window.detail.action_buttons


def test_a_refused_action_lands_its_message_and_gives_the_button_back(
    qtbot: Any, worker: Session, main_window: Any, runner: Any
) -> None:
    case_no = intake(worker, joint_intake(name="郭靖")).case_no
    main_window.open_case(case_no)
    dialog = main_window.detail.start_action("escalate")  # needs a reason
    qtbot.addWidget(dialog)
    release = _hold_writer(runner)
    dialog.ok_button.click()
    assert dialog.busy
    release.set()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert dialog.isVisible() and dialog.errors["reason"].text()
    assert dialog.ok_button.isEnabled()


def test_a_password_change_in_flight_disables_its_button_and_then_the_new_password_opens(
    qtbot: Any, worker: Session, runner: Any, data_dir: Any, clock: Any
) -> None:
    from station_app.services.session import login
    from ui.users_view import AccountPanel

    panel = AccountPanel(worker, runner)
    qtbot.addWidget(panel)
    panel.password.setText("wang-new-pass-1")
    panel.password2.setText("wang-new-pass-1")
    release = _hold_writer(runner)
    try:
        panel.button.click()
        assert panel.busy and not panel.button.isEnabled()
        qtbot.wait(100)
    finally:
        release.set()
    qtbot.waitUntil(lambda: not panel.busy)
    assert panel.password.text() == "" and panel.error.text() == ""
    login(data_dir, worker.user, "wang-new-pass-1", clock).close()


def test_a_settings_save_in_flight_disables_the_save_buttons_and_then_lands(
    qtbot: Any, desk_station: Session, runner: Any
) -> None:
    from ui.settings_view import SettingsView

    view = SettingsView(desk_station, runner)
    qtbot.addWidget(view)
    view.editors["opinion_days"].setValue(8)
    release = _hold_writer(runner)
    try:
        view._on_rules_save_clicked()
        assert view.saving and not any(b.isEnabled() for b in view.save_buttons)
        assert desk_station.setting("opinion_days") != 8
    finally:
        release.set()
    with qtbot.waitSignal(view.settings_changed) as changed:
        pass
    assert changed.args[0] == {"opinion_days"}
    assert not view.saving and all(b.isEnabled() for b in view.save_buttons)
    assert desk_station.setting("opinion_days") == 8


def test_a_reveal_in_flight_keeps_the_mask_until_it_is_recorded(
    qtbot: Any, worker: Session, main_window: Any, runner: Any
) -> None:
    data = joint_intake(name="黄蓉")
    case_no = intake(worker, data).case_no
    main_window.open_case(case_no)
    phone = main_window.detail.summary.phone
    release = _hold_writer(runner)
    try:
        phone.button.click()
        assert phone.busy and "*" in phone.label.text()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not phone.busy)
    assert phone.label.text() == data["applicant"]["phone"]
    kinds = [e.type for e in get_case(worker, case_no).timeline]
    assert "personal_data_revealed" in kinds


def test_an_intake_save_in_flight_disables_save_and_a_second_ctrl_s_adds_nothing(
    qtbot: Any, worker: Session, main_window: Any, runner: Any
) -> None:
    from tests.conftest import event_count
    from tests.ui.test_intake_input import fill_required

    main_window.go("intake")
    view = main_window.intake
    fill_required(view.form, qtbot)
    before = event_count(worker)
    release = _hold_writer(runner)
    try:
        view.save()
        assert view.saving and not view.save_button.isEnabled()
        view.save()  # pressed again while the first is on its way
        qtbot.wait(100)
        assert view.last_saved is None
    finally:
        release.set()
    qtbot.waitUntil(lambda: not view.saving)
    assert view.last_saved is not None and view.saved_banner.isVisibleTo(view)
    assert view.last_saved.case_no in view.saved_banner.text()
    assert event_count(worker) == before + 1  # one case registered, not two
    assert view.save_button.isEnabled()


def test_a_reveal_that_lands_after_the_screen_was_locked_stays_masked(
    qtbot: Any, worker: Session, main_window: Any, runner: Any
) -> None:
    case_no = intake(worker, joint_intake(name="杨过")).case_no
    main_window.open_case(case_no)
    phone = main_window.detail.summary.phone
    release = _hold_writer(runner)
    try:
        phone.button.click()
        main_window.lock()
    finally:
        release.set()
    qtbot.waitUntil(lambda: not phone.busy)
    assert "*" in phone.label.text()
    main_window.idle.detach()
