"""Render every main screen of a fresh demo station offscreen to PNG (README and review)."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from station_app.filelock import try_lock

NORMAL = ((1366, 768), 1.0)
LARGE = ((1366, 768), 1.6)  # the largest text on the smallest screen the stations have


def settle(runner: Any = None, ms: int = 200, until: Callable[[], bool] | None = None) -> None:
    """Let queued work, worker ops and painting finish."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + 10
    while True:
        QApplication.processEvents()
        if runner is not None:
            runner.wait()
        QApplication.processEvents()
        if until is None or until() or time.monotonic() > deadline:
            break
        loop = QEventLoop()
        QTimer.singleShot(50, loop.quit)
        loop.exec()
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()
    QApplication.processEvents()


def fill_intake(view: Any) -> None:
    """Half a conversation: who, against whom, what, when (no summary yet)."""
    from station_app.synthetic import make_id, make_phone

    rng = random.Random(11)
    form = view.form
    form.applicant_name.setText("李秀兰")
    form.applicant_id.setText(make_id(rng, birth=date(1968, 4, 12), region="232723"))
    form.applicant_phone.setText(make_phone(rng))
    employers = list(form.known_uscc.items())
    name, uscc = employers[0] if employers else ("漠河市北极林业有限公司", "")
    form.respondent_name.setText(name)
    form.respondent_uscc.setText(uscc)
    form.category.setCurrentIndex(form.category.findData(4))
    form.insurance["pension"].setChecked(True)
    row = form.periods.add_period("2023-10", "2024-06")
    row.end.setFocus()
    form.amount.setText("18600")
    view.update_routing()


def _shot(widget: Any, path: Path, files: list[Path]) -> None:
    widget.grab().save(str(path))
    files.append(path)


SCRATCH_PREFIX = "station-shots-"
SCRATCH_LOCK = ".in-use"
UNLOCKED_GRACE_S = 120  # a folder just made may not hold its lock yet


