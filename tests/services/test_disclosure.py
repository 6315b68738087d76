"""五(三) 落实保密责任: internal papers and exports with personal data name their receiver, and
information leaves the station only on a head's recorded approval (报批)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from station_app.documents.payload import PaperKind
from station_app.errors import PermissionDenied, ValidationError
from station_app.services.case_service import intake, perform
from station_app.services.disclosure_service import approve_disclosure, disclosure_form, list_approvals
from station_app.services.export_service import export_case_list
from station_app.services.paper_service import preview_paper, print_paper
from station_app.services.query_service import get_case
from station_app.services.session import Session
from station_app.store.db import read
from tests.conftest import event_count, run_cli
from tests.documents.conftest import pdf_text
from tests.factories import joint_intake, refer_intake
from tests.services.conftest import Team

ID_NUMBER = "232723196807092431"
PHONE = "13912345678"


def _joint(s: Session) -> str:
    no = intake(s, joint_intake(name="李秀兰", id_number=ID_NUMBER, phone=PHONE)).case_no
    perform(s, no, "route", {})
    return no


def _printed(s: Session) -> list[dict[str, object]]:
    with read(s.store.engine) as conn:
        rows = conn.execute(text("SELECT payload FROM events WHERE type = 'paper_printed' ORDER BY seq")).all()
    return [json.loads(r[0]) for r in rows]


def test_an_internal_paper_for_a_department_needs_a_heads_recorded_approval(team: Team) -> None:
    """五(三): 向其他有关部门提供信息,要严格按照规定和程序报批. A worker's 交办单 for 税务局 is refused
    until a head records the approval (who, when, receiver, purpose); then the copy names its
    receiver and the approval, carries only that department's section, and the print records both."""
    w, h = team.worker, team.head
    no = _joint(w)
    before = event_count(w)
    with pytest.raises(PermissionDenied) as refused:
        print_paper(w, no, "assignment", {"to": "tax"})
    assert "报批" in str(refused.value) and "税务局" in str(refused.value)
    assert ID_NUMBER not in str(refused.value) and "李秀兰" not in str(refused.value)
    assert event_count(w) == before  # nothing printed, nothing recorded

    with pytest.raises(PermissionDenied):
        approve_disclosure(w, "tax", "交办出具书面意见", no)  # a worker cannot approve
    approval = approve_disclosure(h, "tax", "交办出具书面意见", no)
    assert (approval.approver, approval.recipient, approval.purpose) == ("zhanzhang", "tax", "交办出具书面意见")
    assert approval.at.startswith("2025-11-20") and approval.case_no == no

    result = print_paper(w, no, "assignment", {"to": "tax"})
    body = pdf_text(result.pdf)
    assert result.recipient == "tax" and result.pages == 1
    assert "国家税务总局漠河市税务局:" in body and "漠河市人力资源和社会保障局:" not in body
    assert "接收单位:税务局" in body and "zhanzhang2025-11-20报批同意" in body and "用途:交办出具书面意见" in body
    assert ID_NUMBER in body  # the department sees what it needs
    assert _printed(w)[-1]["recipient"] == "tax"
    assert _printed(w)[-1]["approval"] == approval.uuid

    with pytest.raises(PermissionDenied):  # the approval names 税务局, not 人社局
        print_paper(w, no, "assignment", {"to": "hrss"})
    timeline = [t.label for t in get_case(w, no).timeline]
    assert "对外提供信息报批" in timeline


def test_without_a_receiver_the_copy_stays_at_the_station_and_says_so(team: Team) -> None:
    """五(三): every internal paper records its receiver; a copy printed without one is the
    station's own (本站留存) and says on every page that it may not leave without approval."""
    w = team.worker
    no = _joint(w)
    result = print_paper(w, no, "assignment")
    body = pdf_text(result.pdf)
    assert result.recipient == "station" and _printed(w)[-1]["recipient"] == "station"
    assert body.count("本站留存·不得对外提供") == result.pages  # the header of each page
    assert "接收单位:本站留存·未经站长报批不得对外提供" in body
    receipt = print_paper(w, no, "receipt")  # a citizen paper goes to the payer: no receiver
    assert receipt.recipient == "" and "recipient" not in _printed(w)[-1]


def test_a_receiver_must_fit_the_paper(team: Team) -> None:
    """五(三): the receiver of an internal paper is one the paper is meant for; citizen papers
    go to the payer only; a purpose never carries identifiers into the log."""
    w, h = team.worker, team.head
    no = _joint(w)
    with pytest.raises(ValidationError) as err:
        print_paper(w, no, "assignment", {"to": "court"})  # not a department of this case
    assert "to" in err.value.fields
    with pytest.raises(ValidationError) as err:
        print_paper(w, no, "receipt", {"to": "tax"})
    assert "to" in err.value.fields
    with pytest.raises(ValidationError) as err:
        print_paper(w, no, "assignment", {"to": "nobody"})
    assert "to" in err.value.fields
    with pytest.raises(ValidationError) as err:
        approve_disclosure(h, "tax", f"核实{ID_NUMBER}的情况", no)
    assert "purpose" in err.value.fields
    with pytest.raises(ValidationError):
        approve_disclosure(h, "station", "存档", no)


