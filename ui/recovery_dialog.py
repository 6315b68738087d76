"""忘记全部密码: the two steps of key recovery at the station, spelled out for the worker
(DESIGN.md "Key recovery"; the work is sync/recovery.py's, run off the GUI thread)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from station_app.clock import Clock
from ui.errors import describe
from ui.ops import Runner
from ui.widgets import ErrorLabel, heading

STEPS = (
    "本站所有账户的密码都遗失时,可由市级(领导小组办公室)恢复本站数据,数据不会丢失,别人也无法借此打开本站数据。",
    "第一步:在下面设定新管理员密码,生成恢复申请文件,用U盘交给市级;市级收到后会来电,请念出下面显示的指纹供其核对。",
    "第二步:拿到市级的答复文件后,选择它,填写新管理员账户名,再输入第一步设定的新密码,点“应用答复”。答复只能使用一次。",
    "恢复后,请用新管理员账户登录,并为其他同事重设密码。",
)


def _password() -> QLineEdit:
    box = QLineEdit()
    box.setEchoMode(QLineEdit.EchoMode.Password)
    box.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
    return box


def _make_request(data_dir: Path, password: str, out: Path) -> Any:
    from sync.recovery import make_request  # heavy imports off the GUI thread

    return make_request(data_dir, password, out)


def _apply(data_dir: Path, response: Path, admin: str, password: str, clock: Clock | None) -> Any:
    from sync.recovery import apply_response

    return apply_response(data_dir, response, admin, password, clock)


class RecoveryDialog(QDialog):
    """Emits `recovered(admin)` after the city's answer was applied."""

    recovered = Signal(str)

    def __init__(
        self,
        data_dir: Path,
        station_code: str,
        runner: Runner,
        clock: Clock | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.data_dir, self.station_code, self.runner, self.clock = data_dir, station_code, runner, clock
        self.setWindowTitle("忘记全部密码:由市级恢复")
        self.setMinimumWidth(max(620, self.fontMetrics().horizontalAdvance("0") * 70))
        body = QWidget()
        column = QVBoxLayout(body)
        scroll = QScrollArea()  # large text on a 768-pixel screen: scroll, never clip
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.addWidget(scroll)
        column.addWidget(heading("由市级恢复本站数据", 2))
        for step in STEPS:
            label = QLabel(step)
            label.setWordWrap(True)
            column.addWidget(label)
        self.error = ErrorLabel()
        column.addWidget(self.error)

        first = QGroupBox("第一步:恢复申请")
        form = QFormLayout(first)
        self.password, self.password2 = _password(), _password()
        form.addRow("新管理员密码", self.password)
        form.addRow("再次输入", self.password2)
        self.request_button = QPushButton("生成申请文件…")
        self.request_button.clicked.connect(self._on_request_clicked)
        form.addRow("", self.request_button)
        self.fingerprint = QLabel("")
        self.fingerprint.setWordWrap(True)
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("申请指纹", self.fingerprint)
        column.addWidget(first)

        second = QGroupBox("第二步:应用市级答复")
        form = QFormLayout(second)
        row = QHBoxLayout()
        self.response_label = QLabel("未选择")
        pick = QPushButton("选择答复文件…")
        pick.clicked.connect(self._on_pick_clicked)
        row.addWidget(pick)
        row.addWidget(self.response_label, 1)
        form.addRow("答复文件", row)
        self.admin = QLineEdit()
        self.admin.setPlaceholderText("如 admin2")
        form.addRow("新管理员账户名", self.admin)
        self.apply_password = _password()
        form.addRow("新管理员密码", self.apply_password)
        self.apply_button = QPushButton("应用答复")
        self.apply_button.setObjectName("primary")
        self.apply_button.clicked.connect(self._on_apply_clicked)
        form.addRow("", self.apply_button)
        column.addWidget(second)
        close = QPushButton("关闭")
        close.clicked.connect(self.reject)
        outer.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(self.minimumWidth(), min(body.sizeHint().height() + 60, 700))
        self.response: Path | None = None

    # -- step 1 ---------------------------------------------------------------------------------------
    def _on_request_clicked(self) -> None:
        if self.password.text() != self.password2.text():
            self.error.show_error("两次输入的新密码不一致")
            return
        default = str(Path.home() / f"恢复申请-{self.station_code}.json")
        path, _ = QFileDialog.getSaveFileName(self, "保存恢复申请", default, "恢复申请 (*.json)")
        if path:
            self.request_to(Path(path))

    def request_to(self, out: Path) -> None:
        """Write the request to `out` off the GUI thread; the fingerprint shows when done."""
        self.error.show_error(None)
        self.request_button.setEnabled(False)
        password = self.password.text()
        self.runner.run(
            lambda: _make_request(self.data_dir, password, out), self._on_requested, self._on_failed, write=True
        )

    def _on_requested(self, made: Any) -> None:
        from sync.provisioning import fingerprint_groups

        self.request_button.setEnabled(True)
        self.fingerprint.setText(fingerprint_groups(made.fingerprint))
        self.apply_password.setText(self.password.text())

    # -- step 2 ---------------------------------------------------------------------------------------
    def _on_pick_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择市级的恢复答复", str(Path.home()), "恢复答复 (*.json)")
        if path:
            self.choose_response(Path(path))

    def choose_response(self, path: Path) -> None:
        """Use `path` as the city's answer."""
        self.response = path
        self.response_label.setText(path.name)

    def _on_apply_clicked(self) -> None:
        if self.response is None:
            self.error.show_error("请先选择市级的答复文件")
            return
        self.error.show_error(None)
        self.apply_button.setEnabled(False)
        response, admin, password = self.response, self.admin.text().strip(), self.apply_password.text()
        self.runner.run(
            lambda: _apply(self.data_dir, response, admin, password, self.clock),
            self._on_applied,
            self._on_failed,
            write=True,
        )

    def _on_applied(self, done: Any) -> None:
        self.apply_button.setEnabled(True)
        self.recovered.emit(done.admin)
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.request_button.setEnabled(True)
        self.apply_button.setEnabled(True)
        self.error.show_error(describe(exc))
