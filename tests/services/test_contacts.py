"""五(三)/五(四) on citizen papers: department contact details are samples (示例, not confirmed)
until an admin confirms them; the confirmation is an event and lapses when an entry changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station_app.errors import PermissionDenied, ValidationError
from station_app.services.audit_service import rebuild_projections
from station_app.services.case_service import intake, perform
from station_app.services.paper_service import print_paper
from station_app.services.settings_schema import DEPARTMENT_CONTACTS
from station_app.services.settings_service import confirm_department_contacts, contacts_status, set_setting
from tests.conftest import event_count, run_cli
from tests.documents.conftest import pdf_text
from tests.factories import not_accepted_intake, refer_intake
from tests.services.conftest import Team

SAMPLE = "(示例,未经确认)"


def _status(rows: list, dept: str):  # type: ignore[no-untyped-def,type-arg]
    return next(r for r in rows if r.dept == dept)


def test_contacts_print_as_samples_until_an_admin_confirms_them(team: Team) -> None:
    """五(三) 严格按照规定和程序 / 五(四) 工作失误: a citizen must not be sent to an unchecked address.
    (Each session reads settings once; the checks print with the session that made the change.)
    The shipped contacts print marked 示例,未经确认 on the referral slip and the refusal notice;
    only an admin confirms (an event naming who and when); a changed entry is a sample again."""
    a, h, w = team.admin, team.head, team.worker
    refer = intake(w, refer_intake()).case_no
    perform(w, refer, "route", {})
    refused = intake(w, not_accepted_intake()).case_no
    perform(w, refused, "route", {})
    tax_phone = DEPARTMENT_CONTACTS["tax"]["phone"]

    slip = pdf_text(print_paper(w, refer, "referral").pdf)
    assert f"{tax_phone}{SAMPLE}" in slip and "尚未经本站核实确认" in slip
    assert SAMPLE in pdf_text(print_paper(w, refused, "refusal").pdf)  # 司法局's contact too
    assert not _status(contacts_status(w), "tax").confirmed

    for who in (h, w):
        with pytest.raises(PermissionDenied):
            confirm_department_contacts(who)
    with pytest.raises(ValidationError):
        set_setting(h, "department_contacts_confirmed", {"tax": {"digest": "x"}})  # no back door
    before = event_count(a)
    rows = confirm_department_contacts(a)
    assert event_count(a) == before + 1
    tax = _status(rows, "tax")
    assert tax.confirmed and tax.confirmed_by == "admin" and str(tax.confirmed_at).startswith("2025-11-20")
    slip = pdf_text(print_paper(a, refer, "referral").pdf)
    assert tax_phone in slip and SAMPLE not in slip and "尚未经本站核实确认" not in slip
    assert SAMPLE not in pdf_text(print_paper(a, refused, "refusal").pdf)

    changed = {**DEPARTMENT_CONTACTS, "tax": {**DEPARTMENT_CONTACTS["tax"], "phone": "0457-2829999"}}
    set_setting(h, "department_contacts", changed)
    assert f"0457-2829999{SAMPLE}" in pdf_text(print_paper(h, refer, "referral").pdf)
    rows = contacts_status(h)
    assert not _status(rows, "tax").confirmed and _status(rows, "justice").confirmed
    with pytest.raises(ValidationError) as err:
        confirm_department_contacts(a, ["mars"])
    assert "dept" in err.value.fields
    confirm_department_contacts(a, ["tax"])
    assert _status(contacts_status(a), "tax").confirmed
    assert rebuild_projections(a)["identical"]  # the confirmation is replayed from the log


def test_cli_shows_and_confirms_contacts(team: Team, data_dir: Path) -> None:
    """Department contacts from the command line: `settings contacts --json` says which are
    samples; `settings confirm-contacts --dept D` is an admin's."""
    r = run_cli("settings", "contacts", "--json", data_dir=data_dir, user="shouliyuan", password="worker-pass-123")
    assert r.returncode == 0, r.stderr
    rows = {row["dept"]: row for row in json.loads(r.stdout)}
    assert rows["tax"]["confirmed"] is False and rows["tax"]["phone"] == DEPARTMENT_CONTACTS["tax"]["phone"]
    r = run_cli(
        "settings", "confirm-contacts", "--dept", "tax", data_dir=data_dir, user="zhanzhang", password="head-pass-123"
    )
    assert r.returncode == 1 and r.stderr.strip()
    r = run_cli("settings", "confirm-contacts", "--dept", "tax", "--dept", "hrss", data_dir=data_dir, user="admin")
    assert r.returncode == 0, r.stderr
    rows = {row["dept"]: row for row in json.loads(r.stdout)}
    assert rows["tax"]["confirmed"] and rows["hrss"]["confirmed"] and not rows["medical"]["confirmed"]
    assert rows["tax"]["confirmed_by"] == "admin"
