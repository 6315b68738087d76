"""The city's acts go out with their paper: after saving, the dialog offers the 批复 or the 交办单,
which opens the same print dialog as the station's papers and prints through a real QPrinter
(a PDF printer stands in for the device only)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QComboBox

from station_app.clock import FixedClock
from station_app.domain.masking import mask_id, mask_phone
from station_app.services.paper_service import verify_payload
from station_app.services.query_service import get_case
from station_app.services.session import Session
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, event_count
from tests.factories import major_intake, submit_city_intake
from tests.sync.cityhelp import CITY_ADMIN, cli, make_world, ok, open_store
from tests.ui.conftest import commit_text

A = "232701100001"


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")


def _choose(combo: QComboBox, code: str) -> None:
    combo.setCurrentIndex(combo.findData(code))


def at_station_key(world: Any) -> str:
    """The station's own paper-signing public key (hex), to show a city paper is not signed by it."""
    session = open_store(world.stations[A], ADMIN)
    try:
        return str(session.store.meta("ed25519_public"))
    finally:
        session.close()


def _city_with_cases(tmp_path: Path) -> tuple[Any, str, str]:
    """A city holding one 报送 case and one 重大疑难 case of station A, both routed."""
    world = make_world(tmp_path, (A,))
    station = world.stations[A]
    submitted = ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=json.dumps(submit_city_intake(name="林冲"))))
    major = ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=json.dumps(major_intake(name="武松"))))
    for case in (submitted, major):
        ok(cli("case", "act", case["case_no"], "route", data_dir=station, user=ADMIN, stdin="{}"))
    up = world.stick("up")
    ok(cli("sync", "export", "--to", str(up), data_dir=station, user=ADMIN))
    ok(cli("sync", "import", str(up), data_dir=world.city, user=CITY_ADMIN))
    return world, submitted["case_no"], major["case_no"]


def _city_window(qtbot: Any, world: Any) -> tuple[Session, Any]:
    """The city admin's session and main window, shown."""
    from ui.main_window import MainWindow
    from ui.ops import Runner

    session = open_store(world.city, CITY_ADMIN)
    window = MainWindow(session, Runner())
    qtbot.addWidget(window)
    window.show()
    return session, window


def _act(qtbot: Any, window: Any, case_no: str, action: str, fill: Any) -> Any:
    window.open_case(case_no)
    window.detail.action_buttons[action].click()
    dialog = next(w for w in window.detail.findChildren(object) if type(w).__name__ == "ActionDialog" and w.isVisible())
    fill(dialog)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible() or dialog.print_button.isVisible(), timeout=20000)
    return dialog


def _print_dialog(qtbot: Any, window: Any, kind: str) -> Any:
    def shown() -> Any:
        return next(
            (w for w in window.findChildren(object) if type(w).__name__ == "CasePrintDialog" and w.isVisible()), None
        )

    qtbot.waitUntil(lambda: shown() is not None, timeout=10000)
    dialog = shown()
    qtbot.waitUntil(lambda: dialog.preview is not None and dialog.preview.kind == kind, timeout=20000)
    return dialog


