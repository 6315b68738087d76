"""The city console's 同步 page: a USB folder imported with a progress bar, return bundles
exported, the relay set by the city's admin and 立即同步 through a real relay (uvicorn on
127.0.0.1); and every city-console Qt model under the model tester."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from station_app.clock import FixedClock
from station_app.errors import PermissionDenied
from station_app.services.case_service import intake
from station_app.services.session import Session, login
from station_app.services.user_service import add_user
from sync.city_sync import set_relay_url
from sync.exchange import export_due
from sync.relay.server import RelayThread, build_service
from sync.relay.settings import RelaySettings
from sync.station_sync import relay_url_of, sync_round
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF
from tests.factories import intake_json, major_intake

CODE = "232701100001"


@pytest.fixture
def linked(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Session, Session, RelayThread]]:
    """A city (no relay address of its own yet), a relay on SQLite, and a station provisioned
    with the relay's address and enrolled, with two cases."""
    from sync.provisioning import (
        enroll_station,
        init_city,
        init_from_provision,
        provision_station,
        write_identity,
        write_keyring,
    )

    city, _fp = init_city(
        tmp_path / "city", "232700", "漠河市", "cadmin", ADMIN_PASSWORD, "recovery-pass-456", clock, FAST_KDF
    )
    keyring = tmp_path / "keyring.json"
    write_keyring(city, keyring)
    (tmp_path / "relay").mkdir()
    service = build_service(
        keyring, f"sqlite:///{tmp_path / 'relay' / 'relay.db'}", tmp_path / "relay" / "blobs", RelaySettings()
    )
    relay = RelayThread(service).__enter__()
    provision_station(city, CODE, "西林吉镇社保费争议调解站", "232701100", relay.url, tmp_path / "prov.json")
    station, _out = init_from_provision(tmp_path / "st", tmp_path / "prov.json", ADMIN, ADMIN_PASSWORD, clock, FAST_KDF)
    write_identity(station, tmp_path / "id.json")
    enroll_station(city, tmp_path / "id.json")
    intake(station, intake_json(name="李逵", summary="反映单位未按实际工资申报缴费基数。"))
    intake(station, major_intake(name="宋江"))
    yield station, city, relay
    relay.stop()
    station.close()
    city.close()


def _page(qtbot: Any, runner: Any, city: Session) -> tuple[Any, Any]:
    from ui.city_sync_view import CitySyncView
    from ui.main_window import MainWindow

    window = MainWindow(city, runner)
    qtbot.addWidget(window)
    window.show()
    assert not window.nav.item(4).isHidden()  # 同步 is on the city's navigation
    window.go("sync")
    assert isinstance(window.sync, CitySyncView)
    view = window.sync
    qtbot.waitUntil(lambda: view.overview is not None, timeout=30_000)
    return window, view


def test_the_city_imports_a_usb_folder_and_exports_return_bundles(
    qtbot: Any, runner: Any, qtmodeltester: Any, linked: tuple[Session, Session, RelayThread], tmp_path: Path
) -> None:
    station, city, _relay = linked
    up = tmp_path / "up"
    up.mkdir()
    export_due(station, up)
    window, view = _page(qtbot, runner, city)
    assert not view.now_button.isVisible()  # no relay for the city yet: USB only
    assert view.relay.text() == "未配置(只能用U盘同步)"
    row = view.model.row_texts(0)
    assert row[:3] == (CODE, "西林吉镇社保费争议调解站", "在用") and row[4] == "0"  # nothing held yet

    figures: list[tuple[int, int]] = []
    window.sync_controller.progress.connect(lambda _stage, done, total: figures.append((done, total)))
    view.import_from_folder(up)
    assert view.progress.isVisible() and not view.import_button.isEnabled()  # busy while it runs
    qtbot.waitUntil(lambda: not view.busy, timeout=60_000)
    assert figures and figures[-1][0] == figures[-1][1] > 0  # the bar ended full
    assert view.result.text().startswith("已导入 1 个同步包")
    qtbot.waitUntil(lambda: int(view.model.row_texts(0)[4]) > 0, timeout=30_000)  # events held
    assert view.model.row_texts(0)[5] != "—"  # last bundle received

    down = tmp_path / "down"
    down.mkdir()
    view.station.setCurrentIndex(view.station.findData(CODE))
    view.export_to_folder(down)
    qtbot.waitUntil(lambda: not view.busy, timeout=60_000)
    assert len(list(down.glob("*.msb"))) == 1 and CODE in view.result.text()
    qtbot.waitUntil(lambda: view.model.row_texts(0)[6] != "—", timeout=30_000)  # last export
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.attention)
    window.shutdown()


