"""The main window: navigation, the screens, the status bar, shortcuts and the lock.

It wires the screens' signals together in one place; the screens themselves only know
their own data. After any change every screen is marked stale and reloads when shown.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QWidget,
)

from station_app.services.desk_service import prepare_desk
from station_app.services.permissions import permissions
from station_app.services.query_service import CaseQuery
from station_app.services.session import Session
from station_app.services.user_service import font_scale
from ui import theme
from ui.case_detail_view import CaseDetailView
from ui.case_list_view import CaseListView
from ui.city_sync_view import CitySyncView
from ui.dashboard_view import DashboardView
from ui.i18n import TR
from ui.idle import IdleWatcher
from ui.intake_view import IntakeView
from ui.lock_view import LockView
from ui.ops import Runner
from ui.page import Page
from ui.settings_view import SettingsView
from ui.stations_view import StationsView
from ui.stats_view import StatsView
from ui.sync_controller import SyncController
from ui.sync_view import SyncView

NAV = ("dashboard", "intake", "cases", "stats", "sync", "settings", "stations")


class MainWindow(QMainWindow):
    logged_out = Signal()

    def __init__(self, session: Session, runner: Runner) -> None:
        super().__init__()
        self.session, self.runner = session, runner
        title = TR.app_title_city.format(city=session.station_name) if session.is_city else None
        self.setWindowTitle(title or TR.app_title_station.format(station=session.station_name))
        self.resize(1366, 768)
        self.dashboard = DashboardView(session, runner)
        self.intake = IntakeView(session, runner)
        self.cases = CaseListView(session, runner)
        self.detail = CaseDetailView(session, runner)
        self.stats = StatsView(session, runner)
        self.settings = SettingsView(session, runner)
        self.sync_controller = SyncController(session, runner, self)
        self.sync: SyncView | CitySyncView = (
            CitySyncView(session, runner, self.sync_controller)
            if session.is_city
            else SyncView(session, runner, self.sync_controller)
        )
        self.stations = StationsView(session, runner)
        self.pages: dict[str, Page] = {
            "dashboard": self.dashboard,
            "intake": self.intake,
            "cases": self.cases,
            "stats": self.stats,
            "sync": self.sync,
            "settings": self.settings,
            "stations": self.stations,
            "detail": self.detail,
        }
        self.stack = QStackedWidget()
        for page in self.pages.values():
            self.stack.addWidget(page)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        settings_label = TR.nav_settings_users if permissions(session).sees_users else TR.nav_settings
        self.nav.addItems(
            [TR.nav_dashboard, TR.nav_intake, TR.nav_cases, TR.nav_stats, TR.nav_sync, settings_label, TR.nav_stations]
        )
        # the city console takes in no case (its cases come from the stations) and manages the stations
        self.nav.item(NAV.index("intake")).setHidden(session.is_city)
        self.nav.item(NAV.index("stations")).setHidden(not session.is_city)
        self.nav.setFixedWidth(int(150 * theme.current_scale()))
        self.nav.currentRowChanged.connect(self._on_nav_row_changed)
        workspace = QWidget()
        row = QHBoxLayout(workspace)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.lock_view = LockView(session, runner)
        self.outer = QStackedWidget()
        self.outer.addWidget(workspace)
        self.outer.addWidget(self.lock_view)
        self.setCentralWidget(self.outer)
        self.history: list[str] = []
        self._build_status_bar()
        runner.run(prepare_desk, lambda _none: None)  # the pinyin dictionary loads before the first save
        self._wire()
        self.idle = IdleWatcher(float(session.setting("idle_lock_minutes")), self)
        self.idle.timed_out.connect(self._on_idle_timed_out)
        self.idle.start()
        self.go("dashboard")

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        place = TR.status_city if self.session.is_city else TR.status_station
        bar.addWidget(QLabel(place.format(name=self.session.station_name)))
        from station_app.services.user_service import display_name

        user = display_name(self.session, self.session.user)
        bar.addWidget(QLabel(TR.status_user.format(user=user, role=self.session.role.label)))
        self.busy_label = QLabel(TR.busy)
        self.busy_label.hide()
        bar.addWidget(self.busy_label)
        self.sync_indicator = QLabel()
        self.sync_indicator.setObjectName("sync_indicator")
        self.sync_indicator.hide()
        self.sync_controller.indicator_changed.connect(self._on_sync_indicator)
        bar.addPermanentWidget(self.sync_indicator)
        self.runner.busy_changed.connect(self.busy_label.setVisible)
        self.lock_button = QPushButton(TR.lock_button + "(Ctrl+L)")
        self.lock_button.clicked.connect(lambda: self.lock())
        logout = QPushButton(TR.logout_button)
        logout.clicked.connect(self._on_logout_clicked)
        bar.addPermanentWidget(self.lock_button)
        bar.addPermanentWidget(logout)

    def _wire(self) -> None:
        self.dashboard.filter_requested.connect(self.show_filtered)
        self.dashboard.case_opened.connect(self.open_case)
        self.dashboard.intake_requested.connect(lambda: self.go("intake"))
        self.cases.case_opened.connect(self.open_case)
        self.intake.case_saved.connect(self._on_data_changed)
        self.intake.case_open_requested.connect(self.open_case)
        self.intake.print_requested.connect(self.print_case)
        self.detail.back_requested.connect(self.back)
        self.detail.case_changed.connect(self._on_data_changed)
        self.detail.print_requested.connect(self.print_case)
        self.settings.settings_changed.connect(self._on_settings_changed)
        self.sync.case_opened.connect(self.open_case)
        self.sync.data_changed.connect(self._on_data_changed)
        self.sync_controller.round_finished.connect(self._on_sync_round_finished)
        self.sync_controller.reload()  # starts background sync when a relay is configured
        self.lock_view.unlocked.connect(self._on_lock_unlocked)
        self.lock_view.logout_requested.connect(self._on_logout_clicked)
        menu = self.menuBar().addMenu(TR.menu_work)
        self.menu_actions: dict[str, QAction] = {}
        for name, label, keys, slot in (
            ("intake", TR.menu_intake, "Ctrl+N", lambda: self.go("intake")),
            ("search", TR.menu_search, "Ctrl+F", self._on_search_shortcut),
            ("print", TR.menu_print, "Ctrl+P", self._on_print_shortcut),
            ("verify", TR.menu_verify, "Ctrl+Shift+V", self.verify_paper),
            ("back", TR.menu_back, "Esc", self.back),
            ("lock", TR.menu_lock, "Ctrl+L", lambda: self.lock()),
            ("logout", TR.logout_button, "", self._on_logout_clicked),
        ):
            action = menu.addAction(label)
            if keys:
                action.setShortcut(QKeySequence(keys))
                action.setShortcutContext(
                    Qt.ShortcutContext.WindowShortcut if keys == "Esc" else Qt.ShortcutContext.ApplicationShortcut
                )
            action.triggered.connect(lambda _=False, slot=slot: slot())
            self.menu_actions[name] = action
        self.menu_actions["intake"].setVisible(not self.session.is_city)

    # -- navigation ---------------------------------------------------------------------------
    def go(self, name: str, remember: bool = True) -> None:
        if self.locked:
            return
        current = self.current_page()
        if remember and current != name:
            self.history = [*self.history[-19:], current]
        self.stack.setCurrentWidget(self.pages[name])
        row = NAV.index(name) if name in NAV else NAV.index("cases")
        if self.nav.currentRow() != row:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(row)
            self.nav.blockSignals(False)

    def back(self) -> None:
        """Esc: the screen shown before this one (the dashboard when there is none)."""
        if self.locked:
            return
        previous = self.history.pop() if self.history else "dashboard"
        self.go(previous, remember=False)

    def verify_paper(self) -> QDialog | None:
        """核验文书: check a printed paper's code (typed by a hand scanner)."""
        if self.locked:
            return None
        from ui.verify_dialog import VerifyDialog

        dialog = VerifyDialog(self.session, self)
        dialog.open()
        return dialog

    def current_page(self) -> str:
        return next(name for name, page in self.pages.items() if page is self.stack.currentWidget())

    def _on_nav_row_changed(self, row: int) -> None:
        if 0 <= row < len(NAV):
            self.go(NAV[row])

    def open_case(self, case_no: str) -> None:
        self.detail.open_case(case_no)
        self.go("detail")

    def show_filtered(self, query: CaseQuery) -> None:
        self.cases.apply_filter(query)
        self.go("cases")

    def print_case(self, case_no: str, kind: str = "") -> QDialog:
        from ui.print_dialog import CasePrintDialog

        dialog = CasePrintDialog(self.session, self.runner, case_no, kind, self)
        dialog.finished.connect(lambda _r: self._on_data_changed(case_no))
        dialog.open()
        return dialog

    def _on_search_shortcut(self) -> None:
        self.go("cases")
        self.cases.focus_search()

    def _on_print_shortcut(self) -> None:
        page = self.current_page()
        case_no = None
        if page == "detail":
            case_no = self.detail.case_no
        elif page == "cases":
            case_no = self.cases.selected_case()
        elif page == "intake" and self.intake.last_saved is not None:
            case_no = self.intake.last_saved.case_no
        if case_no:
            self.print_case(case_no)

    # -- changes ----------------------------------------------------------------------------------
    def _on_data_changed(self, _what: Any = None) -> None:
        for name, page in self.pages.items():
            if name != "intake":
                page.mark_stale()

    def _on_settings_changed(self, keys: set[str]) -> None:
        if "idle_lock_minutes" in keys:
            self.idle.set_minutes(float(self.session.setting("idle_lock_minutes")))
        if "sync_interval_minutes" in keys:
            self.sync_controller.set_interval(int(self.session.setting("sync_interval_minutes")))
        if "font_scale" in keys:
            app = QApplication.instance()
            if isinstance(app, QApplication):
                theme.apply_theme(app, font_scale(self.session))
                self.nav.setFixedWidth(int(150 * theme.current_scale()))
        self._on_data_changed()

    # -- lock ---------------------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.outer.currentWidget() is self.lock_view

    def lock(self, idle: bool = False) -> None:
        """Hide every screen and dialog holding personal data until the password is typed again."""
        if self.locked:
            return
        try:
            self.intake.save_draft_now()
        except Exception:  # locking must never fail because the draft could not be kept
            pass
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.reject()
        self.cases.model.forget_revealed()
        self.detail.hide_personal_data()
        self.idle.stop()
        minutes = self.session.setting("idle_lock_minutes")
        self.lock_view.prepare(TR.locked_idle.format(minutes=minutes) if idle else "")
        self.outer.setCurrentWidget(self.lock_view)
        self.lock_button.setEnabled(False)
        for name, action in self.menu_actions.items():  # no paper or search behind the lock screen
            action.setEnabled(name == "logout")

    def _on_idle_timed_out(self) -> None:
        self.lock(idle=True)

    def _on_lock_unlocked(self) -> None:
        self.outer.setCurrentIndex(0)
        self.lock_button.setEnabled(True)
        for action in self.menu_actions.values():
            action.setEnabled(True)
        self.idle.start()

    def _on_logout_clicked(self) -> None:
        if not self.locked:
            try:
                self.intake.save_draft_now()
            except Exception:
                pass
        self.logged_out.emit()

    def closeEvent(self, event: Any) -> None:
        if not self.locked:
            try:
                self.intake.save_draft_now()  # an accidental close keeps the form (encrypted)
            except Exception:
                pass
        self.shutdown()
        super().closeEvent(event)

    def _on_sync_indicator(self, text: str) -> None:
        self.sync_indicator.setText(text)
        self.sync_indicator.setVisible(bool(text))

    def _on_sync_round_finished(self, outcome: object) -> None:
        if isinstance(outcome, dict) and (outcome.get("received") or {}).get("bundles"):
            self._on_data_changed()

    def shutdown(self) -> None:
        self.sync_controller.stop()
        self.idle.detach()
        self.runner.wait()
        self.runner.cancel_all()
