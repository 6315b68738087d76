"""`station-app print`, `report monthly` and `paper verify` as real subprocesses."""

from __future__ import annotations

import json
import re
from pathlib import Path

from station_app.services.case_service import intake, perform
from station_app.services.session import Session
from tests.conftest import run_cli
from tests.factories import not_accepted_intake, refer_intake


def _cases(station: Session) -> tuple[str, str]:
    refer = intake(station, refer_intake()).case_no
    perform(station, refer, "route", {})
    refused = intake(station, not_accepted_intake()).case_no
    perform(station, refused, "route", {})
    return refer, refused


def test_print_writes_the_pdf_and_reprints(station: Session, data_dir: Path, tmp_path: Path) -> None:
    refer, refused = _cases(station)
    out = tmp_path / "out" / "receipt.pdf"
    r = run_cli("print", refer, "--paper", "receipt", "--out", str(out), data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["paper"] == "receipt" and info["reprint"] == 0 and info["pages"] == 1
    assert re.fullmatch(r"漠西调受〔\d{4}〕\d+号", info["paper_no"]) and out.read_bytes().startswith(b"%PDF")
    assert info["bytes"] == out.stat().st_size
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".tmp")]  # no temp file left
    r = run_cli("print", refer, "--paper", "receipt", "--out", str(out), data_dir=data_dir)
    assert r.returncode == 0 and json.loads(r.stdout)["reprint"] == 1
    r = run_cli(
        "print",
        refused,
        "--paper",
        "refusal",
        "--proceedings",
        "arbitration",
        "--out",
        str(tmp_path / "refusal.pdf"),
        data_dir=data_dir,
    )
    assert r.returncode == 0, r.stderr


def test_print_refuses_a_paper_that_does_not_fit(station: Session, data_dir: Path, tmp_path: Path) -> None:
    refer, _ = _cases(station)
    out = tmp_path / "refusal.pdf"
    r = run_cli("print", refer, "--paper", "refusal", "--out", str(out), data_dir=data_dir)
    assert r.returncode == 2
    body = json.loads(r.stdout)
    assert body["error"] and "不予受理" in body["fields"]["paper"]  # said in Chinese, no internal code
    assert not out.exists()


def test_print_refuses_bad_arguments_before_asking_for_a_password(data_dir: Path, tmp_path: Path) -> None:
    r = run_cli("print", "X", "--paper", "poster", "--out", str(tmp_path / "a.pdf"), data_dir=data_dir, password=None)
    assert r.returncode == 2 and "paper" in json.loads(r.stdout)["fields"]
    # the command line offers every case paper there is, the major-case report and the reply
    # to the other party included
    assert {"escalation", "reply_respondent"} <= set(json.loads(r.stdout)["fields"]["paper"].split(":")[1].split("、"))
    r = run_cli("print", "X", "--paper", "receipt", "--out", str(tmp_path / "a.txt"), data_dir=data_dir, password=None)
    assert r.returncode == 2 and "out" in json.loads(r.stdout)["fields"]
    r = run_cli(
        "report", "monthly", "--month", "2025-13", "--out", str(tmp_path / "m.pdf"), data_dir=data_dir, password=None
    )
    assert r.returncode == 2 and "month" in json.loads(r.stdout)["fields"]


def test_unknown_case_is_an_error(station: Session, data_dir: Path, tmp_path: Path) -> None:
    r = run_cli(
        "print", "232701100001-2025-999999", "--paper", "receipt", "--out", str(tmp_path / "a.pdf"), data_dir=data_dir
    )
    assert r.returncode == 1 and r.stderr.strip()


def test_monthly_report(station: Session, data_dir: Path, tmp_path: Path) -> None:
    _cases(station)
    out = tmp_path / "2025-11.pdf"
    r = run_cli("report", "monthly", "--month", "2025-11", "--out", str(out), data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["month"] == "2025-11" and info["paper_no"].startswith("漠西调统") and out.stat().st_size > 10_000


def test_paper_verify(station: Session, data_dir: Path, tmp_path: Path) -> None:
    from station_app.services.paper_service import print_paper

    refer, _ = _cases(station)
    payload = print_paper(station, refer, "receipt").payload
    r = run_cli("paper", "verify", data_dir=data_dir, stdin=payload + "\n")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["valid"] is True and body["fields"]["case_no"] == refer and body["fields"]["recorded"] is True
    i = 20
    tampered = payload[:i] + ("B" if payload[i] != "B" else "C") + payload[i + 1 :]
    r = run_cli("paper", "verify", data_dir=data_dir, stdin=tampered)
    assert r.returncode == 1 and json.loads(r.stdout)["valid"] is False
    key = station.store.meta("ed25519_public")
    assert key  # a key typed on the command line is no proof: the option does not exist
    r = run_cli("paper", "verify", "--public-key", key, data_dir=data_dir, stdin=payload, password=None)
    assert r.returncode == 2 and "arguments" in json.loads(r.stdout)["fields"]
    r = run_cli("paper", "verify", data_dir=data_dir, stdin="   ", password=None)
    assert r.returncode == 2


def test_print_archive_marks_the_retention_and_lists_the_papers(
    station: Session, data_dir: Path, tmp_path: Path
) -> None:
    from station_app.services.paper_service import print_paper
    from tests.documents.conftest import body_text, flat
    from tests.factories import joint_intake

    no = intake(station, joint_intake()).case_no
    perform(station, no, "route", {})
    receipt = print_paper(station, no, "receipt")
    for dept in ("tax", "hrss"):
        perform(station, no, "opinion", {"dept": dept, "text": "意见。"})
    perform(station, no, "reply", {"text": "答复。"})
    perform(station, no, "archive", {"text": "归档。"})
    out = tmp_path / "archive.pdf"
    r = run_cli("print", no, "--paper", "archive", "--out", str(out), data_dir=data_dir)
    assert r.returncode == 0, r.stderr
    text = body_text(out.read_bytes())
    assert "■定期30年" in text and "□永久" in text
    index = text[text.index("卷内目录") :]
    assert flat(receipt.paper_no) in index and "受理回执" in index and "书面意见" in index
    assert "受理登记" not in index and "确认分流" not in index
