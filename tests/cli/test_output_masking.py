"""Every command-line output that carries a person's ID or phone number masks it as the screen
does; `--reveal` shows it in full, and each reveal is an event in the log."""

from __future__ import annotations

import io
import json
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import text

from station_app.domain.masking import mask_id, mask_phone
from station_app.services.case_service import intake
from station_app.services.session import Session
from station_app.store.db import read
from tests.conftest import run_cli
from tests.factories import intake_json

ID_NUMBER = "232723197003052439"
PHONE = "13749654541"
CONTACT = "0457-2812345"


def _reveals(session: Session) -> list[tuple[str, str]]:
    with read(session.store.engine) as conn:
        rows = conn.execute(
            text("SELECT case_uuid, payload FROM events WHERE type = 'personal_data_revealed' ORDER BY seq")
        ).all()
    return [(str(r[0]), json.loads(r[1])["field"]) for r in rows]


def _one_case(station: Session) -> tuple[str, str]:
    data = intake_json(id_number=ID_NUMBER, phone=PHONE)
    data["respondent"] = {"kind": "employer", "name": "漠河市北极林业有限公司", "uscc": data["respondent"]["uscc"],
                          "contact": "李经理", "phone": CONTACT}  # fmt: skip
    result = intake(station, data)
    return result.case_no, result.uuid


def _no_full_identifier(out: str) -> None:
    assert ID_NUMBER not in out and PHONE not in out and CONTACT not in out


def test_case_show_masks_unless_revealed_and_records_each_reveal(station: Session, data_dir: Path) -> None:
    case_no, uuid = _one_case(station)
    r = run_cli("case", "show", case_no, "--json", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    _no_full_identifier(r.stdout)
    shown = json.loads(r.stdout)
    assert shown["applicant_id"] == mask_id(ID_NUMBER) == "2327**********2439"
    assert shown["applicant_phone"] == mask_phone(PHONE) == "137****4541"
    assert shown["intake"]["applicant"]["id_number"] == mask_id(ID_NUMBER)
    assert shown["intake"]["respondent"]["phone"] == mask_phone(CONTACT)
    assert _reveals(station) == []

    r = run_cli("case", "show", case_no, "--json", "--reveal", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["applicant_id"] == ID_NUMBER and shown["intake"]["applicant"]["phone"] == PHONE
    assert shown["intake"]["respondent"]["phone"] == CONTACT
    assert _reveals(station) == [(uuid, "applicant_id"), (uuid, "applicant_phone")]
    assert [t["type"] for t in shown["timeline"]][-2:] == ["personal_data_revealed"] * 2


def test_case_list_masks_unless_revealed(station: Session, data_dir: Path) -> None:
    case_no, uuid = _one_case(station)
    for args in (("case", "list", "--json"), ("case", "list", "--json", "--search", ID_NUMBER), ("case", "list")):
        r = run_cli(*args, data_dir=data_dir)
        assert r.returncode == 0, r.stderr
        _no_full_identifier(r.stdout)
    rows = json.loads(run_cli("case", "list", "--json", data_dir=data_dir).stdout)
    assert [(x["case_no"], x["applicant_id"], x["applicant_phone"]) for x in rows] == [
        (case_no, mask_id(ID_NUMBER), mask_phone(PHONE))
    ]
    assert _reveals(station) == []
    r = run_cli("case", "list", "--json", "--reveal", data_dir=data_dir)
    rows = json.loads(r.stdout)
    assert (rows[0]["applicant_id"], rows[0]["applicant_phone"]) == (ID_NUMBER, PHONE)
    assert _reveals(station) == [(uuid, "applicant_id"), (uuid, "applicant_phone")]


def test_case_list_export_masks_unless_revealed(station: Session, data_dir: Path, tmp_path: Path) -> None:
    _, uuid = _one_case(station)
    out = tmp_path / "清单.xlsx"
    r = run_cli("export", "cases", "--to", "station", "--out", str(out), data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    rows = list(load_workbook(io.BytesIO(out.read_bytes())).active.iter_rows(values_only=True))
    assert rows[2][3:5] == (mask_id(ID_NUMBER), mask_phone(PHONE))
    _no_full_identifier(out.read_bytes().decode("latin-1"))
    assert _reveals(station) == []
    r = run_cli("export", "cases", "--to", "station", "--out", str(out), "--reveal", data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    rows = list(load_workbook(io.BytesIO(out.read_bytes())).active.iter_rows(values_only=True))
    assert rows[2][3:5] == (ID_NUMBER, PHONE)
    assert _reveals(station) == [(uuid, "applicant_id"), (uuid, "applicant_phone")]


def test_commands_that_print_a_case_carry_no_full_identifier(station: Session, data_dir: Path) -> None:
    """`case add`, `case act` and `route` print routing and status, never the intake's identifiers."""
    data = json.dumps(intake_json(id_number=ID_NUMBER, phone=PHONE), ensure_ascii=False)
    for args in (("case", "add"), ("route",)):
        r = run_cli(*args, data_dir=data_dir, stdin=data)
        assert r.returncode == 0, r.stderr
        _no_full_identifier(r.stdout + r.stderr)
    case_no = json.loads(run_cli("case", "add", data_dir=data_dir, stdin=data).stdout)["case_no"]
    r = run_cli("case", "act", case_no, "route", data_dir=data_dir, stdin="{}")
    assert r.returncode == 0, r.stderr
    _no_full_identifier(r.stdout + r.stderr)
    assert _reveals(station) == []