def test_the_city_admin_sets_the_relay_and_syncs_now(
    qtbot: Any, runner: Any, linked: tuple[Session, Session, RelayThread], tmp_path: Path, clock: FixedClock
) -> None:
    station, city, relay = linked
    window, view = _page(qtbot, runner, city)
    assert view.relay_edit.isVisible() and not view.now_button.isVisible()
    view.set_relay("ftp://relay.example")
    qtbot.waitUntil(lambda: bool(view.relay_error.text()), timeout=30_000)
    assert relay_url_of(city) is None  # refused: nothing stored
    view.set_relay(relay.url)
    qtbot.waitUntil(lambda: view.relay.text() == relay.url, timeout=30_000)
    qtbot.waitUntil(lambda: view.now_button.isVisible(), timeout=30_000)
    # background rounds for the city too, once the controller has read the relay back
    qtbot.waitUntil(lambda: window.sync_controller.timer.isActive(), timeout=30_000)

    view.sync_now()  # hands the relay the keyring that holds the station
    qtbot.waitUntil(lambda: not view.busy and not window.sync_controller.running, timeout=60_000)
    assert view.last_round.text().endswith("同步完成:上传 1 个同步包,接收 0 个。")  # what waited for the station
    sent = sync_round(station, str(relay_url_of(station))).to_json()
    assert len(sent["sent"]) == 1
    view.sync_now()
    qtbot.waitUntil(lambda: not view.busy and not window.sync_controller.running, timeout=60_000)
    assert "接收 1 个" in view.last_round.text() and not view.error.text()
    qtbot.waitUntil(lambda: int(view.model.row_texts(0)[4]) > 0, timeout=30_000)  # the station's events held

    relay.stop()
    view.sync_now()
    qtbot.waitUntil(lambda: not view.busy and not window.sync_controller.running, timeout=60_000)
    assert "未完成" in view.last_round.text() and view.error.text().startswith("无法连接中转")
    window.shutdown()

    add_user(city, "coord", "coordinator", ADMIN_PASSWORD, "市级协调员", FAST_KDF)
    coordinator = login(city.data_dir, "coord", ADMIN_PASSWORD, clock)
    try:
        with pytest.raises(PermissionDenied):  # only the city's admin sets the relay
            set_relay_url(coordinator, "https://relay.mohe.example")
    finally:
        coordinator.close()