def sweep_scratch(base: Path | None = None) -> list[Path]:
    """Remove the demo stations that killed screenshot runs left in the temp folder: a scratch
    folder whose lock nobody holds (its run is gone, whatever killed it). Returns what it removed."""
    base = base or Path(tempfile.gettempdir())
    removed: list[Path] = []
    for folder in base.glob(SCRATCH_PREFIX + "*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        lock = folder / SCRATCH_LOCK
        try:
            if not lock.exists():
                if time.time() - folder.stat().st_mtime < UNLOCKED_GRACE_S:
                    continue
            else:
                fd = os.open(lock, os.O_RDWR)
                try:
                    if not try_lock(fd):
                        continue  # a run in progress
                finally:
                    os.close(fd)
            shutil.rmtree(folder)
            removed.append(folder)
        except OSError:
            continue
    return removed


@contextmanager
def scratch_station_dir() -> Iterator[Path]:
    """A private temp folder for the demo station, locked while this run lives and removed when
    it ends; one left by a run that was killed (SIGKILL, power cut) is removed by the next run
    (`sweep_scratch`). Never in the user's data folder."""
    sweep_scratch()
    folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    fd = os.open(folder / SCRATCH_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try_lock(fd)
        yield folder
    finally:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class CityLogin:
    """A city store to render, and the account (a coordinator or the admin) to render it as."""

    data_dir: Path
    user: str
    password: str


def _pick_case(session: Any, action: str) -> str | None:
    """A case of the city whose detail offers `action` now (none: None)."""
    from station_app.services.query_service import CaseQuery, get_case, list_cases

    status = {"approve": "escalated", "city_assign": "submitted"}.get(action)
    for summary in list_cases(session, CaseQuery(status=status), limit=20):
        detail = get_case(session, summary.case_no)
        if action in detail.allowed_actions and not detail.why_not(action):
            return summary.case_no
    return None


def _conflicted_case(session: Any) -> str | None:
    """A case of the city with an open sync conflict (none: None)."""
    from station_app.services.query_service import CaseQuery, list_cases

    found = list_cases(session, CaseQuery(conflicted=True), limit=1)
    return found[0].case_no if found else None


def render_city(app: Any, out: Path, large: bool, city: CityLogin) -> list[Path]:
    """The city console's screens: work queues, every station's cases filtered by station, a
    city act's dialog, a case with a sync conflict (when there is one), the stations page, the
    同步 page and 绩效考评 per department and per station (files in `out`)."""
    from station_app.services.session import login
    from ui import theme
    from ui.main_window import MainWindow
    from ui.ops import Runner

    (width, height), scale = LARGE if large else NORMAL
    suffix = "-large" if large else ""
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    theme.apply_theme(app, scale)  # the store's own font setting is left as it is
    session = login(city.data_dir, city.user, city.password)
    runner = Runner()
    main = MainWindow(session, runner)
    try:
        main.show()
        main.resize(width, height)
        settle(runner, 300, until=lambda: "…" not in "".join(c.text() for c in main.dashboard.counts.values()))
        _shot(main, out / f"01-city-dashboard{suffix}.png", files)
        main.go("cases")
        combo = main.cases.station
        settle(runner, 200)
        if combo.count() > 2:
            combo.setCurrentIndex(2)
        settle(runner, 300, until=lambda: main.cases.model.rowCount() > 0)
        _shot(main, out / f"02-city-cases{suffix}.png", files)
        main.go("stations")
        settle(runner, 300, until=lambda: main.stations.model.rowCount() > 0)
        _shot(main, out / f"03-city-stations{suffix}.png", files)
        case_no = _pick_case(session, "approve") or _pick_case(session, "city_assign")
        if case_no is not None:
            main.open_case(case_no)
            settle(runner, 300)
            _shot(main, out / f"06-city-detail{suffix}.png", files)
            action = "approve" if "approve" in main.detail.action_buttons else "city_assign"
            dialog = main.detail.start_action(action)
            if dialog is not None:
                if action == "approve":
                    dialog.inputs["approver"].setText("王副市长")
                dialog.inputs["document_no"].setText(f"漠争议领〔{session.today().year}〕3号")
                settle(runner, 200)
                _shot(dialog, out / f"07-city-action{suffix}.png", files)
                dialog.reject()
        conflicted = _conflicted_case(session)
        if conflicted is not None:
            main.open_case(conflicted)
            settle(runner, 300, until=lambda: main.detail.conflict.isVisible())
            _shot(main, out / f"06b-city-conflict{suffix}.png", files)
        main.go("sync")
        settle(runner, 400, until=lambda: getattr(main.sync, "overview", None) is not None)
        _shot(main, out / f"08-city-sync{suffix}.png", files)
        main.go("stats")
        main.stats.date_from.setDate(main.stats.date_from.date().addDays(-150))
        main.stats.reload()
        settle(runner, 300)
        _shot(main, out / f"09-city-stats{suffix}.png", files)
        main.stats.tabs.setCurrentWidget(main.stats.departments)
        settle(runner, 200)
        _shot(main, out / f"10-city-performance{suffix}.png", files)
        if main.stats.stations is not None:
            main.stats.tabs.setCurrentWidget(main.stats.stations)
            settle(runner, 200)
            _shot(main, out / f"11-city-station-performance{suffix}.png", files)
    finally:
        main.shutdown()
        main.close()
        session.close()
        settle(None, 50)
    return files


def holds_city_store(data_dir: Path) -> bool:
    """Whether `data_dir` holds a city store (its key file says the city profile)."""
    from station_app.store.keystore import Keystore

    keys = data_dir / "keys.json"
    return keys.exists() and Keystore.load(keys).profile == "city"


def render_all(out: Path, large: bool = False, cases: int = 300, city: CityLogin | None = None) -> list[Path]:
    """Render the station's screens from a fresh demo station, then the city console's: from
    `city` when given, else from a demo city of three stations (`sync.demo_city`) whose
    `cases` cases came up through provisioning, enrolment and bundles. PNGs under `out` (the
    city's in `out/city`)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from station_app.services.demo_service import DEMO_PASSWORD, ensure_demo
    from station_app.services.query_service import CaseQuery, list_cases
    from station_app.services.session import login
    from station_app.services.settings_service import set_setting
    from station_app.store.keystore import KdfParams
    from ui.app import DeskApp, make_application

    (width, height), scale = LARGE if large else NORMAL
    suffix = "-large" if large else ""
    out.mkdir(parents=True, exist_ok=True)
    app = make_application()
    files: list[Path] = []
    with scratch_station_dir() as tmp:
        data_dir = tmp / "demo"
        ensure_demo(data_dir, cases, kdf=KdfParams(8192, 1, 1))
        admin = login(data_dir, "admin", DEMO_PASSWORD)
        set_setting(admin, "font_scale", scale)
        admin.close()
        from ui import theme

        theme.apply_theme(app, scale)
        desk = DeskApp(data_dir, "wangli", DEMO_PASSWORD)
        login_view = desk.show_login()
        login_view.resize(width, height)
        login_view.password.setText(DEMO_PASSWORD)
        settle(desk.runner)
        _shot(login_view, out / f"01-login{suffix}.png", files)
        desk._on_logged_in(login(data_dir, "wangli", DEMO_PASSWORD))
        main = desk.main
        main.showNormal()  # the app opens maximised; the pictures are taken at the asked size
        main.resize(width, height)
        settle(desk.runner, 300)
        _shot(main, out / f"02-dashboard{suffix}.png", files)
        main.go("intake")
        settle(desk.runner, until=lambda: bool(main.intake.form.known_uscc))
        fill_intake(main.intake)
        settle(desk.runner, 400)
        _shot(main, out / f"03-intake{suffix}.png", files)
        main.go("cases")
        settle(desk.runner, 300)
        _shot(main, out / f"04-cases{suffix}.png", files)
        session = main.session
        picked = list_cases(session, CaseQuery(status="in_progress", track="joint"), limit=20) or list_cases(
            session, CaseQuery(open_only=True), limit=1
        )
        case = next((c for c in picked if c.deadline_state in ("warn", "overdue")), picked[0])
        main.open_case(case.case_no)
        settle(desk.runner, 300)
        _shot(main, out / f"05-detail{suffix}.png", files)
        dialog = main.print_case(case.case_no, "receipt")
        dialog.resize(int(width * 0.85), int(height * 0.9))
        settle(desk.runner, 1500, until=lambda: dialog.document.pageCount() > 0)
        _shot(dialog, out / f"06-print{suffix}.png", files)
        dialog.reject()
        main.go("stats")
        main.stats.date_from.setDate(main.stats.date_from.date().addDays(-150))
        main.stats.reload()
        settle(desk.runner, 300)
        _shot(main, out / f"07-stats{suffix}.png", files)
        for n, tab in enumerate((main.stats.departments, main.stats.workers)):
            main.stats.tabs.setCurrentWidget(tab)
            settle(desk.runner, 200)
            _shot(main, out / f"07{'bc'[n]}-stats-{tab.view_key}{suffix}.png", files)
        desk._on_main_logged_out()
        desk._on_logged_in(login(data_dir, "admin", DEMO_PASSWORD))
        main = desk.main
        main.showNormal()  # the app opens maximised; the pictures are taken at the asked size
        main.resize(width, height)
        main.go("settings")
        settle(desk.runner, 300)
        _shot(main, out / f"08-settings{suffix}.png", files)
        main.settings.tabs.setCurrentIndex(main.settings.tabs.count() - 2)
        settle(desk.runner, 200)
        _shot(main, out / f"09-users{suffix}.png", files)
        main.lock()
        settle(desk.runner, 200)
        _shot(main, out / f"10-locked{suffix}.png", files)
        desk.shutdown()
        if desk.main is not None:
            desk.main.close()
        settle(None, 50)
        if city is None:
            from sync.demo_city import DEMO_CITY_STATIONS, build_demo_city

            per_station = max(cases // len(DEMO_CITY_STATIONS), 12)
            demo = build_demo_city(tmp / "demo-city", per_station, kdf=KdfParams(8192, 1, 1))
            city = CityLogin(demo.data_dir, demo.coordinator, demo.password)
        files += render_city(app, out / "city", large, city)
    return files
