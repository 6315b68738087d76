"""The desk's action dialog and `case act CASE ACTION --form` show the same form: both draw
`action_forms.action_form`, so a rule changed there changes both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel

from station_app.services.case_service import intake, perform
from station_app.services.query_service import get_case
from station_app.services.session import Session
from tests.conftest import ADMIN, run_cli
from tests.factories import joint_intake, major_intake


def _dialog_form(qtbot: Any, session: Session, runner: Any, case_no: str, action: str) -> list[dict[str, Any]]:
    """What the worker sees in the dialog: each row's caption and, for choices, the items offered."""
    from ui.action_dialog import ActionDialog

    dialog = ActionDialog(session, get_case(session, case_no), action, runner)
    qtbot.addWidget(dialog)
    form = dialog.findChild(QFormLayout)
    rows = []
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        if label is None:
            continue
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole).widget()
        combo = field if isinstance(field, QComboBox) else field.findChild(QComboBox)
        boxes = field.findChildren(QCheckBox)
        offered = (
            [combo.itemText(i) for i in range(combo.count()) if combo.itemData(i) is not None]
            if combo is not None
            else [b.text() for b in boxes]
        )
        caption = label.widget().text() if isinstance(label.widget(), QLabel) else ""
        rows.append({"caption": caption, "offered": offered})
    return rows


def test_the_dialog_and_the_command_line_offer_the_same_fields(
    qtbot: Any, station: Session, data_dir: Path, runner: Any
) -> None:
    joint = intake(station, joint_intake(name="郭靖")).case_no
    major = intake(station, major_intake(name="黄蓉")).case_no
    perform(station, major, "route", {})
    checked = 0
    for case_no in (joint, major):
        detail = get_case(station, case_no)
        for action in detail.allowed_actions:
            out = run_cli("case", "act", case_no, action, "--form", data_dir=data_dir, user=ADMIN)
            assert out.returncode == 0, out.stderr
            printed = json.loads(out.stdout)
            assert printed["case_no"] == case_no and printed["allowed"] is True
            fields = [f for f in printed["fields"] if f["kind"] != "info" or f["default"]]
            shown = _dialog_form(qtbot, station, runner, case_no, action)
            assert len(shown) == len(fields), (action, shown, fields)
            for field, row in zip(fields, shown, strict=True):
                assert row["caption"].startswith(field["label"]), (action, row, field)
                if field["kind"] in ("choice", "multi"):
                    assert row["offered"] == [c["label"] for c in field["choices"]], (action, field["key"])
            checked += 1
    assert checked >= 4  # route and the first actions of both cases were compared


def test_form_of_an_unknown_action_names_the_field(station: Session, data_dir: Path) -> None:
    case_no = intake(station, joint_intake(name="杨过")).case_no
    out = run_cli("case", "act", case_no, "teleport", "--form", data_dir=data_dir, user=ADMIN)
    assert out.returncode == 2 and "action" in json.loads(out.stdout)["fields"]


def test_the_form_does_not_perform_the_action(station: Session, data_dir: Path) -> None:
    case_no = intake(station, joint_intake(name="小龙女")).case_no
    before = get_case(station, case_no).summary.status
    out = run_cli("case", "act", case_no, "route", "--form", data_dir=data_dir, user=ADMIN, stdin="{}")
    assert out.returncode == 0
    assert {f["key"] for f in json.loads(out.stdout)["fields"]} >= {"track", "lead", "co", "reason"}
    assert get_case(station, case_no).summary.status == before
