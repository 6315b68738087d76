"""五(四) 严格责任追究: incidents (工作失误, 引发舆情, 造成严重后果) recorded against a case and a
department, counted per department in the statistics, the monthly report and its CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from station_app.domain.enums import Status
from station_app.errors import InvalidTransition, ValidationError
from station_app.services.case_service import intake, perform
from station_app.services.query_service import get_case
from station_app.services.stats_service import compute_stats, print_monthly_report
from tests.conftest import run_cli
from tests.documents.conftest import pdf_text
from tests.factories import joint_intake, refer_intake
from tests.services.conftest import Team

NOVEMBER = (date(2025, 11, 1), date(2025, 11, 30))
INCIDENT_TEXT = "税务局逾期未反馈,缴费人李秀兰在网上发帖。"


def _row(stats: object, code: str) -> object:
    return next(r for r in stats.by_department_work if r.code == code)  # type: ignore[attr-defined]


def test_an_incident_is_recorded_against_a_case_and_a_department(team: Team) -> None:
    """五(四): 对责任履行不到位,出现工作失误、引发舆情、造成严重后果的,依法依规追责. Anyone at the
    station records the incident (kind, department, what happened; the event names who) on a
    routed, open or answered case, whose state does not change; a closed case takes no more actions; a
    kind, department or text outside the rules is refused by field."""
    w, h = team.worker, team.head
    no = intake(w, joint_intake()).case_no
    data = {"kind": "public_opinion", "dept": "tax", "text": INCIDENT_TEXT}
    with pytest.raises(InvalidTransition):  # no department has the case before it is routed
        perform(w, no, "incident", data)
    perform(w, no, "route", {})
    for bad, field in (
        ({**data, "kind": "gossip"}, "kind"),
        ({**data, "dept": "mars"}, "dept"),
        ({**data, "text": " "}, "text"),
    ):
        with pytest.raises(ValidationError) as err:
            perform(h, no, "incident", bad)
        assert field in err.value.fields
    detail = perform(h, no, "incident", data)
    assert detail.summary.status is Status.ROUTED
    note = detail.note("incident_recorded")
    assert note is not None and (note["incident_kind"], note["dept"], note["author"]) == (
        "public_opinion",
        "tax",
        "zhanzhang",
    )
    assert detail.timeline[-1].label == "登记责任事件"
    replied = perform(h, no, "incident", {**data, "kind": "work_error"})  # recorded again: each is counted
    assert [n["incident_kind"] for n in replied.notes if n["kind"] == "incident_recorded"] == [
        "public_opinion",
        "work_error",
    ]
    perform(h, no, "withdraw", {"reason": "撤回"})
    with pytest.raises(InvalidTransition):  # a closed case takes no more actions
        perform(h, no, "incident", data)


def test_incidents_show_in_the_statistics_beside_per_department_counts(team: Team) -> None:
    """五(四) 绩效考评和责任追究: per department, the cases it handles, its returns and the incidents
    by kind; the list of incidents gives date, case, department and kind, never the text."""
    w, h = team.worker, team.head
    joint = intake(w, joint_intake()).case_no
    perform(w, joint, "route", {})
    refer = intake(w, refer_intake()).case_no
    perform(w, refer, "route", {})
    perform(w, refer, "return", {"dept": "tax", "reason": "不属于本部门职责"})
    perform(h, joint, "incident", {"kind": "public_opinion", "dept": "tax", "text": INCIDENT_TEXT})
    perform(h, joint, "incident", {"kind": "work_error", "dept": "hrss", "text": "人社局漏报材料。"})
    perform(h, refer, "incident", {"kind": "serious_consequence", "dept": "tax", "text": "造成群体上访。"})

    stats = compute_stats(w, *NOVEMBER)
    tax, hrss = _row(stats, "tax"), _row(stats, "hrss")
    assert (tax.cases, tax.returns, tax.public_opinion, tax.serious, tax.work_errors) == (2, 1, 1, 1, 0)  # type: ignore[attr-defined]
    assert (hrss.cases, hrss.work_errors, hrss.incidents) == (1, 1, 1)  # type: ignore[attr-defined]
    assert stats.incident_count == 3
    assert [(i.case_no, i.dept, i.kind.value) for i in stats.incidents] == [
        (joint, "tax", "public_opinion"),
        (joint, "hrss", "work_error"),
        (refer, "tax", "serious_consequence"),
    ]
    as_json = stats.to_json()
    assert INCIDENT_TEXT not in json.dumps(as_json, ensure_ascii=False)
    assert as_json["by_department_work"][0]["incidents"]["public_opinion"] == 1

    pdf = print_monthly_report(w, "2025-11").pdf
    body = pdf_text(pdf)
    assert "七、部门履职和责任追究(五(四))" in body and "责任事件3件" in body
    assert "引发舆情" in body and "造成严重后果" in body and joint in body
    assert "李秀兰" not in body and "网上发帖" not in body


def test_cli_records_an_incident_and_the_monthly_report_counts_it(team: Team, data_dir: Path, tmp_path: Path) -> None:
    """五(四) from the command line: `case act CASE incident` records it (the worker's name on
    the event); bad input exits 2 naming the field; the monthly report counts it."""
    no = intake(team.worker, joint_intake()).case_no
    perform(team.worker, no, "route", {})
    data = json.dumps({"kind": "work_error", "dept": "hrss", "text": "漏报材料。"}, ensure_ascii=False)
    r = run_cli(
        "case", "act", no, "incident", stdin=data, data_dir=data_dir, user="shouliyuan", password="worker-pass-123"
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "routed"
    r = run_cli(
        "case",
        "act",
        no,
        "incident",
        stdin='{"kind": "x", "dept": "hrss", "text": "t"}',
        data_dir=data_dir,
        user="zhanzhang",
        password="head-pass-123",
    )
    assert r.returncode == 2 and "kind" in json.loads(r.stdout)["fields"]
    out = tmp_path / "m.pdf"
    r = run_cli(
        "report",
        "monthly",
        "--month",
        "2025-11",
        "--out",
        str(out),
        data_dir=data_dir,
        user="zhanzhang",
        password="head-pass-123",
    )
    assert r.returncode == 0, r.stderr
    body = pdf_text(out.read_bytes())
    assert "工作失误" in body and "责任事件1件" in body and no in body
    note = get_case(team.worker, no).note("incident_recorded")
    assert note is not None and note["author"] == "shouliyuan"


def test_an_extension_is_counted_against_the_department_it_was_granted_to(team: Team) -> None:
    """五(四) 绩效考评: extensions are counted per department; each extension names the one
    department a head granted it to (四(二) per-department terms)."""
    no = intake(team.worker, joint_intake()).case_no
    perform(team.worker, no, "route", {})
    perform(team.head, no, "extend", {"dept": "hrss", "days": 3, "reason": "需调取2023年档案。"})
    stats = compute_stats(team.head, *NOVEMBER)
    assert (_row(stats, "hrss").extensions, _row(stats, "tax").extensions) == (1, 0)  # type: ignore[attr-defined]
