"""The desk form takes what the validator takes: IDs typed with spaces, credit codes with
dashes, other ID documents, full-width and comma-formatted amounts, extensions; 受理时间 stays
between a year back and now whatever keys are pressed; the duplicate warning finds earlier
cases of the same person or employer however the number is typed, open or closed."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QDateTimeEdit

from station_app.services.case_service import intake, perform
from station_app.services.query_service import get_case
from station_app.services.session import Session
from station_app.synthetic import make_id, make_uscc
from tests.conftest import START
from tests.factories import intake_json
from tests.ui.conftest import commit_text, settle

RNG = random.Random(1414)
ID_1980 = make_id(RNG, birth=date(1980, 1, 1), region="232701")
USCC = make_uscc(RNG)


def fill_required(form: Any, qtbot: Any, name: str = "李四") -> None:
    """The fields every intake needs besides those a test types itself."""
    commit_text(form.applicant_name, name)
    if not form.applicant_phone.text():
        form.applicant_phone.setFocus()
        qtbot.keyClicks(form.applicant_phone, "13812345678")
    form.category.setCurrentIndex(form.category.findData(9))
    commit_text(form.summary, "反映单位未缴纳社会保险费。")


def test_an_id_typed_in_groups_and_a_dashed_credit_code_are_not_cut(
    qtbot: Any, main_window: Any, worker: Session
) -> None:
    main_window.go("intake")
    form = main_window.intake.form
    spaced = f"{ID_1980[:6]} {ID_1980[6:14]} {ID_1980[14:]}"
    form.applicant_id.setFocus()
    qtbot.keyClicks(form.applicant_id, spaced)
    assert form.applicant_id.text() == spaced
    assert not form.c_id.error.isVisibleTo(form)
    assert form.id_facts.text() == "出生日期 1980-01-01,男" or form.id_facts.text() == "出生日期 1980-01-01,女"
    dashed = f"{USCC[:2]}-{USCC[2:8]}-{USCC[8:17]}-{USCC[17]}"
    commit_text(form.respondent_name, "漠河市北极林业有限公司")
    form.respondent_uscc.setFocus()
    qtbot.keyClicks(form.respondent_uscc, dashed)
    qtbot.keyClick(form.respondent_uscc, Qt.Key.Key_Tab)
    assert form.respondent_uscc.text() == dashed and not form.c_resp_uscc.error.isVisibleTo(form)
    fill_required(form, qtbot)
    main_window.intake.save()
    qtbot.waitUntil(lambda: not main_window.intake.saving)  # saved on the runner's writer
    saved = main_window.intake.last_saved
    assert saved is not None
    case = get_case(worker, saved.case_no)
    assert case.intake["applicant"]["id_number"] == ID_1980
    assert case.intake["respondent"]["uscc"] == USCC


def test_other_id_documents_are_taken_and_named(qtbot: Any, main_window: Any, worker: Session) -> None:
    main_window.go("intake")
    form = main_window.intake.form
    form.applicant_id.setFocus()
    qtbot.keyClicks(form.applicant_id, "830000199001010020")
    assert not form.c_id.error.isVisibleTo(form)
    assert form.id_facts.text() == "台湾居民居住证 · 出生日期 1990-01-01,女"
    fill_required(form, qtbot)
    main_window.intake.save()
    qtbot.waitUntil(lambda: not main_window.intake.saving)  # saved on the runner's writer
    saved = main_window.intake.last_saved
    assert saved is not None
    applicant = get_case(worker, saved.case_no).intake["applicant"]
    assert applicant["id_kind"] == "taiwan_residence_permit"


def test_full_width_and_comma_amounts_are_kept(qtbot: Any, main_window: Any, worker: Session) -> None:
    main_window.go("intake")
    form = main_window.intake.form
    commit_text(form.amount, "１２０００")  # a Chinese input method in full-width mode
    assert form.amount.text() == "１２０００" and not form.c_amount.error.isVisibleTo(form)
    fill_required(form, qtbot)
    main_window.intake.save()
    qtbot.waitUntil(lambda: not main_window.intake.saving)  # saved on the runner's writer
    first = main_window.intake.last_saved
    assert first is not None and get_case(worker, first.case_no).intake["amount_claimed"] == "12000"
    form.amount.setFocus()
    qtbot.keyClicks(form.amount, "12,000.00")
    assert form.amount.text() == "12,000.00"
    fill_required(form, qtbot, "王五")
    main_window.intake.save()
    qtbot.waitUntil(lambda: not main_window.intake.saving)  # saved on the runner's writer
    second = main_window.intake.last_saved
    assert second is not None and second.case_no != first.case_no
    assert Decimal(get_case(worker, second.case_no).intake["amount_claimed"]) == Decimal("12000.00")


def test_a_wrong_amount_is_said_not_dropped(qtbot: Any, main_window: Any) -> None:
    main_window.go("intake")
    form = main_window.intake.form
    form.amount.setFocus()
    qtbot.keyClicks(form.amount, "12.345")
    qtbot.keyClick(form.amount, Qt.Key.Key_Tab)
    assert form.amount.text() == "12.345"
    assert form.c_amount.error.text() == "金额应为非负数且最多两位小数"


def test_received_at_cannot_be_pushed_into_the_future_or_decades_back(qtbot: Any, main_window: Any) -> None:
    main_window.go("intake")
    edit = main_window.intake.form.received_at
    now = QDateTime(START.replace(tzinfo=None))
    earliest = QDateTime((START - timedelta(days=366)).replace(tzinfo=None))
    edit.setFocus()
    edit.setCurrentSection(QDateTimeEdit.Section.YearSection)
    for _ in range(30):
        qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert edit.dateTime() <= now
    for _ in range(60):
        qtbot.keyClick(edit, Qt.Key.Key_Down)
    assert earliest <= edit.dateTime() <= now
    edit.setCurrentSection(QDateTimeEdit.Section.YearSection)
    qtbot.keyClicks(edit, "1999")
    qtbot.keyClick(edit, Qt.Key.Key_Tab)
    assert earliest <= edit.dateTime() <= now
    for key in (Qt.Key.Key_PageUp, Qt.Key.Key_End, Qt.Key.Key_9):
        qtbot.keyClick(edit, key)
        assert earliest <= edit.dateTime() <= now


def test_a_phone_with_an_extension_is_taken(qtbot: Any, main_window: Any, worker: Session) -> None:
    main_window.go("intake")
    form = main_window.intake.form
    form.applicant_phone.setFocus()
    qtbot.keyClicks(form.applicant_phone, "0457-2812345 ext 801")
    qtbot.keyClick(form.applicant_phone, Qt.Key.Key_Tab)
    assert not form.c_phone.error.isVisibleTo(form)
    fill_required(form, qtbot)
    main_window.intake.save()
    qtbot.waitUntil(lambda: not main_window.intake.saving)  # saved on the runner's writer
    saved = main_window.intake.last_saved
    assert saved is not None
    assert get_case(worker, saved.case_no).intake["applicant"]["phone"] == "0457-2812345-801"


def test_duplicates_are_found_however_the_number_is_typed_open_or_closed(
    qtbot: Any, main_window: Any, worker: Session, runner: Any
) -> None:
    closed = intake(worker, intake_json(name="赵敏", id_number=ID_1980, phone="0457-2812345", category=9, periods=()))
    perform(worker, closed.case_no, "withdraw", {"reason": "缴费人撤回"})
    main_window.go("intake")
    form = main_window.intake.form
    banner = main_window.intake.duplicates_banner
    form.applicant_phone.setFocus()
    qtbot.keyClicks(form.applicant_phone, "0457 2812345")  # as said over the counter
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5000)
    assert closed.case_no in banner.text() and "(撤回," in banner.text() and "联系电话" in banner.text()
    form.applicant_phone.clear()
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=5000)
    form.applicant_id.setFocus()
    qtbot.keyClicks(form.applicant_id, f"{ID_1980[:6]} {ID_1980[6:14]} {ID_1980[14:].lower()}")
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5000)
    assert closed.case_no in banner.text() and "证件号码" in banner.text()


def test_an_employer_seen_before_is_warned_about(qtbot: Any, main_window: Any, worker: Session, runner: Any) -> None:
    data = intake_json(employer="漠河市兴安建筑有限公司")
    data["respondent"]["uscc"] = USCC
    earlier = intake(worker, data)
    main_window.go("intake")
    form = main_window.intake.form
    banner = main_window.intake.duplicates_banner
    form.respondent_uscc.setFocus()
    qtbot.keyClicks(form.respondent_uscc, f"{USCC[:9]} {USCC[9:]}")
    qtbot.waitUntil(lambda: banner.isVisible(), timeout=5000)
    assert earlier.case_no in banner.text() and "统一社会信用代码" in banner.text()
    settle(qtbot, runner)


def test_codes_pasted_with_invisible_characters_are_taken_and_found_again(
    qtbot: Any, main_window: Any, worker: Session, runner: Any
) -> None:
    """An ID, a phone with its extension in brackets and a credit code pasted from WeChat or Word
    (zero-width space, BOM, bidi marks, a Hangul filler) are taken as the validator takes them,
    and the same number pasted into the search box finds the case."""
    main = main_window
    main.go("intake")
    form = main.intake.form
    form.applicant_id.setFocus()
    form.applicant_id.insert(f"\u202d{ID_1980[:6]}\u200b{ID_1980[6:]}\u3164\u202c")
    form.applicant_phone.setFocus()
    form.applicant_phone.insert("\ufeff0457-2812345（分机801）\u2060")
    commit_text(form.respondent_name, "漠河市北极林业有限公司")
    form.respondent_uscc.setFocus()
    form.respondent_uscc.insert(f"{USCC[:9]}\u200e{USCC[9:]}\ufe0f")
    qtbot.keyClick(form.respondent_uscc, Qt.Key.Key_Tab)
    for cell in (form.c_id, form.c_phone, form.c_resp_uscc):
        assert not cell.error.isVisibleTo(form), cell.error.text()
    fill_required(form, qtbot)
    main.intake.save()
    qtbot.waitUntil(lambda: not main.intake.saving)  # saved on the runner's writer
    saved = main.intake.last_saved
    assert saved is not None
    stored = get_case(worker, saved.case_no).intake
    assert stored["applicant"]["id_number"] == ID_1980 and stored["applicant"]["phone"] == "0457-2812345-801"
    assert stored["respondent"]["uscc"] == USCC
    main.go("cases")
    view = main.cases
    view.search.setFocus()
    view.search.insert("\u200b(0457)2812345\u200b")
    qtbot.waitUntil(lambda: view.model.total == 1 and not runner.busy, timeout=5000)
    assert view.model.case_at(0).case_no == saved.case_no