def test_the_draft_shows_a_missing_approval_and_the_dialog_schema_says_who_may_approve(team: Team) -> None:
    """五(三): looking at a draft records nothing; it says the copy is not yet approved. The
    print dialog's schema lists the receivers with their approval state and who may approve."""
    w, h = team.worker, team.head
    no = _joint(w)
    before = event_count(w)
    draft = preview_paper(w, no, "assignment", {"to": "hrss"})
    assert "样稿:尚未报批,不得对外提供" in pdf_text(draft.pdf) and event_count(w) == before
    case = get_case(w, no)
    form = disclosure_form(w, case, PaperKind.ASSIGNMENT)
    assert form.personal and not form.can_approve
    assert [c.code for c in form.choices] == ["station", "tax", "hrss"]
    assert [c.ready for c in form.choices] == [True, False, False]
    approve_disclosure(h, "hrss", "交办出具书面意见", no)
    form = disclosure_form(h, get_case(h, no), PaperKind.ASSIGNMENT)
    assert form.can_approve and [c.ready for c in form.choices] == [True, False, True]


def test_a_case_list_export_names_its_receiver_and_uses_up_one_approval(team: Team) -> None:
    """五(三): the case list with full identifiers goes to the station's own file freely; to a
    department only on a head's approval, which covers one export."""
    w, h = team.worker, team.head
    _joint(w)
    intake(w, refer_intake(name="王建国"))
    own = export_case_list(w, None, "station", reveal=True)
    sheet = load_workbook(io.BytesIO(own.xlsx)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "本站留存" in str(rows[0][0]) and rows[1][0] == "案件编号" and len(rows) == 4
    assert ID_NUMBER in [r[3] for r in rows[2:]]
    with pytest.raises(PermissionDenied):
        export_case_list(w, None, "city_gov")
    approval = approve_disclosure(h, "city_gov", "领导小组月度核查")
    assert approval.scope == "case_list" and approval.case_no is None
    sent = export_case_list(w, None, "city_gov")
    assert sent.approval == approval.uuid and sent.count == 2
    note = str(load_workbook(io.BytesIO(sent.xlsx)).active["A1"].value)
    assert "漠河市人民政府(领导小组)" in note and "领导小组月度核查" in note
    with pytest.raises(PermissionDenied):  # used up
        export_case_list(w, None, "city_gov")
    assert [a.used for a in list_approvals(w)] == [True]
    with read(w.store.engine) as conn:
        raw = [r[0] for r in conn.execute(text("SELECT payload FROM events WHERE type = 'cases_exported'"))]
    assert len(raw) == 2 and all(ID_NUMBER not in p and "李秀兰" not in p for p in raw)


def test_cli_refuses_an_unapproved_print_and_records_the_approval(team: Team, data_dir: Path, tmp_path: Path) -> None:
    """五(三) from the command line: `print --to DEPT` without approval exits 1 with one line that
    says what to do; `disclosure approve` is a head's; afterwards the print names its receiver."""
    no = _joint(team.worker)
    worker: dict[str, Any] = {"data_dir": data_dir, "user": "shouliyuan", "password": "worker-pass-123"}
    head: dict[str, Any] = {"data_dir": data_dir, "user": "zhanzhang", "password": "head-pass-123"}
    out = tmp_path / "tax.pdf"
    r = run_cli("print", no, "--paper", "assignment", "--to", "tax", "--out", str(out), **worker)
    assert r.returncode == 1 and "报批" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
    r = run_cli("print", no, "--paper", "assignment", "--to", "mars", "--out", str(out), **worker)
    assert r.returncode == 2 and "to" in json.loads(r.stdout)["fields"]
    r = run_cli("disclosure", "approve", "--case", no, "--to", "tax", "--purpose", "交办", **worker)
    assert r.returncode == 1 and r.stderr.strip()
    r = run_cli("disclosure", "approve", "--case", no, "--to", "tax", "--purpose", "交办", **head)
    assert r.returncode == 0, r.stderr
    approval = json.loads(r.stdout)
    assert approval["approver"] == "zhanzhang" and approval["recipient"] == "tax" and approval["purpose"] == "交办"
    r = run_cli("print", no, "--paper", "assignment", "--to", "tax", "--out", str(out), **worker)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["recipient"] == "tax" and "接收单位:税务局" in pdf_text(out.read_bytes())
    r = run_cli("disclosure", "list", "--case", no, "--json", **worker)
    assert [a["uuid"] for a in json.loads(r.stdout)] == [approval["uuid"]]


def test_cli_case_list_export(team: Team, data_dir: Path, tmp_path: Path) -> None:
    """五(三) from the command line: `export cases --to DEPT` needs an unused approval."""
    _joint(team.worker)
    worker: dict[str, Any] = {"data_dir": data_dir, "user": "shouliyuan", "password": "worker-pass-123"}
    out = tmp_path / "cases.xlsx"
    r = run_cli("export", "cases", "--to", "court", "--out", str(out), **worker)
    assert r.returncode == 1 and "报批" in r.stderr and not out.exists()
    approve_disclosure(team.head, "court", "法院调取案件清单")
    r = run_cli("export", "cases", "--to", "court", "--out", str(out), **worker)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["count"] == 1 and out.exists()
    r = run_cli("export", "cases", "--to", "station", "--out", str(tmp_path / "x.csv"), **worker)
    assert r.returncode == 2 and "out" in json.loads(r.stdout)["fields"]
