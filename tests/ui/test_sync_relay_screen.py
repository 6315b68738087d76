"""立即同步 and background sync in the app through a real relay (uvicorn on 127.0.0.1): the
status-bar indicator goes 待同步 N -> 已同步, and 无法连接中转 when the relay is down; never
two rounds at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from station_app.clock import FixedClock
from station_app.services.case_service import intake
from station_app.services.session import Session
from sync.relay.server import RelayThread, build_service
from sync.relay.settings import RelaySettings
from sync.station_sync import sync_round
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF
from tests.factories import intake_json
from tests.ui.test_sync_screen import list_states

CODE = "232701100001"


@pytest.fixture
def linked(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Session, Session, RelayThread]]:
    """A city, a relay on SQLite, and a station provisioned with the relay's address and enrolled;
    the relay has the city's keyring with the station in it."""
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
    sync_round(city, relay.url)  # hands the relay the keyring that holds the station
    yield station, city, relay
    relay.stop()
    station.close()
    city.close()


def test_sync_now_and_the_indicator_through_a_real_relay(
    qtbot: Any, runner: Any, linked: tuple[Session, Session, RelayThread]
) -> None:
    from ui.main_window import MainWindow

    station, city, relay = linked
    for n in range(2):
        intake(station, intake_json(summary=f"反映单位未按实际工资申报缴费基数(第{n + 1}件)。"))
    window = MainWindow(station, runner)
    qtbot.addWidget(window)
    window.show()
    window.go("sync")
    view, controller = window.sync, window.sync_controller
    qtbot.waitUntil(lambda: view.overview is not None and view.overview.events_waiting > 0, timeout=30_000)
    assert view.values["relay"].text() == relay.url
    assert view.now_button.isVisible() and controller.timer.isActive()  # background sync is on
    assert controller.timer.interval() == 5 * 60_000
    waiting = view.overview.events_waiting
    assert window.sync_indicator.text() == f"待同步 {waiting}"

    stages: list[str] = []
    figures: list[tuple[str, int, int]] = []
    controller.progress.connect(lambda stage, _d, _t: stages.append(stage))
    controller.progress.connect(lambda stage, done, total: figures.append((stage, done, total)))
    view.sync_now()
    assert view.progress.isVisible()  # the bar shows from the start of the round
    assert controller.running and not controller.sync_now()  # never two rounds at once
    qtbot.waitUntil(lambda: not controller.running and not view.busy, timeout=60_000)
    assert view.result.text().startswith("同步完成:上传 1 个同步包,接收 ")
    assert "upload" in stages
    assert any(s == "upload" and 0 < t == d for s, d, t in figures)  # the upload's bytes reached the end
    assert view.progress.value() == view.progress.maximum()
    qtbot.waitUntil(lambda: view.overview.last_upload is not None, timeout=30_000)
    assert window.sync_indicator.text() == f"待同步 {waiting}"  # at the relay, not yet acknowledged
    assert list_states(qtbot, window, rows=2) == {"已上传中转"}  # the case list's 同步 column

    city_round = sync_round(city, relay.url).to_json()  # the city takes it and answers with the ack
    assert city_round["received"]["events"] == waiting
    controller.timer.timeout.emit()  # what the timer does every few minutes
    qtbot.waitUntil(lambda: not controller.running, timeout=60_000)
    qtbot.waitUntil(lambda: window.sync_indicator.text() == "已同步", timeout=30_000)
    assert view.overview.last_ack_seq is not None
    assert list_states(qtbot, window, rows=2) == {"市级已确认"}

    relay.stop()
    controller.sync_now()
    qtbot.waitUntil(lambda: not controller.running, timeout=60_000)
    qtbot.waitUntil(lambda: window.sync_indicator.text() == "无法连接中转", timeout=30_000)
    assert view.error.text() == "无法连接中转,数据未丢失。可稍后重试,或改用U盘同步。"