def test_the_stations_page_and_the_city_case_list_pass_the_model_tester(
    qtbot: Any, runner: Any, qtmodeltester: Any, linked: tuple[Session, Session, RelayThread], tmp_path: Path
) -> None:
    from sync.exchange import import_path
    from ui.stations_view import StationsView

    station, city, _relay = linked
    up = tmp_path / "up"
    up.mkdir()
    export_due(station, up)
    import_path(city, up)
    view = StationsView(city, runner)
    qtbot.addWidget(view)
    view.show()
    view.reload()
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=30_000)
    qtmodeltester.check(view.model)

    window, _sync = _page(qtbot, runner, city)
    window.go("cases")
    cases = window.cases
    cases.station.setCurrentIndex(cases.station.findData(CODE))
    qtbot.waitUntil(lambda: cases.model.rowCount() == 2, timeout=30_000)
    qtmodeltester.check(cases.model)
    first = cases.model.case_at(0)
    assert first is not None and first.station_code == CODE
    window.open_case(first.case_no)  # a station's case in the city's detail view
    qtbot.waitUntil(lambda: window.detail.timeline.rowCount() > 0, timeout=30_000)
    qtmodeltester.check(window.detail.timeline)
    qtmodeltester.check(window.detail.departments)
    window.go("stats")  # 绩效考评 over the station's cases held at the city
    window.stats.date_from.setDate(window.stats.date_from.date().addDays(-400))
    window.stats.reload()
    qtbot.waitUntil(lambda: window.stats.departments.model is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.stats.departments.model.rowCount() > 0, timeout=30_000)
    qtmodeltester.check(window.stats.departments.model)
    qtbot.waitUntil(lambda: window.stats.workers.model is not None, timeout=30_000)
    qtmodeltester.check(window.stats.workers.model)
    window.go("settings")  # the city admin's accounts
    users = window.settings.users
    assert users is not None
    users.refresh()
    qtbot.waitUntil(lambda: users.model.rowCount() > 0, timeout=30_000)
    qtmodeltester.check(users.model)
    window.shutdown()


def test_the_screenshot_command_knows_a_city_store(linked: tuple[Session, Session, RelayThread]) -> None:
    from ui.screenshots import holds_city_store

    station, city, _relay = linked
    assert holds_city_store(city.data_dir) and not holds_city_store(station.data_dir)
    assert not holds_city_store(city.data_dir / "nothing-here")


def test_the_demo_city_is_built_through_provisioning_enrolment_and_bundles(tmp_path: Path) -> None:
    """What `station-app screenshot` renders when it is given no city store."""
    from station_app.services.query_service import CaseQuery, list_cases
    from station_app.services.queue_service import desk_overview
    from sync.demo_city import build_demo_city
    from sync.provisioning import list_stations

    demo = build_demo_city(tmp_path / "demo-city", 12, kdf=FAST_KDF)
    session = login(demo.data_dir, demo.coordinator, demo.password)
    try:
        assert session.is_city and session.role.value == "coordinator"
        stations = list_stations(session)
        assert [s["station_code"] for s in stations] == list(demo.stations)
        assert all(s["fingerprint"] and s["events_held"] > 0 and s["status"] == "active" for s in stations)
        for code in demo.stations:  # every station's cases came up, and three wait on the city
            assert len(list_cases(session, CaseQuery(station=code), limit=100)) == 12 + 3
        overview = desk_overview(session)
        assert overview.count("submitted") >= 5 and overview.count("approval") >= 3
        # one matter the city assigned while its station withdrew it: a conflict to settle
        assert overview.count("conflicts") == 1 and overview.count("assigned") == 1
    finally:
        session.close()


def test_the_screenshots_of_a_city_store_are_taken_as_its_user(
    qapp: Any, linked: tuple[Session, Session, RelayThread], tmp_path: Path
) -> None:
    """`station-app screenshot --data-dir CITY --user NAME` renders that city's console."""
    from PySide6.QtGui import QImage

    from sync.exchange import import_path
    from ui.screenshots import CityLogin, render_city

    station, city, _relay = linked
    up = tmp_path / "up"
    up.mkdir()
    export_due(station, up)
    import_path(city, up)
    files = render_city(qapp, tmp_path / "shots", False, CityLogin(city.data_dir, "cadmin", ADMIN_PASSWORD))
    names = [f.name for f in files]
    assert names[:3] == ["01-city-dashboard.png", "02-city-cases.png", "03-city-stations.png"]
    assert {"08-city-sync.png", "10-city-performance.png"} <= set(names)
    for path in files:
        image = QImage(str(path))
        assert not image.isNull() and image.width() > 400, path.name
        if path.name != "07-city-action.png":
            assert (image.width(), image.height()) == (1366, 768), path.name
