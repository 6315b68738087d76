"""The 同步 screen, driven with pytest-qt: export to a folder and import the city's answer, with a
progress bar; what waits and since when, the last ack and the pending list; the status-bar
indicator; rendered to PNG at 1366x768 in normal and large text."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from station_app.clock import FixedClock
from station_app.services.case_service import intake
from station_app.services.session import Session
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF
from tests.factories import intake_json

CITY_ADMIN = "cadmin"
CODE = "232701100001"


@pytest.fixture
def bound(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[Session, Session]]:
    """A city and a station bound to it and enrolled, both open (admin sessions)."""
    from sync.provisioning import enroll_station, init_city, init_from_provision, provision_station, write_identity

    city, _fingerprint = init_city(
        tmp_path / "city", "232700", "漠河市", CITY_ADMIN, ADMIN_PASSWORD, "recovery-pass-456", clock, FAST_KDF
    )
    prov = tmp_path / "prov.json"
    provision_station(city, CODE, "西林吉镇社保费争议调解站", "232701100", None, prov)
    station, _out = init_from_provision(tmp_path / "st", prov, ADMIN, ADMIN_PASSWORD, clock, FAST_KDF)
    write_identity(station, tmp_path / "id.json")
    enroll_station(city, tmp_path / "id.json")
    yield station, city
    station.close()
    city.close()


def _wait_idle(qtbot: Any, view: Any) -> None:
    qtbot.waitUntil(lambda: not view.busy and not view.runner.busy, timeout=30_000)


def test_sync_screen_exports_imports_and_shows_waiting_and_ack(
    qtbot: Any, runner: Any, bound: tuple[Session, Session], tmp_path: Path
) -> None:
    from ui.main_window import MainWindow

    station, city = bound
    for n in range(3):
        intake(station, intake_json(summary=f"反映单位未按实际工资申报缴费基数(第{n + 1}件)。"))
    window = MainWindow(station, runner)
    qtbot.addWidget(window)
    window.show()
    window.go("sync")
    view = window.sync
    qtbot.waitUntil(lambda: view.overview is not None and view.overview.events_waiting > 0, timeout=30_000)
    waiting = view.overview.events_waiting
    assert view.values["peer"].text() == "市级 232700"
    assert view.values["waiting"].text().startswith(f"{waiting} 条记录,最早 ")
    assert view.values["ack"].text() == "尚无"
    assert view.values["relay"].text() == "未配置(只能用U盘同步)"
    assert not view.now_button.isVisible()  # no relay: no 立即同步
    assert window.sync_indicator.text() == f"待同步 {waiting}"
    assert view.target.itemData(view.target.count() - 1) == "<choose>"  # removable drives come first

    seen: list[tuple[str, int, int]] = []
    window.sync_controller.progress.connect(lambda s, d, t: seen.append((s, d, t)))
    stick = tmp_path / "stick"
    stick.mkdir()
    view.export_to_folder(stick)
    assert view.progress.isVisible()
    _wait_idle(qtbot, view)
    assert [p.suffix for p in stick.iterdir()] == [".msb"]
    assert "已导出 1 个同步包" in view.result.text()
    assert any(s == "export" and d == t and t > 0 for s, d, t in seen)  # the bar reached the end
    assert view.progress.value() == view.progress.maximum()
    _shots(qtbot, window, "sync-exported", tmp_path)
    assert list_states(qtbot, window) == {"已导出"}  # every case went on the stick, none acked yet
    window.go("sync")

    # The city imports the stick and writes its answer (the ack) to another folder.
    from sync.exchange import export_due, import_path

    assert import_path(city, stick).events == waiting
    answer = tmp_path / "answer"
    answer.mkdir()
    assert len(export_due(city, answer).bundles) == 1
    view.import_from_folder(answer)
    _wait_idle(qtbot, view)
    assert view.result.text().startswith("已导入 1 个同步包")
    qtbot.waitUntil(lambda: view.overview is not None and view.overview.last_ack_seq is not None, timeout=30_000)
    assert view.values["waiting"].text() == "无,全部已由市级确认"
    assert view.values["ack"].text().startswith(f"至第 {view.overview.last_ack_seq} 条,")
    assert view.values["attention"].text() == "0 条待补齐,0 个冲突"
    qtbot.waitUntil(lambda: window.sync_indicator.text() == "已同步", timeout=30_000)
    _shots(qtbot, window, "sync-acked", tmp_path)
    assert list_states(qtbot, window) == {"市级已确认"}
    window.open_case(window.cases.model.case_at(0).case_no)
    qtbot.waitUntil(lambda: window.detail.sync_state == "市级已确认", timeout=30_000)
    assert window.detail.status_line.text().endswith(" · 同步:市级已确认")


def list_states(qtbot: Any, window: Any, rows: int = 3) -> set[str]:
    """The 同步 column of the case list, once it is shown and its `rows` cases are loaded."""
    from ui.case_table_model import COLUMN_INDEX

    window._on_data_changed()
    window.go("cases")
    column = COLUMN_INDEX["sync"]
    model = window.cases.model

    def states() -> set[str]:
        return {model.data(model.index(row, column)) for row in range(model.rowCount())}

    qtbot.waitUntil(lambda: model.rowCount() == rows and "" not in states() and not window.runner.busy, timeout=30_000)
    assert not window.cases.table.isColumnHidden(column)
    return states()


def test_a_foreign_bundle_folder_reports_refused_and_skipped_files(
    qtbot: Any, runner: Any, bound: tuple[Session, Session], tmp_path: Path
) -> None:
    from ui.main_window import MainWindow

    station, _city = bound
    window = MainWindow(station, runner)
    qtbot.addWidget(window)
    window.show()
    window.go("sync")
    view = window.sync
    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "broken.msb").write_bytes(b"not a bundle at all")
    view.import_from_folder(folder)
    _wait_idle(qtbot, view)
    assert "有 1 个文件未通过校验,未导入:broken.msb" in view.result.text()


def _shots(qtbot: Any, window: Any, name: str, tmp_path: Path) -> None:
    """Render the window at 1366x768 in normal and large text (PNG files in STATION_SHOT_DIR
    when set, to look at; in the test's folder otherwise)."""
    from PySide6.QtWidgets import QApplication

    from ui import theme

    folder = Path(os.environ.get("STATION_SHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance()
    for suffix, scale in (("", 1.0), ("-large", 1.6)):
        theme.apply_theme(app, scale)  # type: ignore[arg-type]
        window.resize(1366, 768)
        qtbot.wait(50)
        image = window.grab().toImage()
        assert (image.width(), image.height()) == (1366, 768)
        assert image.save(str(folder / f"{name}{suffix}.png"))
    theme.apply_theme(app, 1.0)  # type: ignore[arg-type]


def test_first_run_with_a_provisioning_file_binds_the_station_and_shows_both_fingerprints(
    qtbot: Any, tmp_path: Path, clock: FixedClock
) -> None:
    from sync.keys import group_hex
    from sync.provisioning import init_city, provision_station
    from ui.app import DeskApp
    from ui.setup_dialog import SetupDialog

    city, city_fingerprint = init_city(
        tmp_path / "city", "232700", "漠河市", CITY_ADMIN, ADMIN_PASSWORD, "recovery-pass-456", clock, FAST_KDF
    )
    prov = tmp_path / "prov.json"
    provision_station(city, "232701101001", "图强镇社保费争议调解站", "232701101", "https://relay.mohe.example", prov)
    city.close()
    (tmp_path / "forged.json").write_bytes(prov.read_bytes().replace(b"232701101001", b"232701101002"))

    desk = DeskApp(tmp_path / "new", clock=clock)
    dialog = desk.start()
    qtbot.addWidget(dialog)
    assert isinstance(dialog, SetupDialog)
    dialog.use_provision(str(tmp_path / "forged.json"))
    qtbot.waitUntil(lambda: bool(dialog.errors["provision"].text()), timeout=10_000)
    assert "无效" in dialog.errors["provision"].text() and dialog.station_code.isEnabled()

    dialog.use_provision(str(prov))
    qtbot.waitUntil(lambda: dialog.station_code.text() == "232701101001", timeout=10_000)
    assert dialog.station_name.text() == "图强镇社保费争议调解站" and not dialog.station_code.isEnabled()
    assert group_hex(city_fingerprint)[:39] in dialog.city_line.text()  # the first eight groups
    dialog.password.setText(ADMIN_PASSWORD)
    dialog.password2.setText(ADMIN_PASSWORD)
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 1, timeout=30_000)
    station_groups = dialog.station_fingerprint.text().split()
    assert len(station_groups) == 16 and all(len(g) == 4 for g in station_groups)
    assert dialog.city_fingerprint.text().split() == group_hex(city_fingerprint).split()
    assert desk.main is None  # nothing opens before the fingerprints were read out
    dialog.resize(1366, 768)
    folder = Path(os.environ.get("STATION_SHOT_DIR") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(folder / "setup-fingerprints.png"))

    dialog.fingerprints_ok.click()
    qtbot.waitUntil(lambda: desk.main is not None, timeout=20_000)
    qtbot.addWidget(desk.main)
    assert desk.main.session.station_code == "232701101001"
    assert desk.main.session.bound_city() == "232700"
    desk.shutdown()


def test_a_conflict_from_the_city_is_listed_and_opens_its_case(
    qtbot: Any, runner: Any, bound: tuple[Session, Session], tmp_path: Path
) -> None:
    from station_app.services.case_service import perform
    from sync.exchange import export_due, import_path
    from tests.factories import refer_intake
    from ui.main_window import MainWindow

    station, city = bound
    case_no = intake(station, refer_intake(name="张伟")).case_no
    perform(station, case_no, "route", {})
    up, down = tmp_path / "up", tmp_path / "down"
    up.mkdir()
    down.mkdir()
    export_due(station, up)
    assert import_path(city, up).events > 0
    perform(station, case_no, "withdraw", {"reason": "申请人自愿撤回。"})  # meanwhile, at both ends
    perform(city, case_no, "opinion", {"dept": "tax", "text": "应补缴。"})
    export_due(city, down)

    window = MainWindow(station, runner)
    qtbot.addWidget(window)
    window.show()
    window.go("sync")
    view = window.sync
    qtbot.waitUntil(lambda: view.overview is not None, timeout=30_000)
    view.import_from_folder(down)
    _wait_idle(qtbot, view)
    assert "冲突 1 个" in view.result.text()
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=30_000)
    assert view.table.item(0, 0).text() == case_no
    assert view.table.item(0, 1).text() == "冲突:两处修改了同一事项,需站长处理"
    assert view.values["attention"].text() == "0 条待补齐,1 个冲突"
    _shots(qtbot, window, "sync-conflict", tmp_path)
    view.table.selectRow(0)
    view.open_button.click()
    assert window.current_page() == "detail" and window.detail.case_no == case_no
    qtbot.waitUntil(lambda: window.detail.sync_state == "待处理", timeout=30_000)
