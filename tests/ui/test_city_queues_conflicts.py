"""The city's work queues that follow a case after the city acted: assigned 报送 matters waiting
for the department's feedback to the 12345 office (四(五)), and sync conflicts, which a
coordinator settles on the case's screen with both versions in view (DESIGN.md "No silent
overwrite")."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from station_app.services.conflict_service import conflict_panel
from station_app.services.query_service import count_cases, get_case
from station_app.services.queue_service import desk_overview, work_queues
from tests.conftest import ADMIN, FAST_KDF, WORKER, WORKER_PASSWORD
from tests.factories import submit_city_intake
from tests.sync.cityhelp import CITY_ADMIN, STATIONS, cli, make_world, ok, open_store

A = "232701100001"


def _carry(src: Path, src_user: str, dst: Path, dst_user: str, stick: Path) -> dict[str, Any]:
    out = ok(cli("sync", "export", "--to", str(stick), data_dir=src, user=src_user))
    return dict(ok(cli("sync", "import", out["bundles"][-1]["file"], data_dir=dst, user=dst_user)))


def _submitted_at_city(tmp_path: Path, name: str) -> tuple[Any, str]:
    world = make_world(tmp_path)
    station = world.stations[A]
    stdin = json.dumps(submit_city_intake(name=name), ensure_ascii=False)
    case_no = ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=stdin))["case_no"]
    ok(cli("case", "act", case_no, "route", data_dir=station, user=ADMIN, stdin="{}"))
    _carry(station, ADMIN, world.city, CITY_ADMIN, world.stick("up"))
    return world, case_no


def _queue_opened(qtbot: Any, session: Any, queue: str, case_no: str) -> Any:
    """The main window, its dashboard counting one case in `queue`, whose tile opened the list on
    that case alone."""
    from ui.main_window import MainWindow
    from ui.ops import Runner

    window = MainWindow(session, Runner())
    qtbot.addWidget(window)
    window.show()
    window.dashboard.reload()
    qtbot.waitUntil(lambda: window.dashboard.counts[queue].text() != "…", timeout=20000)
    assert window.dashboard.counts[queue].text() == "1 件"
    window.dashboard.tiles[queue].click()  # the tile opens the list on that queue
    qtbot.waitUntil(lambda: window.cases.model.rowCount() == 1, timeout=20000)
    assert window.cases.model.case_at(0).case_no == case_no
    return window


def _feedback_queue(session: Any) -> int:
    return desk_overview(session).count("assigned")


def test_an_assigned_matter_waits_for_the_feedback_to_12345_and_leaves_the_queue_with_it(
    qtbot: Any, tmp_path: Path
) -> None:

    world, case_no = _submitted_at_city(tmp_path, "林冲")
    city = world.city

    def count() -> int:
        session = open_store(city, CITY_ADMIN)
        try:
            return _feedback_queue(session)
        finally:
            session.close()

    assert count() == 0  # submitted, not yet assigned: it waits in 报送待交办 instead
    assign = {"lead": "hrss", "co": ["medical"], "document_no": "漠营商交〔2025〕11号"}
    ok(cli("case", "act", case_no, "city_assign", data_dir=city, user=CITY_ADMIN, stdin=json.dumps(assign)))
    assert count() == 1  # assigned: now the 12345 office waits for the department's feedback
    session = open_store(city, CITY_ADMIN)
    try:  # both departments owe their opinions, due from today's assignment: waiting, not late
        overview = desk_overview(session)
        assert (overview.count("submitted"), overview.count("waiting"), overview.count("overdue")) == (0, 1, 0)
    finally:
        session.close()
    today = date.today().isoformat()
    to_payer = {"text": "人社局已电话答复缴费人。", "date": today, "to": ["payer"]}
    ok(cli("case", "act", case_no, "feedback_12345", data_dir=city, user=CITY_ADMIN, stdin=json.dumps(to_payer)))
    assert count() == 1  # the payer heard back; the 12345 office has not yet

    session = open_store(city, CITY_ADMIN)
    window = _queue_opened(qtbot, session, "assigned", case_no)
    assert "12345" in window.cases.extra_label.text()

    # the feedback to the office through the dialog: the case leaves the queue
    window.open_case(case_no)
    window.detail.action_buttons["feedback_12345"].click()
    dialog = next(w for w in window.detail.findChildren(object) if type(w).__name__ == "ActionDialog" and w.isVisible())
    from tests.ui.conftest import commit_text

    commit_text(dialog.inputs["text"], "人社局已书面反馈市12345热线办。")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible() or dialog.later_button.isVisible(), timeout=20000)
    if dialog.isVisible():
        dialog.later_button.click()
    notes = [n for n in get_case(session, case_no).notes if n["kind"] == "city_feedback_recorded"]
    assert [n["to"] for n in notes] == [["payer"], ["payer", "office"]]
    assert _feedback_queue(session) == 0
    assert count_cases(session, next(q for q in work_queues(session) if q.name == "assigned").query) == 0


def _conflict_world(tmp_path: Path) -> tuple[Any, str]:
    """The city assigns a 报送 matter while the station withdraws it; both sides hold the conflict."""
    world, case_no = _submitted_at_city(tmp_path, "花荣")
    station, city = world.stations[A], world.city
    assign = json.dumps({"lead": "tax", "document_no": "漠营商交〔2025〕9号"}, ensure_ascii=False)
    ok(cli("case", "act", case_no, "city_assign", data_dir=city, user=CITY_ADMIN, stdin=assign))
    ok(cli("case", "act", case_no, "withdraw", data_dir=station, user=ADMIN, stdin='{"reason": "申请人撤回"}'))
    assert _carry(city, CITY_ADMIN, station, ADMIN, world.stick("down"))["conflicts"] == 1
    assert _carry(station, ADMIN, city, CITY_ADMIN, world.stick("up2"))["conflicts"] == 1
    return world, case_no


def test_a_coordinator_sees_a_conflict_with_both_versions_and_keeps_one(qtbot: Any, tmp_path: Path) -> None:

    world, case_no = _conflict_world(tmp_path)
    session = open_store(world.city, CITY_ADMIN)
    window = _queue_opened(qtbot, session, "conflicts", case_no)

    window.open_case(case_no)
    box = window.detail.conflict
    qtbot.waitUntil(lambda: box.isVisible() and len(box.keep_buttons) == 2, timeout=20000)
    assert "状态" in box.title.text()
    panel = box.panel
    assert panel is not None and panel.may_resolve
    by_source = {s.source: s for s in panel.sides}
    assert set(by_source) == {"市级", STATIONS[A][0]}, by_source  # the station by its name
    city_side = by_source["市级"]
    station_side = next(s for s in panel.sides if s is not city_side)
    assert city_side.action == "录入市级交办" and "状态:已流转" in " ".join(city_side.changes)
    assert station_side.action == "撤回" and "状态:撤回" in " ".join(station_side.changes)
    assert station_side.held  # the city stored the station's withdrawal without applying it
    assert all(b.isEnabled() for b in box.keep_buttons)

    keep_station = box.keep_buttons[list(panel.sides).index(station_side)]
    keep_station.click()
    dialog = box.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.submit()  # no reason: refused under its field, nothing recorded
    qtbot.waitUntil(lambda: dialog.reason_error.isVisible(), timeout=20000)
    assert "理由" in dialog.reason_error.text()
    assert conflict_panel(session, case_no) is not None
    from tests.ui.conftest import commit_text

    commit_text(dialog.reason, "申请人已撤回,以调解站为准")
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=20000)
    assert conflict_panel(session, case_no) is None
    assert get_case(session, case_no).summary.status.value == "withdrawn"
    assert desk_overview(session).count("conflicts") == 0

    # the settlement is an event that goes down: the station's conflict closes with it
    _carry(world.city, CITY_ADMIN, world.stations[A], ADMIN, world.stick("down2"))
    (settled,) = ok(cli("sync", "conflicts", "--json", data_dir=world.stations[A], user=ADMIN))
    assert settled["state"] == "resolved"


def test_a_worker_sees_the_conflict_but_may_not_choose(qtbot: Any, tmp_path: Path) -> None:
    from station_app.services.session import login
    from station_app.services.user_service import add_user
    from ui.case_detail_view import CaseDetailView
    from ui.ops import Runner

    world, case_no = _conflict_world(tmp_path)
    station = world.stations[A]
    head = open_store(station, ADMIN)
    add_user(head, WORKER, "worker", WORKER_PASSWORD, "王丽", FAST_KDF)
    head.close()
    worker = login(station, WORKER, WORKER_PASSWORD)
    assert "conflicts" not in {q.name for q in work_queues(worker)}  # not their queue
    head = open_store(station, ADMIN)
    try:  # the station's head has it, with this case in it
        assert desk_overview(head).count("conflicts") == 1
    finally:
        head.close()
    view = CaseDetailView(worker, Runner())
    qtbot.addWidget(view)
    view.show()
    view.open_case(case_no)
    box = view.conflict
    qtbot.waitUntil(lambda: box.isVisible() and len(box.keep_buttons) == 2, timeout=20000)
    assert box.panel is not None and not box.panel.may_resolve
    assert not any(b.isEnabled() for b in box.keep_buttons)
    assert "站长" in box.keep_buttons[0].toolTip()
    sources = {s.source for s in box.panel.sides}
    assert sources == {"本站", "市级"}


def test_the_city_queues_and_a_conflict_fit_1366_in_large_text(qtbot: Any, tmp_path: Path) -> None:
    """Every queue's count, both 保留此版本 buttons and the case's actions stay whole on a
    1366x768 screen, in normal and in large text."""
    from tests.ui.test_desk_day import _fully_visible, desk_window
    from ui.ops import Runner

    world, case_no = _conflict_world(tmp_path)
    session = open_store(world.city, CITY_ADMIN)
    runner = Runner()
    for scale in (1.0, 1.6):
        with desk_window(qtbot, session, runner, scale) as main:
            main.dashboard.reload()
            qtbot.waitUntil(lambda m=main: all(c.text() != "…" for c in m.dashboard.counts.values()), timeout=20000)
            assert main.width() <= 1366 and main.height() <= 768, (scale, main.minimumSizeHint())
            queues = {"submitted", "approval", "waiting", "overdue", "assigned", "conflicts"}
            assert set(main.dashboard.counts) == queues
            for name, count in main.dashboard.counts.items():
                assert _fully_visible(count) and count.text().endswith("件"), (scale, name)
            main.grab().save(str(tmp_path / f"city-dashboard-{scale}.png"))
            main.open_case(case_no)
            box = main.detail.conflict
            qtbot.waitUntil(lambda b=box: b.isVisible() and len(b.keep_buttons) == 2, timeout=20000)
            qtbot.wait(100)
            for button in (*box.keep_buttons, *main.detail.action_buttons.values()):
                assert _fully_visible(button), (scale, button.text())
            main.grab().save(str(tmp_path / f"city-conflict-{scale}.png"))
    runner.wait()
    session.close()
    assert len(list(tmp_path.glob("city-*.png"))) == 4
