"""The case list model and screen: lazy pages, search as you type, sorting, colours, reveal."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt

from station_app.clock import CHINA_TZ, FixedClock
from station_app.services.case_service import intake
from station_app.services.query_service import CaseQuery
from station_app.services.session import Session
from station_app.synthetic import make_intake
from tests.conftest import event_count
from tests.factories import intake_json
from tests.ui.conftest import commit_text, settle


@pytest.fixture
def many(worker: Session) -> Session:
    """250 synthetic cases received over the last weeks."""
    from station_app.services.case_service import bulk_intake

    rng = random.Random(9)
    start = datetime(2025, 10, 1, 9, 0, tzinfo=CHINA_TZ)
    items = [make_intake(rng, start + timedelta(hours=3 * i)) for i in range(250)]
    bulk_intake(worker, items)
    return worker


def test_model_fetches_pages_lazily(qtbot: Any, qtmodeltester: Any, many: Session) -> None:
    from ui.case_table_model import CaseTableModel

    model = CaseTableModel(many, page_size=100)
    model.load(CaseQuery())
    assert model.total == 250
    assert model.rowCount() == 100 and model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 200
    model.fetchMore()
    assert model.rowCount() == 250 and not model.canFetchMore()
    qtmodeltester.check(model)
    received = [model.case_at(r).received_at for r in range(model.rowCount())]
    assert received == sorted(received, reverse=True)


def test_sorting_is_done_by_the_store(qtbot: Any, qtmodeltester: Any, many: Session) -> None:
    from ui.case_table_model import COLUMN_INDEX, CaseTableModel

    model = CaseTableModel(many, page_size=50)
    model.load(CaseQuery())
    model.sort(COLUMN_INDEX["case_no"], Qt.SortOrder.AscendingOrder)
    assert model.query.order_by == "case_no" and not model.query.descending
    numbers = [model.case_at(r).case_no for r in range(model.rowCount())]
    assert numbers == sorted(numbers) and numbers[0].endswith("000001")
    model.sort(COLUMN_INDEX["id"], Qt.SortOrder.AscendingOrder)  # masked: not sortable, nothing changes
    assert model.query.order_by == "case_no"
    qtmodeltester.check(model)


def test_due_dates_are_coloured_and_identifiers_masked(
    qtbot: Any, qtmodeltester: Any, worker: Session, clock: FixedClock, runner: Any
) -> None:
    from ui import theme
    from ui.case_table_model import COLUMN_INDEX, CaseTableModel

    data = intake_json(name="孙丽", received_at="2025-11-20T09:30:00+08:00")
    intake(worker, data)  # routing due the next working day, 2025-11-21
    model = CaseTableModel(worker)
    model.load()
    due = model.index(0, COLUMN_INDEX["due"])
    assert model.data(due) == "2025-11-21"
    assert model.data(due, Qt.ItemDataRole.ForegroundRole) is None
    clock.set(datetime(2025, 11, 21, 10, 0, tzinfo=CHINA_TZ))
    model.load()
    assert model.data(due) == "2025-11-21 临期"
    assert model.data(due, Qt.ItemDataRole.ForegroundRole).color() == theme.AMBER
    clock.set(datetime(2025, 11, 24, 10, 0, tzinfo=CHINA_TZ))
    model.load()
    assert model.data(due) == "2025-11-21 已超期"
    assert model.data(due, Qt.ItemDataRole.ForegroundRole).color() == theme.RED
    id_cell = model.index(0, COLUMN_INDEX["id"])
    full_id = data["applicant"]["id_number"]
    assert model.data(id_cell) == full_id[:4] + "*" * 10 + full_id[-4:]
    before = event_count(worker)
    model.reveal(0, "applicant_id", runner)
    settle(qtbot, runner)  # recorded on the runner's writer, then shown
    assert model.data(id_cell) == full_id
    assert event_count(worker) == before + 1  # the reveal is recorded
    model.forget_revealed()
    assert "*" in model.data(id_cell)
    qtmodeltester.check(model)


def test_search_as_you_type_by_two_characters_and_initials(
    qtbot: Any, many: Session, main_window: Any, runner: Any
) -> None:
    wanted = intake(many, intake_json(name="钟馗", received_at="2025-09-01T09:00:00+08:00"))
    main = main_window
    qtbot.keyClick(main, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    view = main.cases
    assert main.current_page() == "cases" and view.search.hasFocus()
    settle(qtbot, runner)
    assert view.model.total == 251
    commit_text(view.search, "钟馗")
    qtbot.waitUntil(lambda: view.model.total == 1, timeout=5000)
    assert view.model.case_at(0).case_no == wanted.case_no
    assert view.count_label.text() == "共 1 件"
    view.search.clear()
    qtbot.keyClicks(view.search, "zk")
    qtbot.waitUntil(lambda: view.model.rowCount() >= 1 and view.search.text() == "zk" and not runner.busy, timeout=5000)
    settle(qtbot, runner)
    assert wanted.case_no in [view.model.case_at(r).case_no for r in range(view.model.rowCount())]
    with qtbot.waitSignal(view.case_opened) as opened:
        qtbot.keyClick(view.search, Qt.Key.Key_Return) if view.model.rowCount() == 1 else view._open_row(
            next(r for r in range(view.model.rowCount()) if view.model.case_at(r).case_no == wanted.case_no)
        )
    assert opened.args == [wanted.case_no]
    assert main.current_page() == "detail"


def test_a_traditional_name_is_found_by_its_simplified_form_and_back(
    qtbot: Any, worker: Session, main_window: Any, runner: Any
) -> None:
    trad = intake(worker, intake_json(name="張偉", employer="漠河市北極林業有限公司")).case_no
    simp = intake(worker, intake_json(name="欧阳修", employer="漠河市松岭物业服务有限公司")).case_no
    intake(worker, intake_json(name="张卫", employer="漠河市兴安运输有限公司"))
    main_window.go("cases")
    view = main_window.cases
    for query, wanted in (("张伟", trad), ("歐陽修", simp), ("北极林业", trad)):
        view.search.clear()
        commit_text(view.search, query)
        qtbot.waitUntil(
            lambda: view.model.rowCount() == 1 and view.model.case_at(0).case_no == wanted,  # noqa: B023
            timeout=5000,
        )
        settle(qtbot, runner)
        assert view.model.total == 1 and view.count_label.text() == "共 1 件", query


def test_filters_and_dashboard_tiles(
    qtbot: Any, many: Session, main_window: Any, runner: Any, clock: FixedClock
) -> None:
    main = main_window
    settle(qtbot, runner)
    dashboard = main.dashboard
    overdue = dashboard.counts["overdue"].text()
    assert overdue.endswith("件")
    qtbot.mouseClick(dashboard.tiles["overdue"], Qt.MouseButton.LeftButton)
    settle(qtbot, runner)
    view = main.cases
    assert main.current_page() == "cases"
    assert view.overdue.isChecked() and view.model.query.overdue
    assert f"共 {overdue.split()[0]} 件" == view.count_label.text()
    assert all(view.model.case_at(r).deadline_state == "overdue" for r in range(view.model.rowCount()))
    view.clear_filters()
    settle(qtbot, runner)
    assert view.model.total == 250
    view.status.setCurrentIndex(view.status.findData("registered"))
    settle(qtbot, runner)
    assert {view.model.case_at(r).status.value for r in range(view.model.rowCount())} == {"registered"}
    main.show_filtered(CaseQuery(waiting_opinions=True))
    settle(qtbot, runner)
    assert view.extra_label.text() == "待部门意见"


def test_rows_model(qtmodeltester: Any) -> None:
    from ui.rows_model import RowsModel

    model = RowsModel(("甲", "乙"))
    model.set_rows([("1", "2"), ("3",)], keys=["a", "b"])
    assert model.key_at(1) == "b" and model.row_texts(1) == ("3", "")
    qtmodeltester.check(model)


def test_clicking_a_header_sorts_on_the_worker(qtbot: Any, many: Session, main_window: Any, runner: Any) -> None:
    from ui.case_table_model import COLUMN_INDEX

    main_window.go("cases")
    view = main_window.cases
    settle(qtbot, runner)
    header = view.table.horizontalHeader()
    header.setSortIndicator(COLUMN_INDEX["case_no"], Qt.SortOrder.AscendingOrder)
    settle(qtbot, runner)
    assert view.model.query.order_by == "case_no" and not view.model.query.descending
    assert view.model.case_at(0).case_no.endswith("000001")
    header.setSortIndicator(COLUMN_INDEX["phone"], Qt.SortOrder.AscendingOrder)  # masked: refused
    settle(qtbot, runner)
    assert header.sortIndicatorSection() == COLUMN_INDEX["case_no"]


def test_a_search_matching_more_than_the_cap_says_so(qtbot: Any, many: Session, main_window: Any, runner: Any) -> None:
    from station_app.services.case_service import bulk_intake
    from station_app.services.query_service import SEARCH_LIMIT

    rng = random.Random(10)
    start = datetime(2025, 9, 1, 9, 0, tzinfo=CHINA_TZ)
    bulk_intake(many, [make_intake(rng, start + timedelta(hours=i)) for i in range(SEARCH_LIMIT - 200)])
    main_window.go("cases")
    view = main_window.cases
    commit_text(view.search, "漠河市")  # every synthetic employer's name starts with it
    qtbot.waitUntil(lambda: view.model.total == SEARCH_LIMIT, timeout=10000)
    assert f"超过 {SEARCH_LIMIT} 件" in view.count_label.text()
    assert "缩小范围" in view.count_label.text()


def test_a_query_too_short_to_search_says_what_is_needed(
    qtbot: Any, many: Session, main_window: Any, runner: Any
) -> None:
    main_window.go("cases")
    view = main_window.cases
    settle(qtbot, runner)
    qtbot.waitUntil(lambda: view.model.total == 250, timeout=5000)
    commit_text(view.search, "张")
    qtbot.waitUntil(lambda: "至少输入两个汉字" in view.count_label.text(), timeout=5000)
    assert view.model.total == 0
    view.search.clear()
    qtbot.waitUntil(lambda: view.model.total == 250, timeout=5000)
    assert view.count_label.text() == "共 250 件"