def test_the_city_prints_the_approval_and_the_assignment_after_recording_them(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtPrintSupport import QPrinter

    world, submitted, major = _city_with_cases(tmp_path)
    session, window = _city_window(qtbot, world)

    def approve(dialog: Any) -> None:
        commit_text(dialog.inputs["approver"], "王副市长")
        commit_text(dialog.inputs["document_no"], "漠争议领〔2025〕3号")

    dialog = _act(qtbot, window, major, "approve", approve)
    assert dialog.isVisible() and dialog.paper_kind is not None and dialog.paper_kind.value == "approval"
    assert "领导小组批复" in dialog.print_button.text() and not dialog.ok_button.isVisible()
    assert window.detail.detail.summary.status.value == "in_progress"  # saved before the paper is offered
    before = event_count(session)
    dialog.print_button.click()
    printing = _print_dialog(qtbot, window, "approval")
    assert event_count(session) == before  # the preview is a draft: nothing numbered yet
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "批复.pdf"))
    printing.print_to(printer)
    qtbot.waitUntil(lambda: (tmp_path / "批复.pdf").exists() and printing.result is not None, timeout=20000)
    assert (tmp_path / "批复.pdf").stat().st_size > 1000
    assert event_count(session) == before + 1  # numbered, signed and recorded as it was printed
    text = _text(printing.result.pdf)
    detail = get_case(session, major)
    applicant = detail.intake["applicant"]
    assert "关于社会保险费征缴争议重大疑难事项的批复" in text and "漠争议领〔2025〕3号" in text
    assert "同意按重大疑难事项办理" in text and major in text and "王副市长" in text
    assert mask_id(applicant["id_number"]) in text and applicant["id_number"] not in text
    assert mask_phone(applicant["phone"]) in text and applicant["phone"] not in text
    assert printing.result.paper_no.startswith("漠调批")
    at_station = open_store(world.stations[A], ADMIN)  # the station checks the city's QR by its keyring
    try:
        checked = verify_payload(at_station, printing.result.payload)
    finally:
        at_station.close()
    assert checked.valid and "市级签发" in checked.reason, checked.reason
    assert verify_payload(at_station_key(world), printing.result.payload).valid is False  # not the station's key
    printing.reject()

    def assign(dialog: Any) -> None:
        _choose(dialog.inputs["lead"], "hrss")
        commit_text(dialog.inputs["document_no"], "漠营商交〔2025〕7号")

    dialog = _act(qtbot, window, submitted, "city_assign", assign)
    assert dialog.paper_kind is not None and dialog.paper_kind.value == "assignment"
    dialog.print_button.click()
    printing = _print_dialog(qtbot, window, "assignment")
    draft = _text(printing.preview.pdf)
    assert "社会保险费征缴争议市级交办单" in draft and "漠营商交〔2025〕7号" in draft
    assert "人力资源和社会保障局" in draft
    printing.reject()

    def opinion(dialog: Any) -> None:  # no minutes on record yet: the opinion goes out with no paper
        _choose(dialog.inputs["dept"], "justice")
        commit_text(dialog.inputs["text"], "经审查,补缴请求符合规定,建议依法办理。")

    dialog = _act(qtbot, window, major, "opinion", opinion)
    assert not dialog.isVisible() and dialog.paper_kind is None
    window.shutdown()
    session.close()


def test_a_station_recording_the_city_decision_is_offered_no_paper(head: Any) -> None:
    """A standalone station records the leading group's decision from the city's own 批复: it
    prints none of its own."""
    from station_app.services.case_service import intake, perform
    from station_app.services.city_papers import paper_after_act

    case_no = intake(head, major_intake(name="鲁达")).case_no
    perform(head, case_no, "route", {})
    decision = {"approver": "王副市长", "date": "2025-11-20", "document_no": "漠争议领〔2025〕4号"}
    detail = perform(head, case_no, "approve", decision)
    assert paper_after_act(head, detail, "approve") is None


@pytest.fixture
def city_with_major(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Session, str]]:
    """A city (in this process) holding station A's major case, approved at the city."""
    from station_app.services.case_service import intake, perform
    from sync.exchange import export_due, import_path
    from sync.provisioning import enroll_station, init_city, init_from_provision, provision_station, write_identity

    city, _fp = init_city(tmp_path / "city", "232700", "漠河市", "cadmin", ADMIN_PASSWORD, "recovery-pass-456", clock,
                          FAST_KDF)  # fmt: skip
    provision_station(city, A, "西林吉镇社保费争议调解站", "232701100", None, tmp_path / "prov.json")
    station, _out = init_from_provision(tmp_path / "st", tmp_path / "prov.json", ADMIN, ADMIN_PASSWORD, clock, FAST_KDF)
    write_identity(station, tmp_path / "id.json")
    enroll_station(city, tmp_path / "id.json")
    case_no = intake(station, major_intake(name="史进")).case_no
    perform(station, case_no, "route", {})
    (tmp_path / "up").mkdir()
    export_due(station, tmp_path / "up")
    import_path(city, tmp_path / "up")
    perform(
        city, case_no, "approve", {"approver": "王副市长", "date": "2025-11-20", "document_no": "漠争议领〔2025〕5号"}
    )
    yield city, case_no
    station.close()
    city.close()


