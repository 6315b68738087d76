"""The desktop app's entry: the login window (or first-start setup), then the main window.

Only Qt, the login window and the key file are imported before the first window shows
(cold start budget 1 s); the store and services load while the user types the password.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from station_app.clock import Clock
from station_app.errors import StationError
from station_app.services.login_service import station_facts
from ui import theme
from ui.i18n import TR
from ui.login_view import LoginView
from ui.ops import Runner


def _warm_up() -> None:
    """Import the store and services in the background while the login window waits."""
    import station_app.services.case_service  # noqa: F401
    import ui.main_window  # noqa: F401


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName("station-app")
        app.setApplicationDisplayName(TR.app_title)
        theme.install_translator(app)
        theme.apply_theme(app, 1.0)
    return app


class DeskApp(QObject):
    """Login -> main window -> lock/switch user, around one data folder."""

    def __init__(
        self, data_dir: Path, user: str | None = None, demo_password: str | None = None, clock: Clock | None = None
    ) -> None:
        super().__init__()
        self.data_dir, self.user, self.demo_password, self.clock = data_dir, user, demo_password, clock
        self.runner = Runner(self)
        self.runner.default_error = self._on_runner_error
        self.login_view: LoginView | None = None
        self.main: Any = None
        self.setup: Any = None
        self.session: Any = None

    def start(self) -> QWidget:
        facts = station_facts(self.data_dir)
        if not facts.exists:
            from ui.setup_dialog import SetupDialog

            self.setup = SetupDialog(self.data_dir, self.runner, clock=self.clock)
            self.setup.station_created.connect(self._on_logged_in)
            self.setup.show()
            return self.setup  # type: ignore[no-any-return]
        return self.show_login()

    def show_login(self) -> LoginView:
        facts = station_facts(self.data_dir)
        if self.login_view is not None:
            self.login_view.deleteLater()
        self.login_view = LoginView(self.data_dir, facts, self.runner, self.user, self.demo_password, self.clock)
        self.login_view.logged_in.connect(self._on_logged_in)
        self.login_view.resize(960, 640)
        self.login_view.show()
        QTimer.singleShot(0, lambda: self.runner.run(_warm_up, lambda _: None))
        return self.login_view

    def _on_logged_in(self, session: Any) -> None:
        from station_app.services.user_service import font_scale
        from ui.main_window import MainWindow

        self.session = session
        self.user = session.user
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, font_scale(session))
        self.main = MainWindow(session, self.runner)
        self.main.logged_out.connect(self._on_main_logged_out)
        self.main.showMaximized()  # every login and user switch: nothing falls below the taskbar
        if self.login_view is not None:
            self.login_view.close()

    def _on_main_logged_out(self) -> None:
        main, self.main = self.main, None
        if main is not None:
            main.logged_out.disconnect(self._on_main_logged_out)
            main.close()
            main.deleteLater()
        self.close_session()
        self.show_login()

    def bring_forward(self) -> None:
        """Another launch asked: show the window in use (main, login or setup) in front."""
        window = self.main or self.login_view or self.setup
        if window is None:
            return
        if window is self.main:
            window.showMaximized()
        else:
            window.showNormal()
        window.raise_()
        window.activateWindow()

    def close_session(self) -> None:
        self.runner.wait()
        if self.session is not None:
            self.session.close()
            self.session = None

    def shutdown(self) -> None:
        if self.main is not None:
            self.main.shutdown()
        self.close_session()

    def _on_runner_error(self, exc: BaseException) -> None:
        from ui.errors import show_error

        show_error(self.main, exc)


def run_app(data_dir: Path, user: str | None = None, demo_password: str | None = None) -> int:
    """Open the desktop app on `data_dir` (the CLI calls this when no subcommand is given)."""
    from station_app.paths import setup_logging
    from ui.errors import install_excepthook
    from ui.single_instance import SingleInstance

    app = make_application()
    instance = SingleInstance(data_dir)
    if not instance.claim():
        return 0  # the running window came forward
    setup_logging(data_dir)
    install_excepthook()
    from ui import errors

    errors.DATA_DIR[:] = [data_dir]
    desk = DeskApp(data_dir, user, demo_password)
    instance.raise_requested.connect(desk.bring_forward)
    try:
        desk.start()
    except StationError as exc:  # a damaged or edited keys.json: say which value, then stop
        from ui.errors import describe
        from ui.widgets import message

        box = message(None, TR.error_title, describe(exc), warning=True)
        box.finished.connect(app.quit)
        app.exec()
        return 1
    try:
        return int(app.exec())
    finally:
        desk.shutdown()
