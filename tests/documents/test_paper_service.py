"""Numbering, reprints, the print event, papers that do not fit, previews and QR verification."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from station_app.documents.payload import PaperKind, parse_payload
from station_app.errors import ValidationError
from station_app.services.paper_service import preview_paper, print_paper, verify_payload
from station_app.services.query_service import get_case
from station_app.services.session import Session
from station_app.store.db import read
from tests.conftest import event_count
from tests.documents.conftest import PERSON_ID, PERSON_PHONE, Cases, pdf_text

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _events(session: Session, type_: str) -> list[dict[str, object]]:
    with read(session.store.engine) as conn:
        rows = conn.execute(text("SELECT payload FROM events WHERE type = :t ORDER BY seq"), {"t": type_}).all()
    return [json.loads(r[0]) for r in rows]


def test_numbers_are_per_year_and_kind_prefixed(session: Session, cases: Cases) -> None:
    a = print_paper(session, cases.refer_new, "receipt")
    b = print_paper(session, cases.joint_open, "receipt")
    pattern = re.compile(r"漠西调受〔2025〕(\d+)号")
    ma, mb = pattern.fullmatch(a.paper_no), pattern.fullmatch(b.paper_no)
    assert ma and mb and int(mb.group(1)) == int(ma.group(1)) + 1
    c = print_paper(session, cases.refused, "refusal")
    assert re.fullmatch(r"漠西调不〔2025〕\d+号", c.paper_no)
    assert session.store.meta("paper_seq:2025") == re.search(r"(\d+)号", c.paper_no).group(1)  # type: ignore[union-attr]


def test_reprint_keeps_number_and_says_so(session: Session, cases: Cases) -> None:
    first = print_paper(session, cases.major, "minutes")
    second = print_paper(session, cases.major, "minutes")
    third = print_paper(session, cases.major, "minutes")
    assert first.reprint == 0 and second.reprint == 1 and third.reprint == 2
    assert first.paper_no == second.paper_no == third.paper_no
    assert "补打" not in pdf_text(first.pdf)
    assert "补打(第1次)" in pdf_text(second.pdf) and "补打(第2次)" in pdf_text(third.pdf)
    assert parse_payload(third.payload).fields.reprint == 2


def test_print_is_an_event_without_personal_data(session: Session, cases: Cases) -> None:
    before = event_count(session)
    result = print_paper(session, cases.refer, "referral")
    assert event_count(session) == before + 1
    payload = _events(session, "paper_printed")[-1]
    assert set(payload) == {"paper_no", "kind", "reprint", "digest", "sections", "pages"}
    assert payload["paper_no"] == result.paper_no and payload["kind"] == "referral"
    assert payload["digest"] == result.digest and len(payload["sections"]) == 2  # type: ignore[arg-type]
    raw = json.dumps(payload, ensure_ascii=False)
    assert "李秀兰" not in raw and PERSON_ID not in raw and PERSON_PHONE not in raw
    detail = get_case(session, cases.refer)
    assert any(p["paper_no"] == result.paper_no and p["author"] == "admin" for p in detail.papers)
    assert any(t.type == "paper_printed" and t.label == "打印文书" for t in detail.timeline)


@pytest.mark.parametrize(
    ("case", "kind"),
    [
        ("refused", "receipt"),
        ("joint", "referral"),
        ("refer", "assignment"),
        ("refer_new", "assignment"),
        ("major_pending", "assignment"),
        ("refer", "submission"),
        ("refer", "refusal"),
        ("joint_open", "reply"),
        ("joint", "minutes"),
        ("joint_open", "archive"),
    ],
)
def test_papers_that_do_not_fit_are_refused(session: Session, cases: Cases, case: str, kind: str) -> None:
    before = event_count(session)
    with pytest.raises(ValidationError) as exc:
        print_paper(session, getattr(cases, case), kind)
    assert set(exc.value.fields) == {"paper"} and exc.value.fields["paper"]
    assert event_count(session) == before


def test_unknown_kind_and_option_are_refused(session: Session, cases: Cases) -> None:
    with pytest.raises(ValidationError) as exc:
        print_paper(session, cases.refer, "poster")
    assert "paper" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        print_paper(session, cases.refused, "refusal", {"proceedings": "duel"})
    assert "proceedings" in exc.value.fields


def test_payload_verifies_and_says_what_the_paper_says(session: Session, cases: Cases) -> None:
    result = print_paper(session, cases.refer, "receipt")
    assert len(result.payload) < 300 and result.payload.isascii()
    verdict = verify_payload(session, result.payload + "\r\n")  # a hand scanner ends with Enter
    assert verdict.valid, verdict.reason
    f = verdict.fields
    assert f["paper_no"] == result.paper_no and f["kind"] == "receipt" and f["case_no"] == cases.refer
    assert f["issued"] == "2025-11-20" and f["deadline"] == "2025-12-01"
    assert f["addressee"] == "payer" and f["addressee_label"] == "缴费人" and f["recorded"] is True


def test_every_one_character_change_is_refused(session: Session, cases: Cases) -> None:
    payload = print_paper(session, cases.joint, "reply").payload
    public = session.store.meta("ed25519_public")
    assert public and verify_payload(public, payload).valid
    for i, ch in enumerate(payload):
        for other in (
            B64[(B64.index(ch) + 1) % 64] if ch in B64 else "A",
            B64[(B64.index(ch) + 33) % 64] if ch in B64 else ".",
        ):
            tampered = payload[:i] + other + payload[i + 1 :]
            if tampered == payload:
                continue
            assert not verify_payload(public, tampered).valid, (i, ch, other)


def test_verify_refuses_foreign_keys_and_garbage(session: Session, cases: Cases) -> None:
    payload = print_paper(session, cases.refer, "receipt").payload
    other = Ed25519PrivateKey.generate().public_key()
    assert not verify_payload(other, payload).valid
    for junk in ("", "hello", "SA1.abc.def", payload[:-5], payload + "AAAA"):
        verdict = verify_payload(session, junk)
        assert not verdict.valid and verdict.reason


def test_each_assignment_page_has_its_own_addressee(session: Session, cases: Cases) -> None:
    result = print_paper(session, cases.joint_open, "assignment")
    addressees = [verify_payload(session, p).fields["addressee"] for p in result.payloads]
    assert addressees == ["tax", "hrss"]


def test_preview_records_nothing_and_never_verifies(session: Session, cases: Cases) -> None:
    before = event_count(session)
    seq = session.store.meta("paper_seq:2025")
    draft = preview_paper(session, cases.archived, "archive")
    assert event_count(session) == before and session.store.meta("paper_seq:2025") == seq
    assert "样稿" in pdf_text(draft.pdf)
    assert not verify_payload(session, draft.payload).valid


def test_printed_qr_code_scans_back(session: Session, cases: Cases, tmp_path: Path) -> None:
    result = print_paper(session, cases.refer, "referral")
    pdf = tmp_path / "slip.pdf"
    pdf.write_bytes(result.pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(pdf), str(tmp_path / "page")], check=True)
    scanned = subprocess.run(
        ["zbarimg", "--raw", "-q", *sorted(str(p) for p in tmp_path.glob("page*.png"))],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert sorted(scanned) == sorted(result.payloads)
    assert all(verify_payload(session, s).valid for s in scanned)


def test_kind_labels_are_chinese() -> None:
    assert PaperKind.REFERRAL.label == "转办告知单" and PaperKind.REPLY.citizen_facing
    assert not PaperKind.ASSIGNMENT.citizen_facing
