"""The users screen: disable and enable with a confirmation; the password policy's message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from station_app.clock import FixedClock
from station_app.domain import password_policy
from station_app.errors import AuthError
from station_app.services.session import Session, login
from tests.ui.conftest import PASSWORD, WORKER


def _row(view: Any, name: str) -> int:
    return next(r for r in range(view.model.rowCount()) if view.model.key_at(r) == name)


def test_disable_asks_first_then_the_account_cannot_log_in(
    qtbot: Any, desk_station: Session, data_dir: Path, clock: FixedClock, tmp_path: Path
) -> None:
    from ui.ops import Runner
    from ui.users_view import UsersView

    view = UsersView(desk_station, Runner())
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.table.selectRow(_row(view, WORKER))
    view._on_active_clicked()
    box = view.question
    assert box is not None and WORKER in box.text()
    cancel = next(b for b in box.buttons() if b.text() == "取消")
    cancel.click()  # nothing happens without a yes
    assert view.model.row_texts(_row(view, WORKER))[4] == "在用"
    login(data_dir, WORKER, PASSWORD, clock).close()

    view._on_active_clicked()
    box = view.question
    assert box is not None
    go = next(b for b in box.buttons() if b.text() == "停用账户")
    go.click()
    assert view.model.row_texts(_row(view, WORKER))[4] == "已停用"
    view.grab().save(str(tmp_path / "users.png"))
    assert (tmp_path / "users.png").stat().st_size > 0
    with pytest.raises(AuthError):
        login(data_dir, WORKER, PASSWORD, clock)

    view.table.selectRow(_row(view, WORKER))
    view._on_active_clicked()
    box = view.question
    assert box is not None and "重新启用" in box.windowTitle()
    next(b for b in box.buttons() if b.text() == "重新启用").click()
    assert view.model.row_texts(_row(view, WORKER))[4] == "在用"
    login(data_dir, WORKER, PASSWORD, clock).close()


def test_the_add_dialog_shows_the_policy_message(qtbot: Any, desk_station: Session) -> None:
    from ui.ops import Runner
    from ui.users_view import UserDialog

    dialog = UserDialog(desk_station, "add", Runner())
    qtbot.addWidget(dialog)
    dialog.user_name.setText("liqiang")
    for weak, why in (("mohe2025", password_policy.CONTEXT), ("12345678", password_policy.SEQUENCE),
                      ("password", password_policy.COMMON), ("liqiang-2025", password_policy.CONTEXT)):  # fmt: skip
        dialog.password.setText(weak)
        dialog.password2.setText(weak)
        dialog.submit()  # the service decides, on the runner's writer
        qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)
        assert dialog.errors["password"].text() == why
        assert dialog.result() != dialog.DialogCode.Accepted
