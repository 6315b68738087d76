"""The kinds of real input that broke the desk, through the command line: each is taken (or
refused naming the field and the character) by a real subprocess on a real encrypted store,
and what is stored is the folded value the validator made."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from station_app.services.session import Session
from station_app.synthetic import make_id
from tests.conftest import ADMIN, run_cli
from tests.factories import intake_json

RNG = random.Random(41)
TAIWAN = "830000199001010020"
FOREIGN = make_id(RNG, birth=date(1985, 7, 9), region="923840")
RESIDENT = make_id(RNG, birth=date(1972, 2, 8), region="232723")


@pytest.fixture
def store(station: Session, data_dir: Path) -> Path:
    station.close()
    return data_dir


def cli(store: Path | None, *args: str, data: Any = None) -> Any:
    stdin = "" if data is None else json.dumps(data, ensure_ascii=False)
    if store is None:
        return run_cli(*args, stdin=stdin)
    return run_cli(*args, data_dir=store, user=ADMIN, stdin=stdin)


def ok(proc: Any) -> Any:
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    return json.loads(proc.stdout)


def refused(proc: Any) -> dict[str, str]:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    body = json.loads(proc.stdout)
    assert set(body) == {"error", "fields"}
    return dict(body["fields"])


def person(data: dict[str, Any], **fields: str) -> dict[str, Any]:
    data["applicant"].update(fields)
    return data


def test_permits_of_taiwan_residents_and_foreign_permanent_residents_are_taken(store: Path) -> None:
    assert ok(cli(None, "route", data=person(intake_json(), id_number=TAIWAN)))["track"] == "refer"
    for number, kind in ((TAIWAN, "taiwan_residence_permit"), (FOREIGN, "foreign_permanent_residence")):
        added = ok(cli(store, "case", "add", data=person(intake_json(), id_number=number)))
        shown = ok(cli(store, "case", "show", added["case_no"], "--json"))
        assert shown["intake"]["applicant"]["id_kind"] == kind
    no_document = make_id(RNG, birth=date(1990, 1, 1), region="811234")
    assert "applicant.id_number" in refused(cli(None, "route", data=person(intake_json(), id_number=no_document)))


def test_invisible_characters_pasted_into_codes_and_phones_are_stripped(store: Path) -> None:
    data = person(intake_json(), id_number=f"\u202d{RESIDENT}\u202c", phone="\u200b138\ufeff4567\u200b8899")
    data["respondent"]["uscc"] = "\ufeff" + data["respondent"]["uscc"] + "\u200e"
    added = ok(cli(store, "case", "add", data=data))
    for clean in (RESIDENT, "13845678899", data["respondent"]["uscc"].strip("\ufeff\u200e")):
        found = ok(cli(store, "case", "list", "--search", clean, "--json"))
        assert [c["case_no"] for c in found] == [added["case_no"]], clean


def test_a_landline_with_an_extension_and_formatted_amounts_are_kept(store: Path) -> None:
    data = person(intake_json(amount="１２，０００．５０"), phone="0457 2812345 转 801")
    added = ok(cli(store, "case", "add", data=data))
    shown = ok(cli(store, "case", "show", added["case_no"], "--json"))
    assert shown["intake"]["amount_claimed"] == "12000.50"
    phone = shown["intake"]["applicant"]["phone"]  # masked or not, in its stored form with the extension
    assert phone.startswith("0457-") and phone.endswith("2345-801") and " " not in phone and "转" not in phone
    again = ok(cli(store, "case", "add", data=intake_json(amount="12,000.00")))
    assert ok(cli(store, "case", "show", again["case_no"], "--json"))["intake"]["amount_claimed"] == "12000.00"
    assert "amount_claimed" in refused(cli(store, "case", "add", data=intake_json(amount="一万二")))


def test_search_folds_the_query_knows_surnames_and_takes_two_words(store: Path) -> None:
    added = {}
    for name, employer, phone in (
        ("曾卫", "漠河市北极林业有限公司", "13845671234"),
        ("仇强", "漠河市松岭物业服务有限公司", "0457-2812345"),
        ("曾卫", "漠河市兴安运输有限公司", "13900001111"),
    ):
        data = person(intake_json(name=name, employer=employer), phone=phone, id_number=make_id(RNG))
        added[(name, employer)] = ok(cli(store, "case", "add", data=data))["case_no"]

    def found(query: str) -> set[str]:
        return {c["case_no"] for c in ok(cli(store, "case", "list", "--search", query, "--json"))}

    first, second = added[("曾卫", "漠河市北极林业有限公司")], added[("曾卫", "漠河市兴安运输有限公司")]
    assert found("１３８４５６７１２３４") == {first}  # full-width digits
    assert found("138 4567 1234") == {first}  # spaces in a number
    assert found("0457 2812345") == {added[("仇强", "漠河市松岭物业服务有限公司")]}
    assert found("zw") == {first, second}  # 曾 read as a surname: zeng
    assert found("qq") == {added[("仇强", "漠河市松岭物业服务有限公司")]}  # 仇 read as qiu
    assert found("曾卫 北极林业") == {first}  # a name and an employer: the case with both


def test_a_character_no_font_has_is_refused_by_name_and_a_rare_one_printed(store: Path, tmp_path: Path) -> None:
    rare = ok(cli(store, "case", "add", data=intake_json(name="刘䶮")))["case_no"]
    out = tmp_path / "rare.pdf"
    assert cli(store, "print", rare, "--paper", "receipt", "--out", str(out)).returncode == 0
    assert out.read_bytes().startswith(b"%PDF")
    missing = ok(cli(store, "case", "add", data=intake_json(name="张\U00030edd")))["case_no"]
    bad = tmp_path / "missing.pdf"
    fields = refused(cli(store, "print", missing, "--paper", "receipt", "--out", str(bad)))
    assert "U+30EDD" in fields["paper"]
    assert not bad.exists()


def test_more_of_each_kind_through_the_command_line(store: Path, tmp_path: Path) -> None:
    """Other invisible characters, other ways to write an extension, a lower-case `z`, and the
    search folding them the same way."""
    data = person(
        intake_json(received_at="2025-12-31t16:30:00z"),
        id_number=f"\u3164{RESIDENT[:6]}\ufe0f{RESIDENT[6:]}\u2060",
        phone="0457-2812345（分机801）",
    )
    added = ok(cli(store, "case", "add", data=data))
    assert "-2026-" in added["case_no"]  # 00:30 on 1 January in Mohe: the year of the case number
    shown = ok(cli(store, "case", "show", added["case_no"], "--json", "--reveal"))
    assert shown["intake"]["received_at"] == "2026-01-01T00:30:00+08:00"
    assert shown["intake"]["applicant"]["id_number"] == RESIDENT
    assert shown["intake"]["applicant"]["phone"] == "0457-2812345-801"
    receipt = tmp_path / "receipt.pdf"
    ok(cli(store, "print", added["case_no"], "--paper", "receipt", "--out", str(receipt)))
    printed = "".join(page.extract_text() or "" for page in PdfReader(receipt).pages)
    assert "2026年1月1日 0:30" in printed and "2025年12月31日" not in printed  # the receipt in Mohe's time
    for query in ("(0457)2812345", "0457-2812345 内线801", f"\u200b{RESIDENT}", " ".join(added["case_no"].split("-"))):
        found = ok(cli(store, "case", "list", "--search", query, "--json"))
        assert [c["case_no"] for c in found] == [added["case_no"]], query
