"""The city console: a coordinator's desk over every station's cases (DESIGN.md "City console").
Dialogs for the city's acts write events in the station's stream, which go down to the station."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox

from station_app.services.query_service import get_case
from tests.conftest import ADMIN
from tests.factories import major_intake, submit_city_intake
from tests.sync.cityhelp import CITY_ADMIN, cli, make_world, ok, open_store
from tests.ui.conftest import commit_text

A, B = "232701100001", "232701101001"


def _choose(combo: QComboBox, code: str) -> None:
    combo.setCurrentIndex(combo.findData(code))


def _act(qtbot: Any, window: Any, case_no: str, action: str, fill: Any) -> None:
    window.open_case(case_no)
    assert action in window.detail.action_buttons, (action, list(window.detail.action_buttons))
    window.detail.action_buttons[action].click()
    dialog = next(w for w in window.detail.findChildren(object) if type(w).__name__ == "ActionDialog" and w.isVisible())
    fill(dialog)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible() or dialog.later_button.isVisible(), timeout=20000)
    if dialog.isVisible():  # saved; the paper that goes with the act is printed another time
        dialog.later_button.click()
    assert not dialog.isVisible()


def test_a_coordinator_assigns_approves_and_records_an_opinion_that_reach_the_station(
    qtbot: Any, tmp_path: Path
) -> None:
    from ui.main_window import MainWindow
    from ui.ops import Runner

    world = make_world(tmp_path, (A, B), enroll=False)
    ident = tmp_path / "id-a.json"
    ok(cli("sync", "identity", "--out", str(ident), data_dir=world.stations[A], user=ADMIN))
    ok(cli("city", "enroll", str(ident), data_dir=world.city, user=CITY_ADMIN))
    station = world.stations[A]
    submitted = ok(
        cli("case", "add", data_dir=station, user=ADMIN, stdin=json.dumps(submit_city_intake(name="鲁智深")))
    )
    major = ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=json.dumps(major_intake(name="武松"))))
    for case in (submitted, major):
        ok(cli("case", "act", case["case_no"], "route", data_dir=station, user=ADMIN, stdin="{}"))
    up = world.stick("up")
    ok(cli("sync", "export", "--to", str(up), data_dir=station, user=ADMIN))
    ok(cli("sync", "import", str(up), data_dir=world.city, user=CITY_ADMIN))

    session = open_store(world.city, CITY_ADMIN)
    window = MainWindow(session, Runner())
    qtbot.addWidget(window)
    window.show()
    # the city takes in no case and manages its stations
    assert window.nav.item(1).isHidden() and not window.nav.item(6).isHidden()
    assert not window.menu_actions["intake"].isVisible()
    window.dashboard.reload()
    qtbot.waitUntil(lambda: window.dashboard.counts["submitted"].text() != "…", timeout=20000)
    assert "1" in window.dashboard.counts["submitted"].text() and "1" in window.dashboard.counts["approval"].text()
    # every station's cases in one list, filtered by station
    window.go("cases")
    stations = window.cases.station
    assert stations.isVisibleTo(window) and {stations.itemData(i) for i in range(1, stations.count())} == {A, B}
    _choose(stations, B)
    qtbot.waitUntil(lambda: window.cases.model.rowCount() == 0, timeout=20000)
    _choose(stations, A)
    qtbot.waitUntil(lambda: window.cases.model.rowCount() == 2, timeout=20000)

    def assign(dialog: Any) -> None:
        _choose(dialog.inputs["lead"], "hrss")
        commit_text(dialog.inputs["document_no"], "漠营商交〔2025〕7号")

    _act(qtbot, window, submitted["case_no"], "city_assign", assign)
    assert window.detail.detail.summary.status.value == "routed"

    def approve(dialog: Any) -> None:
        commit_text(dialog.inputs["approver"], "王副市长")
        commit_text(dialog.inputs["document_no"], "漠争议领〔2025〕3号")

    _act(qtbot, window, major["case_no"], "approve", approve)
    assert window.detail.detail.summary.status.value == "in_progress"

    def opinion(dialog: Any) -> None:
        _choose(dialog.inputs["dept"], "justice")
        commit_text(dialog.inputs["text"], "经审查,补缴请求符合规定,建议依法办理。")

    _act(qtbot, window, major["case_no"], "opinion", opinion)
    session.close()
    window.close()

    down = world.stick("down")
    sent = ok(cli("sync", "export", "--to", str(down), data_dir=world.city, user=CITY_ADMIN))
    assert [b["recipient"] for b in sent["bundles"]] == [A]
    ok(cli("sync", "import", str(down), data_dir=station, user=ADMIN))
    at_station = open_store(station, ADMIN)
    try:
        assigned = get_case(at_station, submitted["case_no"])
        approved = get_case(at_station, major["case_no"])
    finally:
        at_station.close()
    assert assigned.summary.status.value == "routed" and assigned.summary.lead is not None
    assert assigned.summary.lead.value == "hrss"
    assert approved.summary.status.value == "in_progress" and approved.approved
    assert any(d.dept.value == "justice" and d.opinion for d in approved.departments)
    city_events = {e.type for e in approved.timeline if e.author.startswith("city:")}
    assert {"escalation_approved", "opinion_recorded"} <= city_events


def test_the_stations_page_enrolls_after_the_phone_check_and_revokes_with_a_reason(qtbot: Any, tmp_path: Path) -> None:
    from ui.ops import Runner
    from ui.stations_view import StationsView

    world = make_world(tmp_path, (A, B), enroll=False)
    ident = tmp_path / "id-b.json"
    ok(cli("sync", "identity", "--out", str(ident), data_dir=world.stations[B], user=ADMIN))
    session = open_store(world.city, CITY_ADMIN)
    view = StationsView(session, Runner())
    qtbot.addWidget(view)
    view.show()
    view.reload()
    qtbot.waitUntil(lambda: view.model.rowCount() == 2, timeout=20000)
    junk = tmp_path / "junk.json"
    junk.write_text("{}", encoding="utf-8")
    assert view.enroll_file(junk) is None  # not an identity file: nothing enrolled
    dialog = view.enroll_file(ident)
    assert dialog is not None and not dialog.ok_button.isEnabled()  # not before the phone check
    assert len(dialog.fingerprint.text().split()) == 16
    dialog.findChild(QCheckBox).setChecked(True)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: any(s["station_code"] == B and s["fingerprint"] for s in view.stations), timeout=20000)
    view.revoke(B, "")  # a reason is required: refused
    assert next(s for s in view.stations if s["station_code"] == B)["status"] == "active"
    view.revoke(B, "设备遗失")
    qtbot.waitUntil(
        lambda: next(s for s in view.stations if s["station_code"] == B)["status"] == "revoked", timeout=20000
    )
    texts = [view.model.row_texts(r) for r in range(view.model.rowCount())]
    assert any(t[0] == B and t[2] == "已吊销" for t in texts)
    session.close()


def test_the_stations_page_shows_what_waits_to_go_down_and_the_last_acknowledgement(qtbot: Any, tmp_path: Path) -> None:
    from ui.ops import Runner
    from ui.stations_view import StationsView

    world = make_world(tmp_path, (A,))
    station, city = world.stations[A], world.city
    case_no = ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=json.dumps(submit_city_intake())))["case_no"]
    ok(cli("case", "act", case_no, "route", data_dir=station, user=ADMIN, stdin="{}"))
    up = world.stick("up")
    ok(cli("sync", "export", "--to", str(up), data_dir=station, user=ADMIN))
    ok(cli("sync", "import", str(up), data_dir=city, user=CITY_ADMIN))
    assign = {"lead": "hrss", "document_no": "漠营商交〔2025〕12号"}
    ok(cli("case", "act", case_no, "city_assign", data_dir=city, user=CITY_ADMIN, stdin=json.dumps(assign)))

    def row(view: Any) -> dict[str, str]:
        cols = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(view.model.columnCount())]
        return dict(zip(cols, view.model.row_texts(0)))

    def shown() -> Any:
        session = open_store(city, CITY_ADMIN)
        view = StationsView(session, Runner())
        qtbot.addWidget(view)
        view.show()
        view.reload()
        qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=20000)
        texts = row(view)
        session.close()
        return texts

    before = shown()
    assert before["编码"] == A and int(before["已收事件"]) > 0
    assert int(before["待下发事件"]) >= 1 and before["站点最近确认"] == "—"  # the assignment waits to go down
    down = world.stick("down")
    ok(cli("sync", "export", "--to", str(down), data_dir=city, user=CITY_ADMIN))
    ok(cli("sync", "import", str(down), data_dir=station, user=ADMIN))
    up2 = world.stick("up2")  # the station's next bundle carries its acknowledgement
    ok(cli("sync", "export", "--to", str(up2), data_dir=station, user=ADMIN))
    ok(cli("sync", "import", str(up2), data_dir=city, user=CITY_ADMIN))
    after = shown()
    assert after["待下发事件"] == "0" and after["站点最近确认"][:2] == "20"


def test_the_first_run_makes_a_city_store_and_shows_its_fingerprint(qtbot: Any, tmp_path: Path) -> None:
    from ui.ops import Runner
    from ui.setup_dialog import SetupDialog

    dialog = SetupDialog(tmp_path / "city", Runner())
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.station_code.isVisible() and not dialog.recovery.isVisible()
    dialog.kind_city.setChecked(True)
    assert dialog.recovery.isVisible() and not dialog.station_code.isVisible()
    dialog.password.setText("harbor-gate-6614")
    dialog.password2.setText("harbor-gate-6614")
    dialog.recovery.setText("harbor-gate-6614")
    dialog.recovery2.setText("harbor-gate-6614")
    dialog.create_button.click()  # the recovery passphrase must differ from the login password
    qtbot.waitUntil(lambda: dialog.create_button.isEnabled(), timeout=30000)
    assert dialog.errors["recovery_passphrase"].text() and not (tmp_path / "city" / "keys.json").exists()
    dialog.recovery.setText("distant-ridge-4417")
    dialog.recovery2.setText("distant-ridge-4417")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=60000)
    assert len(dialog.city_fingerprint.text().split()) == 16 and not dialog.station_fingerprint.isVisible()
    with qtbot.waitSignal(dialog.station_created, timeout=10000) as created:
        dialog.fingerprints_ok.click()
    session = created.args[0]
    assert session.is_city and session.station_code == "232700"
    session.close()


def test_the_city_statistics_name_each_station(tmp_path: Path) -> None:
    world = make_world(tmp_path, (A,))
    station = world.stations[A]
    ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=json.dumps(major_intake(name="宋江"))))
    up = world.stick("up")
    ok(cli("sync", "export", "--to", str(up), data_dir=station, user=ADMIN))
    ok(cli("sync", "import", str(up), data_dir=world.city, user=CITY_ADMIN))
    figures = ok(cli("stats", "--from", "2025-01-01", "--to", "2026-12-31", "--json", data_dir=world.city,
                     user=CITY_ADMIN))  # fmt: skip
    rows = figures["stations"]
    assert [(r["code"], r["label"]) for r in rows] == [(A, "西林吉镇社保费争议调解站")]
