"""Case detail: allowed actions only, dialogs that validate, the lifecycle from routing to archive."""

from __future__ import annotations

from typing import Any

import pytest

from station_app.errors import PermissionDenied
from station_app.services.case_service import intake, perform
from station_app.services.session import Session
from tests.factories import joint_intake, major_intake
from tests.ui.conftest import commit_text


def act(qtbot: Any, main: Any, action: str, **values: Any) -> Any:
    from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit

    dialog = main.detail.start_action(action)
    qtbot.addWidget(dialog)
    for key, value in values.items():
        widget = dialog.inputs[key]
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(widget.findData(value))
        elif isinstance(widget, (QPlainTextEdit, QLineEdit)):
            if isinstance(widget, QPlainTextEdit):
                widget.clear()
            commit_text(widget, value)
        else:
            raise AssertionError(key)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)  # the action runs off the GUI thread
    return dialog


def test_lifecycle_from_routing_to_archive(qtbot: Any, worker: Session, main_window: Any) -> None:
    case_no = intake(worker, joint_intake(name="周芷若")).case_no
    main = main_window
    main.open_case(case_no)
    detail = main.detail
    assert main.current_page() == "detail"
    assert detail.summary.values["applicant"].text() == "周芷若"
    assert "*" in detail.summary.id_number.label.text()
    assert "税务局" in detail.routing.text() and "2024-04-01" in detail.routing.text()
    assert set(detail.action_buttons) == {"route", "close_on_spot", "escalate", "withdraw", "submit_city"}
    dialog = act(qtbot, main, "route")
    assert dialog.result() == dialog.DialogCode.Accepted
    assert detail.detail.summary.status.value == "routed"
    assert "opinion" in detail.action_buttons and "route" not in detail.action_buttons
    # an opinion without text is refused, the message next to the field
    dialog = act(qtbot, main, "opinion", dept="tax")
    assert dialog.isVisible()
    assert dialog.errors["text"].text() == "请填写书面意见"
    dialog.reject()
    act(qtbot, main, "sign", dept="tax")
    act(qtbot, main, "opinion", dept="tax", text="经核查,单位少报缴费基数,已责令补缴。")
    assert detail.detail.summary.status.value == "in_progress"
    # a reply before every department has answered is refused by the service, shown in the dialog
    dialog = act(qtbot, main, "reply", text="答复如下。")
    assert dialog.isVisible() and "市人力资源和社会保障局" in dialog.error.text()
    dialog.reject()
    act(qtbot, main, "opinion", dept="hrss", text="2024年4月前的欠费由人社部门核定,已通知单位补缴。")
    dialog = main.detail.start_action("reply")
    qtbot.addWidget(dialog)
    draft = dialog.inputs["text"].toPlainText()
    assert "税务局" in draft and "人社局" in draft  # the reply starts from the departments' opinions
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)  # the action runs off the GUI thread
    assert detail.detail.summary.status.value == "replied"
    act(qtbot, main, "callback", satisfaction="satisfied")
    act(qtbot, main, "archive")
    assert detail.detail.summary.status.value == "archived"
    assert detail.action_buttons == {}
    labels = [detail.timeline.row_texts(r)[2] for r in range(detail.timeline.rowCount())]
    assert labels[0] == "归档" and labels[-1] == "受理登记"
    assert labels.count("录入书面意见") == 2
    opinions = [detail.departments.row_texts(r)[3] for r in range(detail.departments.rowCount())]
    assert all(opinions)


def test_detail_models_pass_the_model_tester(qtbot: Any, qtmodeltester: Any, worker: Session, main_window: Any) -> None:
    case_no = intake(worker, joint_intake(name="张无忌")).case_no
    perform(worker, case_no, "route", {})
    main_window.open_case(case_no)
    qtmodeltester.check(main_window.detail.timeline)
    qtmodeltester.check(main_window.detail.departments)


def test_a_worker_cannot_do_a_heads_action(
    qtbot: Any, worker: Session, head: Session, main_window: Any, runner: Any
) -> None:
    from ui.main_window import MainWindow

    case_no = intake(worker, major_intake(name="谢逊")).case_no
    perform(worker, case_no, "route", {})
    main_window.open_case(case_no)
    assert main_window.detail.detail.summary.status.value == "escalated"
    assert "approve" not in main_window.detail.action_buttons
    with pytest.raises(PermissionDenied):
        perform(worker, case_no, "approve", {})
    head_window = MainWindow(head, runner)
    qtbot.addWidget(head_window)
    head_window.open_case(case_no)
    assert "approve" in head_window.detail.action_buttons
    head_window.detail.action_buttons["approve"].click()
    dialog = next(w for w in head_window.detail.findChildren(object) if type(w).__name__ == "ActionDialog")
    dialog.ok_button.click()  # the leading group's document is copied: approver and number required
    qtbot.waitUntil(lambda: not dialog.busy)  # the action runs off the GUI thread
    assert dialog.isVisible() and dialog.errors["approver"].text() and dialog.errors["document_no"].text()
    commit_text(dialog.inputs["approver"], "王副市长")
    commit_text(dialog.inputs["document_no"], "漠争议领〔2025〕3号")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.busy)  # the action runs off the GUI thread
    assert head_window.detail.detail.summary.status.value == "in_progress"
    assert head_window.detail.detail.approved
    head_window.idle.detach()


def test_revealing_an_identifier_in_the_detail_is_recorded(qtbot: Any, worker: Session, main_window: Any) -> None:
    from tests.conftest import event_count

    data = joint_intake(name="殷离")
    case_no = intake(worker, data).case_no
    main_window.open_case(case_no)
    summary = main_window.detail.summary
    before = event_count(worker)
    summary.phone.button.click()
    qtbot.waitUntil(lambda: not summary.phone.busy)  # recorded on the runner's writer
    assert summary.phone.label.text() == data["applicant"]["phone"]
    assert event_count(worker) == before + 1
    main_window.detail.hide_personal_data()
    assert "*" in summary.phone.label.text()
