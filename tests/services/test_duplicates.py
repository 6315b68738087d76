"""The duplicate warning: identifiers compared as the validator folds them; any earlier case of
the same person or employer, open or closed, and what it shares with the new one."""

from __future__ import annotations

import random
from datetime import date

from station_app.services import case_service
from station_app.services.query_service import find_duplicates
from station_app.services.session import Session
from station_app.synthetic import make_id, make_uscc
from tests.factories import intake_json

RNG = random.Random(23)
ID_NUMBER = make_id(RNG, birth=date(1980, 1, 1), region="232701")
USCC = make_uscc(RNG)


def _typed(**applicant: str) -> dict[str, object]:
    """A half-typed desk form: only what the worker has typed so far."""
    return {"applicant": {"kind": "person", **applicant}}


def test_numbers_typed_another_way_find_the_earlier_case_open_or_closed(station: Session) -> None:
    closed = case_service.intake(
        station, intake_json(name="赵敏", id_number=ID_NUMBER, phone="0457-2812345-801", category=9, periods=())
    ).case_no
    case_service.perform(station, closed, "withdraw", {"reason": "缴费人撤回"})
    spaced_id = f"{ID_NUMBER[:6]} {ID_NUMBER[6:14]} {ID_NUMBER[14:].lower()}"
    full_width_id = "".join(chr(ord(c) + 0xFEE0) for c in ID_NUMBER)
    for typed, matched in (
        (_typed(phone="0457 2812345"), ("phone",)),  # without the extension, with a space
        (_typed(phone="\u202d0457-2812345\u202c"), ("phone",)),  # pasted from WeChat
        (_typed(id_number=spaced_id), ("id_number",)),
        (_typed(id_number=full_width_id), ("id_number",)),
    ):
        [found] = find_duplicates(station, typed)
        assert found.case.case_no == closed and found.matched == matched, typed
        assert found.case.status.value == "withdrawn"  # a closed case is still named
    assert find_duplicates(station, _typed(phone="0457 2812346")) == []


def test_an_earlier_case_of_the_same_employer_is_named_with_what_it_shares(station: Session) -> None:
    data = intake_json(employer="漠河市兴安建筑有限公司")
    data["respondent"]["uscc"] = USCC
    open_case = case_service.intake(station, data).case_no
    typed = {
        "applicant": {"kind": "person", "name": "王芳"},
        "respondent": {"kind": "employer", "name": "漠河市兴安建筑有限公司", "uscc": f"{USCC[:9]}-{USCC[9:]}"},
    }
    [found] = find_duplicates(station, typed)
    assert found.case.case_no == open_case and set(found.matched) == {"uscc", "employer"}
    typed["respondent"] = {"kind": "employer", "name": "漠河市兴安建筑有限公司"}
    assert [d.matched for d in find_duplicates(station, typed)] == [("employer",)]


def test_an_employer_name_written_another_way_finds_the_earlier_case(station: Session) -> None:
    """Brackets full-width or not, spaces and pasted invisible characters, traditional characters."""
    earlier = case_service.intake(station, intake_json(employer="漠河市兴安林业（集团）有限公司")).case_no
    for typed_name in (
        "漠河市兴安林业(集团)有限公司",
        "漠河市兴安林业 （集团） 有限公司",
        "\u200b漠河市兴安林业（集团）有限公司\ufeff",
        "漠河市興安林業（集團）有限公司",
    ):
        typed = {
            "applicant": {"kind": "person", "name": "王芳"},
            "respondent": {"kind": "employer", "name": typed_name},
        }
        assert [(d.case.case_no, d.matched) for d in find_duplicates(station, typed)] == [(earlier, ("employer",))], (
            typed_name
        )
    other = {
        "applicant": {"kind": "person", "name": "王芳"},
        "respondent": {"kind": "employer", "name": "漠河市兴安林业"},
    }
    assert find_duplicates(station, other) == []
