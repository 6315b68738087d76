"""The desk form: keyboard intake, live routing across the cutoff, validation, draft, duplicates."""

from __future__ import annotations

import itertools
import random
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from station_app.clock import FixedClock
from station_app.services.case_service import intake
from station_app.services.desk_service import load_draft
from station_app.services.query_service import get_case
from station_app.services.session import Session, login
from station_app.synthetic import make_id, make_phone, make_uscc
from tests.factories import intake_json
from tests.ui.conftest import PASSWORD, WORKER, commit_text, settle

RNG = random.Random(4)
ID_NUMBER = make_id(RNG, birth=date(1971, 6, 3), region="232723")
USCC = make_uscc(RNG)


def tab_to(widget: Any) -> None:
    """Arrive in a field the way Tab does (spin and date boxes select their first section)."""
    if widget.hasFocus():
        widget.clearFocus()
    widget.setFocus(Qt.FocusReason.TabFocusReason)


def type_intake(qtbot: Any, main: Any, name: str, start: str = "2024-06") -> Any:
    """Fill the form with the keyboard: channel stays 来访, person applicant, category 4, pension."""
    form = main.intake.form
    commit_text(form.applicant_name, name)
    tab_to(form.applicant_id)
    qtbot.keyClicks(form.applicant_id, ID_NUMBER)
    tab_to(form.applicant_phone)
    qtbot.keyClicks(form.applicant_phone, make_phone(RNG))
    commit_text(form.respondent_name, "漠河市北极林业有限公司")
    tab_to(form.respondent_uscc)
    qtbot.keyClicks(form.respondent_uscc, USCC)
    tab_to(form.category)
    qtbot.keyClicks(form.category, "4")
    tab_to(form.insurance["pension"])
    qtbot.keyClick(form.insurance["pension"], Qt.Key.Key_Space)
    tab_to(form.periods.add_button)
    qtbot.keyClick(form.periods.add_button, Qt.Key.Key_Space)
    row = form.periods.rows[0]
    qtbot.keyClicks(row.start, start)
    tab_to(row.end)
    qtbot.keyClicks(row.end, "2024-12")
    tab_to(form.amount)
    qtbot.keyClicks(form.amount, "12000.50")
    commit_text(form.summary, "反映单位未按实际工资申报缴费基数,要求核实并补缴。")
    commit_text(form.claim, "请求依法处理。")
    return row


