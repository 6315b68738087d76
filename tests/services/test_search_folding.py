"""Search folds the query the way intake folds input, and two words find the case with both."""

from __future__ import annotations

import random

from station_app.services import case_service, query_service
from station_app.services.query_service import CaseQuery, fold_query
from station_app.services.session import Session
from station_app.synthetic import make_id
from tests.factories import intake_json


def _id_ending_in_x() -> str:
    rng = random.Random(7)
    return next(i for i in (make_id(rng) for _ in range(500)) if i.endswith("X"))


def _found(session: Session, query: str) -> set[str]:
    return {c.case_no for c in query_service.list_cases(session, CaseQuery(search=query))}


def test_numbers_are_folded_like_intake_folds_them(station: Session) -> None:
    id_number = _id_ending_in_x()
    no = case_service.intake(station, intake_json(name="张伟", id_number=id_number, phone="13845671234")).case_no
    case_service.intake(station, intake_json(name="李四"))
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in id_number[:-1]) + "ｘ"
    spaced = f"{id_number[:6]} {id_number[6:14]} {id_number[14:].lower()}"
    for query in (id_number.lower(), full_width, spaced, "138 4567 1234", "１３８４５６７１２３４"):
        assert _found(station, query) == {no}, query
    assert fold_query("0457 2812345") == "0457-2812345"
    assert fold_query("  张伟  北极林业 ") == "张伟 北极林业"


def test_a_name_and_an_employer_find_the_case_with_both(station: Session) -> None:
    both = case_service.intake(station, intake_json(name="张伟", employer="漠河市北极林业有限公司")).case_no
    case_service.intake(station, intake_json(name="张伟", employer="漠河市松岭物业服务有限公司"))
    case_service.intake(station, intake_json(name="王芳", employer="漠河市北极林业有限公司"))
    assert _found(station, "张伟 北极林业") == {both}
    assert _found(station, "北极林业　张伟") == {both}  # a full-width space between the words
    assert len(_found(station, "张伟")) == 2


def test_pinyin_initials_know_surname_readings(station: Session) -> None:
    zeng = case_service.intake(station, intake_json(name="曾卫")).case_no
    qiu = case_service.intake(station, intake_json(name="仇强")).case_no
    shan = case_service.intake(station, intake_json(name="单田芳")).case_no
    assert _found(station, "zw") == {zeng}
    assert _found(station, "qq") == {qiu}
    assert _found(station, "stf") == {shan}
    assert _found(station, "cw") == {zeng}  # the common reading still finds it


def test_traditional_and_simplified_names_find_each_other(station: Session) -> None:
    """A name typed in traditional characters (a 港澳台 resident's, an old document's) is
    found by its simplified form, and a simplified name by its traditional form."""
    trad = case_service.intake(station, intake_json(name="張偉", employer="漠河市北極林業有限公司")).case_no
    simp = case_service.intake(station, intake_json(name="欧阳修", employer="漠河市松岭物业服务有限公司")).case_no
    other = case_service.intake(station, intake_json(name="张卫", employer="漠河市兴安运输有限公司")).case_no
    assert _found(station, "张伟") == {trad}
    assert _found(station, "張偉") == {trad}
    assert _found(station, "歐陽修") == {simp}
    assert _found(station, "歐陽") == {simp}  # a part of the name, through the pair index too
    assert _found(station, "北极林业") == {trad}  # an employer in traditional characters
    assert _found(station, "張偉 北极林业") == {trad}
    assert _found(station, "zw") >= {trad, other}  # initials of the traditional name


def test_hong_kong_forms_fold_like_the_standard_traditional_ones(station: Session) -> None:
    """A 港澳 resident's name in Hong Kong forms (衞, not 衛) is found by its simplified form."""
    hk = case_service.intake(station, intake_json(name="衞志強")).case_no
    plain = case_service.intake(station, intake_json(name="吃瓜群", summary="反映什么时候补缴。")).case_no
    assert _found(station, "卫志强") == {hk}
    assert _found(station, "衛志強") == {hk}
    assert _found(station, "吃瓜群") == {plain}  # everyday simplified characters stay as they are
    assert _found(station, "什么时候") == {plain}


def test_pasted_invisible_characters_and_intake_forms_of_numbers_are_folded(station: Session) -> None:
    """A query pasted from WeChat (zero-width space, BOM, bidi marks) or typed as intake takes it
    (a bracketed area code, an extension, a credit code in groups, a case number in groups)
    finds the case."""
    data = intake_json(name="张伟", phone="0457-2812345转801")
    uscc = data["respondent"]["uscc"]
    no = case_service.intake(station, data).case_no
    case_service.intake(station, intake_json(name="李四", phone="13900001111"))
    for query in (
        "\u200b张伟",
        "张\ufeff伟",
        "\u202d0457-2812345\u202c",
        "(0457)2812345",
        "0457 2812345 分机801",
        f"{uscc[:8]} {uscc[8:].lower()}",
        f"{uscc[:2]}-{uscc[2:8]}-{uscc[8:]}",
        " ".join(no.split("-")),
    ):
        assert _found(station, query) == {no}, query


def test_two_words_find_an_older_case_behind_a_word_many_cases_share(station: Session) -> None:
    """A name typed after an employer with more cases than one search keeps (or 漠河市, which every
    employer here carries) finds that person's case all the same, in either order."""
    from datetime import datetime, timedelta

    from station_app.clock import CHINA_TZ
    from station_app.services.query_service import SEARCH_LIMIT

    rng = random.Random(14)
    employer = "漠河市北极林业有限公司"
    start = datetime(2025, 3, 1, 9, 0, tzinfo=CHINA_TZ)
    oldest = case_service.intake(
        station, intake_json(name="曾卫", employer=employer, received_at=start.isoformat(), id_number=make_id(rng))
    ).case_no
    given = "明华强军伟芳丽静"
    newer = [
        intake_json(
            name=f"李{given[i % 8]}{given[i // 8 % 8]}",
            employer=employer,
            received_at=(start + timedelta(hours=i + 1)).isoformat(),
            id_number=make_id(rng),
        )
        for i in range(SEARCH_LIMIT + 20)
    ]
    case_service.bulk_intake(station, newer)
    for query in ("北极林业 曾卫", "曾卫 北极林业", f"{employer} 曾卫", "漠河市 zw", "zw 漠河市"):
        assert _found(station, query) == {oldest}, query
