"""The city's 同步 page after a station restored an old backup: the station's row says its
records disagree, the coordinator sends its records back from the page, and the station takes
them in (SYNC.md §3.8; sync/reconcile.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from station_app.services.session import login
from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.sync.cityhelp import CITY_ADMIN, cli, make_world, ok
from tests.sync.test_reconcile import CODE, _case_nos, _restored_behind_the_city


def test_the_coordinator_sends_a_restored_station_its_records_back_from_the_sync_page(
    qtbot: Any, runner: Any, tmp_path: Path
) -> None:
    from ui.city_sync_view import CitySyncView
    from ui.main_window import MainWindow

    w = make_world(tmp_path)
    station, early, late = _restored_behind_the_city(w)
    up = ok(cli("sync", "export", "--to", str(w.stick("up2")), data_dir=station, user=ADMIN))
    refused = cli("sync", "import", up["bundles"][0]["file"], data_dir=w.city, user=CITY_ADMIN)
    assert json.loads(refused.stdout)["fields"]["bundle"] == "fork"

    city = login(w.city, CITY_ADMIN, ADMIN_PASSWORD)
    try:
        window = MainWindow(city, runner)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        window.go("sync")
        view = window.sync
        assert isinstance(view, CitySyncView)
        qtbot.waitUntil(lambda: view.overview is not None, timeout=30_000)
        row = next(r for r in range(view.model.rowCount()) if view.model.key_at(r) == CODE)
        assert view.model.index(row, 2).data() == "在用 · 记录不一致 1"
        assert not view.restore_button.isEnabled()  # 全部调解站: a restore is for one station
        view.station.setCurrentIndex(view.station.findData(CODE))
        assert view.restore_button.isEnabled()

        folder = tmp_path / "restore-stick"
        folder.mkdir()
        view.restore_to_folder(CODE, folder)
        qtbot.waitUntil(lambda: "恢复包" in view.result.text(), timeout=60_000)
        assert str(folder) in view.result.text() and CODE in view.result.text()
        qtbot.waitUntil(lambda: view.model.index(row, 2).data() == "在用", timeout=30_000)
        window.grab().save(str(tmp_path / "city-restore.png"))
    finally:
        city.close()

    got = ok(cli("sync", "import", str(folder), data_dir=station, user=ADMIN))
    assert got["bundles"] == 1 and got["refused"] == []
    assert _case_nos(station, ADMIN) == early | late
