"""Settings → 记录核验: a head runs every check of `audit verify` from the desk (progress bar,
off the GUI thread) and reads the verdict; a worker has no such tab; a role edited in place in
the database is reported, naming the account."""

from __future__ import annotations

from typing import Any

from station_app.services.audit_service import audit_all
from station_app.services.session import Session
from station_app.store.station_store import db_path
from tests.conftest import sqlcipher_connect
from tests.ui.conftest import WORKER


def _panel(qtbot: Any, session: Session, runner: Any) -> Any:
    from ui.settings_view import SettingsView

    view = SettingsView(session, runner)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    return view


def test_a_head_verifies_every_record_from_the_desk(
    qtbot: Any, head: Session, worker: Session, runner: Any, tmp_path: Any
) -> None:
    view = _panel(qtbot, head, runner)
    assert view.audit is not None
    view.tabs.setCurrentIndex(view.tabs.indexOf(view.audit))
    assert view.tabs.tabText(view.tabs.currentIndex()) == "记录核验"
    seen: list[tuple[int, int]] = []
    view.audit.progressed.connect(lambda done, total: seen.append((done, total)))
    view.audit.button.click()
    assert not view.audit.button.isEnabled()  # one check at a time
    qtbot.waitUntil(lambda: view.audit.report is not None, timeout=60_000)
    report = view.audit.report
    assert report.ok and report.chain is not None and report.signatures is not None
    verdict = view.audit.result.text()
    assert verdict.startswith("核验通过") and f"共 {report.chain.count} 条记录" in verdict
    assert view.audit.error.isHidden() and view.audit.button.isEnabled()
    view.grab().save(str(tmp_path / "audit-tab.png"))
    assert seen and seen[-1][0] == seen[-1][1] == report.signatures.checked + report.signatures.unsigned + (
        report.signatures.unverifiable
    )
    assert _panel(qtbot, worker, runner).audit is None  # a worker does not audit


def test_a_role_edited_in_place_fails_the_desk_audit_naming_the_account(
    qtbot: Any, head: Session, desk_station: Session, runner: Any, data_dir: Any
) -> None:
    conn = sqlcipher_connect(db_path(data_dir), head.store.key)
    conn.execute("UPDATE users SET role = 'admin' WHERE name = ?", (WORKER,))
    conn.close()
    view = _panel(qtbot, head, runner)
    assert view.audit is not None
    view.audit.run_audit()
    qtbot.waitUntil(lambda: view.audit.report is not None, timeout=60_000)
    assert not view.audit.report.ok and view.audit.result.text() == ""
    assert not view.audit.error.isHidden()
    assert "核验未通过" in view.audit.error.text() and WORKER in view.audit.error.text()
    assert audit_all(head).problem() is not None  # the CLI's audit verify reads the same report
