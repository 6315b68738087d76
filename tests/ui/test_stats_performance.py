"""The statistics screen's 绩效考评 tabs (五(四)): per department as lead and as co-handler, per
worker, with charts; the Excel export carries one sheet per view with real numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QDate, Qt

from station_app.services.session import Session
from tests.factories import build_known_station
from tests.ui.conftest import settle


@pytest.fixture
def shown(qtbot: Any, worker: Session, head: Session, clock: Any, main_window: Any, runner: Any) -> Any:
    """The stats screen over November and December of the known station (as of 2025-12-10)."""
    build_known_station(worker, head, clock)
    main_window.go("stats")
    view = main_window.stats
    view.date_from.setDate(QDate(2025, 11, 1))
    view.date_to.setDate(QDate(2025, 12, 31))
    view.reload()
    settle(qtbot, runner)
    assert view.stats is not None and view.stats.total == 8
    return view


def _click_tab(qtbot: Any, view: Any, title: str) -> None:
    bar = view.tabs.tabBar()
    index = next(i for i in range(bar.count()) if bar.tabText(i) == title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert view.tabs.currentIndex() == index


def test_department_tab_shows_lead_and_co_rates(qtbot: Any, shown: Any, qtmodeltester: Any) -> None:
    _click_tab(qtbot, shown, "部门考评")
    tab = shown.departments
    assert tab.isVisible()
    model = tab.model
    qtmodeltester.check(model)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[:4] == ["部门", "角色", "应出具", "按时出具"] and "线索移送" in headers
    rows = [model.row_texts(r) for r in range(model.rowCount())]
    assert rows[0] == (
        "税务局",
        "牵头",
        "4",
        "3",
        "1",
        "0",
        "0",
        "75.0%",
        "25.0%",
        "1",
        "0",
        "1",
    )
    hrss_co = next(r for r in rows if r[:2] == ("人社局", "协办"))
    assert hrss_co[2:9] == ("3", "1", "1", "1", "0", "33.3%", "66.7%") and hrss_co[10] == "1"
    assert [r[:3] for r in rows[-2:]] == [("合计", "牵头", "6"), ("合计", "协办", "4")]
    lead, co, overdue = tab.charts
    assert lead.rows == [("税务局", 0.75), ("人社局", 1.0)]
    assert co.rows == [("税务局", 0.0), ("人社局", pytest.approx(1 / 3))]
    assert dict(overdue.rows) == {"税务局": 2, "人社局": 2}
    assert lead.value_text(0.75) == "75.0%" and "2025-12-10" in tab.note.text() and "退回" in tab.note.text()


def test_worker_tab_shows_routing_reply_and_archive(qtbot: Any, shown: Any, qtmodeltester: Any) -> None:
    _click_tab(qtbot, shown, "人员考评")
    tab = shown.workers
    qtmodeltester.check(tab.model)
    rows = {tab.model.row_texts(r)[0]: tab.model.row_texts(r) for r in range(tab.model.rowCount())}
    assert set(rows) == {"王丽", "赵刚", "合计"}  # display names of the first receivers
    assert rows["王丽"] == ("王丽", "6", "5", "1", "83.3%", "1", "2", "33.3%", "2", "0", "100.0%")
    assert rows["赵刚"] == ("赵刚", "2", "1", "1", "50.0%", "0", "0", "—", "0", "1", "0.0%")
    routing, reply, archive = tab.charts
    assert dict(routing.rows) == {"王丽": pytest.approx(5 / 6), "赵刚": 0.5}
    assert dict(reply.rows)["赵刚"] is None and reply.value_text(None) == "—"
    assert archive.grab().width() > 0 and "首问责任制" in tab.note.text()


def test_excel_has_a_sheet_per_view_with_numbers(qtbot: Any, shown: Any, runner: Any, tmp_path: Path) -> None:
    shown.export_to(tmp_path / "考评")
    settle(qtbot, runner)  # written off the GUI thread
    book = load_workbook(tmp_path / "考评.xlsx")
    assert book.sheetnames[-3:] == ["绩效考评-按调解站", "绩效考评-按部门(牵头、协办)", "绩效考评-按工作人员"]
    depts = book["绩效考评-按部门(牵头、协办)"]
    assert [c.value for c in depts[1]][:3] == ["部门", "角色", "应出具"]
    tax = [c for c in depts[2]]
    assert tax[0].value == "国家税务总局漠河市税务局" and tax[2].value == 4 and tax[3].value == 3
    assert isinstance(tax[2].value, int) and tax[2].number_format == "0"
    assert tax[7].value == 0.75 and tax[7].number_format == "0.0%"  # a rate a spreadsheet can chart
    workers = book["绩效考评-按工作人员"]
    head_row = next(r for r in workers.iter_rows(min_row=2) if r[0].value == "赵刚")
    assert head_row[1].value == 2 and head_row[4].value == 0.5 and head_row[7].value is None  # no reply to rate
    stations = book["绩效考评-按调解站"]
    assert stations["B2"].value == 8 and stations["B3"].value == 8 and stations["A3"].value == "合计"
    assert isinstance(stations["L2"].value, float) and stations["L2"].value == pytest.approx(0.6)


def test_a_station_has_no_station_tab(shown: Any) -> None:
    titles = [shown.tabs.tabText(i) for i in range(shown.tabs.count())]
    assert titles == ["总体情况", "部门考评", "人员考评"] and shown.stations is None


def test_the_city_compares_its_stations(qtbot: Any, tmp_path: Path, qtmodeltester: Any) -> None:
    """五(四) at the city: one row per station by the cases' station, their 合计, and charts by
    the stations' short names."""
    import json
    from datetime import date

    from tests.conftest import ADMIN
    from tests.factories import major_intake, submit_city_intake
    from tests.sync.cityhelp import CITY_ADMIN, STATIONS, cli, make_world, ok, open_store
    from ui.main_window import MainWindow
    from ui.ops import Runner

    a, b = "232701100001", "232701101001"
    world = make_world(tmp_path, (a, b))
    for code, intakes in ((a, (major_intake(name="宋江"), submit_city_intake(name="吴用"))), (b, (major_intake(),))):
        for data in intakes:
            ok(cli("case", "add", data_dir=world.stations[code], user=ADMIN, stdin=json.dumps(data)))
        up = world.stick(f"up-{code}")
        ok(cli("sync", "export", "--to", str(up), data_dir=world.stations[code], user=ADMIN))
        ok(cli("sync", "import", str(up), data_dir=world.city, user=CITY_ADMIN))
    session = open_store(world.city, CITY_ADMIN)
    runner = Runner()
    window = MainWindow(session, runner)
    qtbot.addWidget(window)
    window.show()
    window.go("stats")
    view = window.stats
    view.date_from.setDate(QDate(2025, 1, 1))
    today = date.today()
    view.date_to.setDate(QDate(today.year, today.month, today.day))
    view.reload()
    qtbot.waitUntil(lambda: view.stats is not None and view.stats.total == 3, timeout=20000)
    _click_tab(qtbot, view, "调解站考评")
    tab = view.stations
    assert tab is not None and tab.isVisible()
    qtmodeltester.check(tab.model)
    rows = [tab.model.row_texts(r) for r in range(tab.model.rowCount())]
    assert [(r[0], r[1]) for r in rows] == [("西林吉镇", "2"), ("图强镇", "1"), ("合计", "3")]
    assert STATIONS[a][0].startswith(rows[0][0])
    on_time, _opinions, overdue = tab.charts
    assert [label for label, _ in on_time.rows] == ["西林吉镇", "图强镇"]
    # received 2025-11-20 and never routed: every one of them is open past its deadline
    assert dict(overdue.rows) == {"西林吉镇": 2, "图强镇": 1} and rows[-1][8] == "3"
    window.idle.detach()
    runner.wait()
    session.close()