def test_the_minutes_and_a_clue_transfer_offer_their_papers_at_the_city(
    qtbot: Any, runner: Any, city_with_major: tuple[Session, str], clock: FixedClock
) -> None:
    from ui.main_window import MainWindow

    city, case_no = city_with_major
    detail = get_case(city, case_no)
    late, *others = [d.dept.value for d in detail.departments]
    from station_app.services.case_service import perform

    for dept in others:
        perform(city, case_no, "opinion", {"dept": dept, "text": "经核查,同意依法补缴。"})
    clock.advance(days=40)  # the last department let its opinion go overdue
    window = MainWindow(city, runner)
    qtbot.addWidget(window)
    window.show()

    def transfer(dialog: Any) -> None:
        _choose(dialog.inputs["dept"], late)
        commit_text(dialog.inputs["reason"], "逾期未提交书面意见,经催办仍未办理。")

    dialog = _act(qtbot, window, case_no, "clue_transfer", transfer)
    assert dialog.paper_kind is not None and dialog.paper_kind.value == "assignment"  # open: the 交办单 goes along
    assert "联办交办单" in dialog.print_button.text()
    dialog.later_button.click()
    assert not dialog.isVisible() and get_case(city, case_no).clue_transferred

    def opinion(dialog: Any) -> None:
        _choose(dialog.inputs["dept"], late)
        commit_text(dialog.inputs["text"], "补交书面意见:同意依法补缴。")

    dialog = _act(qtbot, window, case_no, "opinion", opinion)
    assert not dialog.isVisible() and dialog.paper_kind is None  # no minutes yet: nothing to reprint

    def minutes(dialog: Any) -> None:
        commit_text(dialog.inputs["text"], "会议议定:由税务局牵头核定欠费金额。")
        commit_text(dialog.inputs["attendees"], "税务局、人社局、法院、司法局")

    dialog = _act(qtbot, window, case_no, "minutes", minutes)
    assert dialog.paper_kind is not None and dialog.paper_kind.value == "minutes"
    dialog.print_button.click()
    printing = _print_dialog(qtbot, window, "minutes")
    assert "由税务局牵头核定欠费金额" in _text(printing.preview.pdf)
    printing.reject()
    window.shutdown()


def test_the_city_declines_through_the_dialog_and_its_paper_gives_the_reason(qtbot: Any, tmp_path: Path) -> None:
    """四(二)2: the leading group may refuse; the refusal is the city's 批复 too, and the case goes
    back to ordinary handling."""
    world, _submitted, major = _city_with_cases(tmp_path)
    session, window = _city_window(qtbot, world)

    def decline(dialog: Any) -> None:
        commit_text(dialog.inputs["approver"], "王副市长")
        commit_text(dialog.inputs["document_no"], "漠争议领〔2025〕6号")
        commit_text(dialog.inputs["text"], "涉及金额较小,事实清楚,按一般程序办理即可。")

    dialog = _act(qtbot, window, major, "decline", decline)
    assert dialog.isVisible() and dialog.paper_kind is not None and dialog.paper_kind.value == "approval"
    detail = get_case(session, major)
    assert detail.summary.status.value != "escalated" and detail.note("escalation_declined") is not None
    dialog.print_button.click()
    printing = _print_dialog(qtbot, window, "approval")
    draft = _text(printing.preview.pdf)
    assert "不同意按重大疑难事项办理" in draft and "涉及金额较小" in draft and "漠争议领〔2025〕6号" in draft
    printing.reject()
    window.shutdown()
    session.close()