def test_keyboard_intake_routes_live_and_saves(qtbot: Any, main_window: Any, worker: Session, runner: Any) -> None:
    main = main_window
    qtbot.keyClick(main, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert main.current_page() == "intake"
    panel = main.intake.panel
    assert panel.decision is None
    row = type_intake(qtbot, main, "张伟")
    form = main.intake.form
    assert form.id_facts.text() == "出生日期 1971-06-03,男"
    assert form.category_help.text().startswith("用人单位或个人因社会保险费缴费金额")
    qtbot.waitUntil(lambda: panel.decision is not None and panel.decision.track.value == "refer")
    assert "税务局" in panel.lead.text() and "告知转办" in panel.track.text()
    assert "部门办理" in panel.deadlines.text()
    # the period moves back across the 2024-04-01 cutoff: the pre-cutoff part goes to 人社局
    tab_to(row.start)
    qtbot.keyClicks(row.start, "2023-10")
    qtbot.waitUntil(lambda: panel.decision is not None and panel.decision.track.value == "joint")
    assert "人力资源和社会保障局" in panel.co.text()
    assert "2024-04-01之前" in panel.reasons.text()
    # and back after it: refer again
    tab_to(row.start)
    qtbot.keyClicks(row.start, "2024-05")
    qtbot.waitUntil(lambda: panel.decision is not None and panel.decision.track.value == "refer")
    tab_to(row.start)
    qtbot.keyClicks(row.start, "2023-10")
    qtbot.waitUntil(lambda: panel.decision is not None and panel.decision.track.value == "joint")
    form.summary.setFocus()
    qtbot.keyClick(form.summary, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not main.intake.saving)  # saved on the runner's writer
    saved = main.intake.last_saved
    assert saved is not None
    assert main.intake.saved_banner.isVisible() and saved.case_no in main.intake.saved_banner.text()
    assert not main.intake.referral_button.isVisible()  # joint: no referral slip
    detail = get_case(worker, saved.case_no)
    assert detail.summary.applicant_name == "张伟"
    assert detail.routing.track.value == "joint"
    assert detail.intake["periods"] == [{"from": "2023-10", "to": "2024-12"}]
    assert detail.intake["amount_claimed"] == "12000.50"
    assert detail.intake["received_at"].startswith("2025-11-20T10:00")  # the session's clock
    assert detail.intake["channel"] == "visit" and detail.intake["town_code"] == "232701100"
    assert form.is_blank()  # ready for the next citizen
    settle(qtbot, runner)
    assert load_draft(worker) is None


def test_fields_validate_as_typed_and_on_save(qtbot: Any, main_window: Any, worker: Session) -> None:
    main = main_window
    main.go("intake")
    form = main.intake.form
    tab_to(form.applicant_id)
    wrong = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    qtbot.keyClicks(form.applicant_id, wrong[:10])
    assert not form.c_id.error.isVisibleTo(form)  # still typing: no complaint yet
    qtbot.keyClicks(form.applicant_id, wrong[10:])
    assert form.c_id.error.text() == "身份证号码校验位错误"
    assert form.id_facts.text() == ""
    form.applicant_id.setText(ID_NUMBER)
    assert not form.c_id.error.isVisibleTo(form)
    tab_to(form.applicant_phone)
    qtbot.keyClicks(form.applicant_phone, "12345")
    qtbot.keyClick(form.applicant_phone, Qt.Key.Key_Tab)
    assert form.c_phone.error.isVisibleTo(form)
    form.applicant_phone.clear()
    tab_to(form.category)
    qtbot.keyClicks(form.category, "3")
    main.intake.save()  # no name, category 3 without a period: refused, messages next to the fields
    qtbot.waitUntil(lambda: not main.intake.saving)  # saved on the runner's writer
    assert main.intake.last_saved is None
    assert form.c_name.error.text() == "必填"
    assert form.c_periods.error.text() == "该类争议须填写争议期间"
    assert form.applicant_name.hasFocus()
    main.intake.update_routing()
    assert "争议期间" in main.intake.panel.status.text()


def test_draft_survives_an_accidental_close_encrypted(
    qtbot: Any, main_window: Any, worker: Session, runner: Any, data_dir: Path, clock: FixedClock
) -> None:
    from ui.main_window import MainWindow

    main = main_window
    main.go("intake")
    commit_text(main.intake.form.applicant_name, "欧阳娜娜")
    commit_text(main.intake.form.summary, "单位欠缴工伤保险费")
    main.close()  # closing keeps the form in the encrypted store
    settle(qtbot, runner)
    assert load_draft(worker)["applicant"]["name"] == "欧阳娜娜"
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert "欧阳娜娜".encode() not in path.read_bytes(), path.name
    again = login(data_dir, WORKER, PASSWORD, clock)
    window = MainWindow(again, runner)
    qtbot.addWidget(window)
    window.show()
    window.go("intake")
    assert window.intake.form.applicant_name.text() == "欧阳娜娜"
    assert window.intake.draft_banner.isVisible()
    window.intake.discard_button.click()
    assert window.intake.form.is_blank()
    assert load_draft(again) is None
    window.idle.detach()
    again.close()


def test_duplicate_warning_before_saving(qtbot: Any, main_window: Any, worker: Session, runner: Any) -> None:
    existing = intake(worker, intake_json(name="赵敏", id_number=ID_NUMBER, category=4))
    main = main_window
    main.go("intake")
    form = main.intake.form
    commit_text(form.applicant_name, "赵敏")
    form.applicant_id.setText(ID_NUMBER)
    form.category.setCurrentIndex(form.category.findData(4))
    qtbot.waitUntil(lambda: main.intake.duplicates_banner.isVisible(), timeout=5000)
    assert existing.case_no in main.intake.duplicates_banner.text()
    form.category.setCurrentIndex(form.category.findData(7))  # any earlier case of the person warns
    settle(qtbot, runner, 800)
    assert main.intake.duplicates_banner.isVisible() and existing.case_no in main.intake.duplicates_banner.text()
    form.applicant_id.setText("")
    qtbot.waitUntil(lambda: not main.intake.duplicates_banner.isVisible(), timeout=5000)


def test_known_employer_fills_its_credit_code(qtbot: Any, main_window: Any, worker: Session, runner: Any) -> None:
    data = intake_json(name="钱进", employer="漠河市兴安建筑工程有限公司")
    intake(worker, data)
    main = main_window
    main.go("intake")
    main.intake.mark_stale()
    settle(qtbot, runner)
    form = main.intake.form
    assert "漠河市兴安建筑工程有限公司" in form.known_uscc
    form._completer.activated.emit("漠河市兴安建筑工程有限公司")
    assert form.respondent_uscc.text() == data["respondent"]["uscc"]
    assert form.employer_hint.text() == "已知单位,已填入信用代码"


def test_tab_order_follows_the_conversation(qtbot: Any, main_window: Any) -> None:
    from PySide6.QtWidgets import QApplication

    main_window.go("intake")
    form = main_window.intake.form
    expected = [
        form.channel,
        form.received_at,
        form.town,
        form.applicant_kind,
        form.applicant_name,
        form.applicant_id,
        form.applicant_phone,
        form.respondent_name,
        form.respondent_uscc,
        form.category,
        *form.insurance.values(),
        form.periods.add_button,
        form.amount,
        form.group_size,
        *form.flags.values(),
        form.proceeding_kind,
        form.proceeding_body,
        form.proceeding_case_no,
        form.proceeding_dismissed,
        form.summary,
        form.claim,
    ]
    form.channel.setFocus()
    seen = []
    for _ in expected:
        seen.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert seen == expected


def _tab_walk(qtbot: Any, start: Any, steps: int) -> list[Any]:
    from PySide6.QtWidgets import QApplication

    start.setFocus()
    seen = []
    for _ in range(steps):
        seen.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    return seen


def test_tab_order_stays_top_to_bottom_with_periods(qtbot: Any, main_window: Any) -> None:
    """Rows added to 争议期间 take their place between 险种 and 添加期间, top to bottom; after
    a row is removed, the rest keep theirs."""
    main_window.go("intake")
    form = main_window.intake.form
    insurance = list(form.insurance.values())
    tab_to(form.periods.add_button)
    qtbot.keyClick(form.periods.add_button, Qt.Key.Key_Space)
    first = form.periods.rows[0]
    assert first.start.hasFocus()
    tab_to(form.periods.add_button)
    qtbot.keyClick(form.periods.add_button, Qt.Key.Key_Space)
    second = form.periods.rows[1]
    row_fields = [first.start, first.end, first.remove, second.start, second.end, second.remove]
    expected = [*insurance, *row_fields, form.periods.add_button, form.amount, form.group_size]
    assert _tab_walk(qtbot, insurance[0], len(expected)) == expected
    # the rows sit on screen in that order too
    ys = [w.mapTo(form, w.rect().topLeft()).y() for w in (insurance[0], first.start, second.start)]
    ys.append(form.periods.add_button.mapTo(form, form.periods.add_button.rect().topLeft()).y())
    assert ys == sorted(ys) and len(set(ys)) == 4
    qtbot.mouseClick(first.remove, Qt.MouseButton.LeftButton)
    assert form.periods.rows == [second] and second.start.hasFocus()
    expected = [*insurance, second.start, second.end, second.remove, form.periods.add_button, form.amount]
    assert _tab_walk(qtbot, insurance[0], len(expected)) == expected


def test_a_month_field_takes_typed_input_however_it_got_focus(qtbot: Any, main_window: Any) -> None:
    from PySide6.QtCore import QPoint

    main_window.go("intake")
    form = main_window.intake.form
    row = form.periods.add_period("2024-06", "2024-12")
    arrivals = {
        "tab": lambda: tab_to(row.start),
        "click in the middle": lambda: qtbot.mouseClick(
            row.start, Qt.MouseButton.LeftButton, pos=QPoint(row.start.width() // 2, row.start.height() // 2)
        ),
        "click at the end": lambda: qtbot.mouseClick(
            row.start, Qt.MouseButton.LeftButton, pos=QPoint(row.start.width() - 3, row.start.height() // 2)
        ),
        "code": lambda: row.start.setFocus(Qt.FocusReason.OtherFocusReason),
        "shortcut": lambda: row.start.setFocus(Qt.FocusReason.ShortcutFocusReason),
        "back-tab": lambda: row.start.setFocus(Qt.FocusReason.BacktabFocusReason),
    }
    for n, (how, arrive) in enumerate(arrivals.items()):
        form.amount.setFocus()
        arrive()
        qtbot.waitUntil(lambda: row.start.hasFocus())
        qtbot.wait(1)  # the selection is made once the event that gave focus is done
        month = f"2023-{n + 1:02d}"
        qtbot.keyClicks(row.start, month)
        assert row.value()["from"] == month, how
    assert form.to_data()["periods"] == [{"from": "2023-06", "to": "2024-12"}]


def test_no_period_routes_the_case_before_the_worker_types_one(qtbot: Any, main_window: Any, runner: Any) -> None:
    """Category 4 needs a period: a new row is empty, so nothing routes until both months are
    typed; a half-typed period says which month is missing."""
    main = main_window
    main.go("intake")
    form, panel = main.intake.form, main.intake.panel
    commit_text(form.applicant_name, "张伟")
    tab_to(form.applicant_phone)
    qtbot.keyClicks(form.applicant_phone, "13845671234")
    tab_to(form.category)
    qtbot.keyClicks(form.category, "4")
    form.insurance["pension"].setChecked(True)
    commit_text(form.summary, "反映单位未按实际工资申报缴费基数。")
    main.intake.update_routing()
    assert panel.decision is None and "尚缺:该类争议须填写争议期间" in panel.status.text()
    assert form.error_lines({"applicant.phone": "必填", "summary": "必填"}) == ["联系电话:必填", "反映主要事项:必填"]
    tab_to(form.periods.add_button)
    qtbot.keyClick(form.periods.add_button, Qt.Key.Key_Space)
    row = form.periods.rows[0]
    assert row.value() == {"from": "", "to": ""}
    assert form.to_data()["periods"] == []
    main.intake.update_routing()
    assert panel.decision is None
    qtbot.keyClicks(row.start, "2024-06")
    main.intake.update_routing()
    assert panel.decision is None and "第1个期间:结束月份必填" in panel.status.text()
    qtbot.keyClick(row.start, Qt.Key.Key_Tab)
    assert row.end.hasFocus()
    qtbot.keyClicks(row.end, "2024-12")
    qtbot.waitUntil(lambda: panel.decision is not None and panel.decision.track.value == "refer")
    assert panel.decision is not None and panel.decision.lead is not None and panel.decision.lead.value == "tax"


def test_not_enrolled_and_proceeding_inputs_reach_the_service(qtbot: Any, main_window: Any, worker: Session) -> None:
    """The desk asks 未参保 and the proceeding (kind, body, case number, dismissed); the service
    decides: a never-enrolled worker goes to 人社 (三(二)2), a dismissed arbitration is taken in (三(二)6)."""
    main = main_window
    main.go("intake")
    form = main.intake.form
    assert form.flags["not_enrolled"].text() == "未参保(参保争议)"
    assert form.proceeding_kind.itemText(form.proceeding_kind.findData("arbitration")) == "劳动人事争议仲裁"
    type_intake(qtbot, main, "赵敏")
    panel = main.intake.panel
    qtbot.waitUntil(
        lambda: panel.decision is not None and panel.decision.lead is not None and panel.decision.lead.value == "tax"
    )
    form.flags["not_enrolled"].setChecked(True)
    form.flags["in_legal_proceedings"].setChecked(True)
    form.proceeding_kind.setCurrentIndex(form.proceeding_kind.findData("arbitration"))
    commit_text(form.proceeding_body, "漠河市劳动人事争议仲裁委员会")
    tab_to(form.proceeding_case_no)
    qtbot.keyClicks(form.proceeding_case_no, "2025-8")
    form.proceeding_dismissed.setChecked(True)
    assert form.to_data()["proceeding"] == {
        "kind": "arbitration",
        "body": "漠河市劳动人事争议仲裁委员会",
        "case_no": "2025-8",
        "dismissed": True,
    }
    qtbot.waitUntil(
        lambda: panel.decision is not None and panel.decision.lead is not None and panel.decision.lead.value == "hrss"
    )
    main.intake.save()
    qtbot.waitUntil(lambda: not main.intake.saving)  # saved on the runner's writer
    saved = main.intake.last_saved
    assert saved is not None and saved.routing.lead is not None and saved.routing.lead.value == "hrss"
    detail = get_case(worker, saved.case_no)
    assert detail.intake["flags"]["not_enrolled"] is True
    assert detail.intake["proceeding"]["case_no"] == "2025-8"


def test_large_text_keeps_the_routing_panel_and_the_periods_whole(
    qtbot: Any, worker: Session, runner: Any, tmp_path: Path
) -> None:
    """At 1366x768 in large text the routing panel's lines stand whole, one under the other
    (the panel scrolls), and a period row's fields are whole once scrolled to."""

    from tests.factories import joint_intake
    from tests.ui.test_desk_day import _fully_visible, desk_window

    with desk_window(qtbot, worker, runner) as main:
        main.go("intake")
        form = main.intake.form
        form.load_data(joint_intake(name="张偉"))
        form.periods.add_period()
        main.intake.update_routing()
        settle(qtbot, runner, 200)
        panel = main.intake.panel
        assert panel.decision is not None and panel.decision.track.value == "joint"
        lines = [panel.track, panel.lead, panel.co, panel.reasons, panel.deadlines]
        for label in lines:
            assert label.isVisible() and label.height() >= label.heightForWidth(label.width()), label.text()
        for upper, lower in itertools.pairwise(lines):
            assert upper.geometry().bottom() < lower.geometry().top()
        main.intake.panel_scroll.ensureWidgetVisible(panel.deadlines)
        settle(qtbot, runner, 50)
        assert _fully_visible(panel.deadlines)
        for row in form.periods.rows:
            main.intake.form_scroll.ensureWidgetVisible(row.remove)
            settle(qtbot, runner, 50)
            for field in (row.start, row.end, row.remove):
                assert _fully_visible(field)
        main.grab().save(str(tmp_path / "intake-large.png"))
