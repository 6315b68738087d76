"""Settings → 数据备份: the reminder past the interval, the interval setting, and a backup
written from the button into a chosen folder (off the GUI thread), restorable afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox

from station_app.clock import FixedClock
from station_app.services.backup_service import restore
from station_app.services.session import Session
from tests.conftest import ADMIN, ADMIN_PASSWORD


def _boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_the_backup_tab_reminds_backs_up_and_the_backup_restores(
    qtbot: Any, desk_station: Session, head: Session, worker: Session, runner: Any, clock: FixedClock,
    tmp_path: Path,
) -> None:  # fmt: skip
    from ui.settings_view import SettingsView

    clock.set(datetime.now(clock.now().tzinfo) + timedelta(days=9))  # nine days after the store was made
    view = SettingsView(head, runner)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    tab = view.tabs.indexOf(view.backup)
    assert view.tabs.tabText(tab) == "数据备份(需备份)"
    assert view.backup.last.text() == "上次备份:尚未备份"
    assert view.backup.due.text() == "本站数据建立已 9 天,尚未备份,请立即备份。" and not view.backup.due.isHidden()
    view.tabs.setCurrentIndex(tab)
    view.show()
    view.grab().save(str(tmp_path / "backup-tab.png"))

    view.backup.interval.setValue(30)  # a longer interval: no reminder yet
    view.backup._on_save_clicked()  # saved on the runner's writer
    qtbot.waitUntil(lambda: view.backup.due.isHidden(), timeout=20000)
    assert head.setting("backup_reminder_days") == 30

    folder = tmp_path / "u-disk"
    folder.mkdir()
    view.backup.backup_to(folder)
    qtbot.waitUntil(lambda: bool(_boxes()), timeout=20000)
    box = _boxes()[0]
    assert "备份完成" in box.text() and "已核验" in box.text()
    box.close()
    archives = list(folder.glob("*.stbak"))
    assert len(archives) == 1 and str(archives[0]) in box.text()
    assert view.tabs.tabText(tab) == "数据备份" and view.backup.last.text().startswith("上次备份:20")

    restored = restore(tmp_path / "restored", archives[0], ADMIN, ADMIN_PASSWORD)
    assert restored.events > 0 and restored.moved_aside is None

    worker_view = SettingsView(worker, runner)  # a worker sees the state but cannot back up
    qtbot.addWidget(worker_view)
    assert not worker_view.backup.button.isEnabled() and not worker_view.backup.interval.isEnabled()
