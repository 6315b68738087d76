"""Real input that the desk meets, through the one validator: ID documents besides the
resident ID, characters pasted from Word or WeChat, extensions, other time zones, formatted
amounts; and hostile input refused with the field named and nothing repeated."""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

import pytest

from station_app.clock import CHINA_TZ
from station_app.domain.masking import mask_phone
from station_app.domain.validation import (
    ADMITTED,
    IdKind,
    IntakeRules,
    check_amount,
    check_id_number,
    check_phone,
    check_uscc,
    id_birth_date,
    id_kind,
    id_sex,
    normalize_amount,
    normalize_id_number,
    normalize_phone,
    normalize_uscc,
    parse_intake,
    received_at_range,
)
from station_app.errors import ValidationError
from station_app.synthetic import make_id, make_uscc

RNG = random.Random(14)
NOW = datetime(2025, 12, 1, 12, 0, tzinfo=CHINA_TZ)
USCC = make_uscc(RNG)


def intake(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "received_at": "2025-11-20T09:30:00+08:00",
        "channel": "visit",
        "town_code": "232701100",
        "applicant": {
            "kind": "person",
            "name": "张三",
            "id_number": make_id(RNG, region="232723"),
            "phone": "13812345678",
        },
        "respondent": {"kind": "employer", "name": "漠河市北极林业有限公司", "uscc": USCC},
        "category": 4,
        "insurance_types": ["pension"],
        "periods": [{"from": "2024-06", "to": "2024-12"}],
        "summary": "单位少报缴费基数。",
    }
    data.update(overrides)
    return data


def refused(data: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        parse_intake(data, IntakeRules(now=NOW))
    return info.value.fields


def person(**fields: str) -> dict[str, str]:
    return {"kind": "person", "name": "张三", "phone": "13812345678", **fields}


# -- ID documents ----------------------------------------------------------------------------


def test_the_taiwan_residence_permit_of_the_report_is_accepted_and_recorded() -> None:
    assert check_id_number("830000199001010020") is None
    parsed = parse_intake(intake(applicant=person(id_number="830000199001010020")), IntakeRules(now=NOW))
    assert parsed.applicant.id_kind == IdKind.TAIWAN_PERMIT.value == "taiwan_residence_permit"
    assert parsed.to_json()["applicant"]["id_kind"] == "taiwan_residence_permit"  # type: ignore[index]
    assert id_birth_date("830000199001010020") == date(1990, 1, 1) and id_sex("830000199001010020") == "女"


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [("810000", IdKind.HK_MACAO_PERMIT), ("820000", IdKind.HK_MACAO_PERMIT), ("830000", IdKind.TAIWAN_PERMIT)],
)
def test_residence_permits_of_hong_kong_macao_and_taiwan(prefix: str, kind: IdKind) -> None:
    for _ in range(20):
        number = make_id(RNG, region=prefix)
        assert check_id_number(number) is None, number
        assert id_kind(number) is kind
        parsed = parse_intake(intake(applicant=person(id_number=number)), IntakeRules(now=NOW))
        assert parsed.applicant.id_number == number and parsed.applicant.id_kind == kind.value


@pytest.mark.parametrize("issued_in", ["11", "23", "31", "44", "65"])
@pytest.mark.parametrize("nationality", ["840", "156", "643", "410"])
def test_the_2023_foreign_permanent_residence_card(issued_in: str, nationality: str) -> None:
    number = make_id(RNG, birth=date(1985, 7, 9), region=f"9{issued_in}{nationality}")
    assert check_id_number(number) is None
    assert id_kind(number) is IdKind.FOREIGN_PERMANENT and id_birth_date(number) == date(1985, 7, 9)
    parsed = parse_intake(intake(applicant=person(id_number=number)), IntakeRules(now=NOW))
    assert parsed.applicant.id_kind == "foreign_permanent_residence"


def test_a_resident_id_is_recorded_as_one() -> None:
    number = make_id(RNG, region="232723")
    assert parse_intake(intake(applicant=person(id_number=number)), IntakeRules(now=NOW)).applicant.id_kind == (
        "resident_id"
    )


@pytest.mark.parametrize("region", ["811234", "820100", "839999", "900840", "971840", "981840", "911000"])
def test_numbers_of_no_document_are_refused(region: str) -> None:
    number = make_id(RNG, birth=date(1990, 1, 1), region=region)
    assert check_id_number(number) == "身份证号码地区码错误"


def test_permit_numbers_still_need_their_check_digit_and_birth_date() -> None:
    good = make_id(RNG, birth=date(1990, 1, 1), region="830000")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert check_id_number(wrong) == "身份证号码校验位错误"
    assert check_id_number(make_id(RNG, birth=date(2999, 1, 1), region="810000")) == "身份证号码出生日期无效"


def test_a_stated_document_must_agree_with_the_number() -> None:
    number = make_id(RNG, region="830000")
    assert (
        parse_intake(
            intake(applicant=person(id_number=number, id_kind="taiwan_residence_permit")), IntakeRules(now=NOW)
        ).applicant.id_kind
        == "taiwan_residence_permit"
    )
    assert refused(intake(applicant=person(id_number=number, id_kind="resident_id"))) == {
        "applicant.id_kind": "证件类型与号码不符"
    }


# -- invisible characters ----------------------------------------------------------------------

INVISIBLE = ["\u200b", "\ufeff", "\u202d", "\u202c", "\u200e", "\u200f", "\u2060", "\u00ad", "\u2066", "\u2069"]
# Invisible but not format characters: the Hangul filler of WeChat's blank nicknames, the
# combining grapheme joiner, variation selectors (emoji, Mongolian) and a tag character.
INVISIBLE += ["\u3164", "\u115f", "\u034f", "\ufe0f", "\u180b", "\U000e0041"]


@pytest.mark.parametrize("mark", INVISIBLE)
def test_invisible_characters_are_stripped_from_codes_and_phones(mark: str) -> None:
    number = make_id(RNG, region="232723")
    assert normalize_id_number(f"{mark}{number[:6]}{mark}{number[6:]}{mark}") == number
    assert check_id_number(f"{mark}{number}{mark}") is None
    assert normalize_uscc(f"{USCC[:9]}{mark}{USCC[9:]}") == USCC and check_uscc(f"{mark}{USCC}") is None
    assert normalize_phone(f"{mark}0457-2812345{mark}") == "0457-2812345"
    assert normalize_phone(f"\u202d138{mark}1234{mark}5678\u202c") == "13812345678"
    parsed = parse_intake(
        intake(
            applicant=person(id_number=f"\u202d{number}\u202c", phone=f"{mark}13812345678{mark}"),
            respondent={"kind": "employer", "name": "漠河市北极林业有限公司", "uscc": f"{USCC}{mark}"},
            town_code=f"{mark}232701100",
            received_at=f"{mark}2025-11-20T09:30:00+08:00",
            periods=[{"from": f"2024-06{mark}", "to": "2024-12"}],
        ),
        IntakeRules(now=NOW),
    )
    assert parsed.applicant.id_number == number and parsed.applicant.phone == "13812345678"
    assert parsed.respondent is not None and parsed.respondent.uscc == USCC
    assert parsed.town_code == "232701100"


def test_spaces_dashes_and_full_width_forms_in_codes() -> None:
    number = make_id(RNG, birth=date(1980, 1, 1), region="232701")
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    assert normalize_id_number(spaced) == number and check_id_number(spaced) is None
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert normalize_id_number(full_width) == number
    dashed = f"{USCC[:2]}-{USCC[2:8]}-{USCC[8:17]}-{USCC[17]}"
    assert check_uscc(dashed) is None and normalize_uscc(dashed) == USCC
    assert normalize_uscc(USCC[:8] + "\u2014" + USCC[8:]) == USCC  # an em dash from Word


# -- extensions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0457-2812345-801",
        "0457-2812345转801",
        "0457 2812345 转 801",
        "0457-2812345 ext 801",
        "0457-2812345 EXT.801",
        "0457-2812345x801",
        "0457-2812345 X 801",
        "0457-2812345#801",
        "0457-2812345 分机801",
        "(0457)2812345-801",
        "０４５７－２８１２３４５－８０１",
        "+86 457 2812345 ext. 801",
        "0457-2812345转801#",
        "0457-2812345(801)",
        "0457-2812345（分机801）",
        "0457-2812345 (ext. 801)",
        "0457-2812345 分机号:801",
        "0457-2812345 转分机 801",
        "0457-2812345 内线801",
        "0457-2812345,801",
        "0457-2812345，801",
        "0457-2812345*801",
    ],
)
def test_landlines_with_an_extension_keep_it(typed: str) -> None:
    assert check_phone(typed) is None
    assert normalize_phone(typed) == "0457-2812345-801"
    parsed = parse_intake(intake(applicant=person(phone=typed)), IntakeRules(now=NOW))
    assert parsed.applicant.phone == "0457-2812345-801"
    assert mask_phone(parsed.applicant.phone) == "0457-***2345-801"


def test_other_extensions_and_numbers_without_one() -> None:
    assert normalize_phone("010-62345678转12") == "010-62345678-12"
    assert normalize_phone("0457-281-2345") == "0457-2812345"  # a grouping, not an extension
    assert normalize_phone("0457-2812345") == "0457-2812345"
    assert check_phone("13812345678转801") == "分机号只适用于固定电话"
    assert check_phone("0457-2812345转") is not None
    assert check_phone("0457-2812345转1234567") is not None
    assert check_phone("13812345678(801)") == "分机号只适用于固定电话"
    assert check_phone("0457-2812345,2812346") is not None  # two numbers, not an extension
    assert check_phone("13812345678,13912345678") is not None
    assert check_phone("0457-2812345(801") is not None


# -- time zones and sane dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "beijing"),
    [
        ("2025-11-20T23:30:00Z", "2025-11-21T07:30:00+08:00"),
        ("2025-11-20T23:30:00+00:00", "2025-11-21T07:30:00+08:00"),
        ("2025-11-21T01:30:00+02:00", "2025-11-21T07:30:00+08:00"),
        ("2025-11-20T18:30:00-05:00", "2025-11-21T07:30:00+08:00"),
        ("2025-11-21T07:30:00+08:00", "2025-11-21T07:30:00+08:00"),
        ("2025-11-21T07:30:00", "2025-11-21T07:30:00+08:00"),
        ("2025-12-31T16:30:00Z", "2026-01-01T00:30:00+08:00"),
        ("2025-11-20t23:30:00z", "2025-11-21T07:30:00+08:00"),  # RFC 3339 lower case
        ("２０２５-１１-２０Ｔ２３:３０:００Ｚ", "2025-11-21T07:30:00+08:00"),  # typed with a Chinese input method
        ("2025-11-21T05:15:00+05:45", "2025-11-21T07:30:00+08:00"),
        ("2025-11-20T23:30:00+0000", "2025-11-21T07:30:00+08:00"),
    ],
)
def test_received_at_is_converted_to_beijing_time(typed: str, beijing: str) -> None:
    parsed = parse_intake(intake(received_at=typed), IntakeRules(now=datetime(2026, 1, 2, tzinfo=CHINA_TZ)))
    assert parsed.received_at.isoformat() == beijing
    assert parsed.to_json()["received_at"] == beijing


def test_the_future_is_judged_in_beijing_time() -> None:
    now = datetime(2025, 11, 21, 7, 0, tzinfo=CHINA_TZ)
    with pytest.raises(ValidationError) as info:  # 07:30 in Mohe is after 07:00 (and 5 minutes)
        parse_intake(intake(received_at="2025-11-20T23:30:00Z"), IntakeRules(now=now))
    assert info.value.fields == {"received_at": "受理时间不能晚于当前时间"}
    assert parse_intake(intake(received_at="2025-11-20T22:30:00Z"), IntakeRules(now=now)).received_at.day == 21


@pytest.mark.parametrize(
    "typed",
    [
        "0001-01-01T00:00:00+08:00",
        "1999-12-31T23:59:00+08:00",
        "2999-01-01T00:00:00Z",
        "9999-12-31T23:59:00-12:00",
        "0001-01-01T00:00:00+14:00",
    ],
)
def test_dates_outside_a_sane_range_are_refused_even_for_stored_intakes(typed: str) -> None:
    from station_app.domain.validation import ADMITTED

    assert "received_at" in refused(intake(received_at=typed))
    with pytest.raises(ValidationError) as info:
        parse_intake(intake(received_at=typed), ADMITTED)
    assert list(info.value.fields) == ["received_at"]


def test_the_desk_offers_a_year_back_at_most() -> None:
    earliest, latest = received_at_range(NOW)
    assert latest == NOW and (NOW - earliest).days == 366


# -- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("１２０００", "12000"),
        ("12,000.00", "12000.00"),
        ("１２，０００．５０", "12000.50"),
        ("1,234,567", "1234567"),
        (" 12 000 ", "12000"),
        ("12000元", "12000"),
        ("¥12,000", "12000"),
        ("￥８００", "800"),
        ("12000\u200b", "12000"),
    ],
)
def test_formatted_amounts_are_read_not_dropped(typed: str, value: str) -> None:
    assert check_amount(typed) is None and normalize_amount(typed) == value
    assert str(parse_intake(intake(amount_claimed=typed), IntakeRules(now=NOW)).amount_claimed) == value


@pytest.mark.parametrize("typed", ["12,00", "1,2345", "12.345", "-5", "1e5", "十二万", "12000\u0000"])
def test_amounts_that_are_not_amounts_are_refused(typed: str) -> None:
    assert check_amount(typed) is not None or "\u0000" in typed
    assert "amount_claimed" in refused(intake(amount_claimed=typed))


# -- hostile texts and keys ------------------------------------------------------------------


# Every Bidi_Control character (the marks too), the line and paragraph separators, noncharacters.
OTHER_INVISIBLE = ["\u200e", "\u200f", "\u061c", "\u2068", "\u2069", "\u2028", "\u2029", "\ufffe", "\uffff",
                   "\ufdd0", "\U0010ffff", "\U0001fffe"]  # fmt: skip
# C0 and C1 controls, an escape sequence, lone surrogates, the overrides, embeddings and isolates.
CONTROLS = ["\u0000", "\u0007", "\u001b[31m", "\u007f", "\u0085", "\ud800", "\udfff", "\u202e", "\u202a", "\u2067"]


@pytest.mark.parametrize("bad", CONTROLS + OTHER_INVISIBLE)
@pytest.mark.parametrize("where", ["summary", "claim", "applicant.name", "respondent.name", "proceeding.body"])
def test_controls_surrogates_direction_marks_separators_and_noncharacters_in_texts_are_refused(
    bad: str, where: str
) -> None:
    data = intake(proceeding={"kind": "arbitration", "body": "漠河市劳动人事争议仲裁委员会"})
    outer, _, inner = where.partition(".")
    if inner:
        data[outer] = dict(data[outer], **{inner: f"张{bad}三"})
    else:
        data[outer] = f"单位{bad}少报"
    fields = refused(data)
    assert list(fields) == [where]
    assert bad not in fields[where] and "张" not in fields[where]


def test_line_breaks_and_tabs_stay_allowed_in_texts() -> None:
    parsed = parse_intake(intake(summary="第一行\n第二行\r\n\t第三行"), IntakeRules(now=NOW))
    assert "第二行" in parsed.summary
    parsed = parse_intake(intake(claim="请求一\n请求二"), IntakeRules(now=NOW))
    assert parsed.claim == "请求一\n请求二"


@pytest.mark.parametrize("brk", ["\n", "\r", "\t", "\r\n"])
@pytest.mark.parametrize("where", ["applicant.name", "respondent.name", "respondent.contact", "proceeding.body"])
def test_a_name_or_a_body_of_one_line_refuses_line_breaks_and_tabs(brk: str, where: str) -> None:
    data = intake(proceeding={"kind": "arbitration", "body": "漠河市劳动人事争议仲裁委员会"})
    outer, _, inner = where.partition(".")
    data[outer] = dict(data[outer], **{inner: f"张{brk}三"})
    assert refused(data) == {where: "不能含换行符或制表符"}
    data[outer] = dict(data[outer], **{inner: f"{brk}张三{brk}"})  # around it: trimmed, taken
    parse_intake(data, IntakeRules(now=NOW))


def test_unknown_keys_are_never_repeated_when_they_are_not_field_names() -> None:
    number = make_id(RNG, region="232723")
    data = intake(**{number: "x", "张三": 1, "13812345678": True})
    data["applicant"] = dict(data["applicant"], **{number: "x"})
    fields = refused(data)
    assert fields == {"_": "未知字段(3个)", "applicant": "未知字段(1个)"}
    flat = repr(fields)
    assert number not in flat and "张三" not in flat and "13812345678" not in flat
    assert refused(intake(colour="red")) == {"colour": "未知字段"}  # a misspelt field is named


def test_intake_uuid_is_optional_and_must_be_a_uuid() -> None:
    parsed = parse_intake(intake(intake_uuid="6F9619FF-8B86-D011-B42D-00C04FC964FF"), IntakeRules(now=NOW))
    assert parsed.intake_uuid == "6f9619ff-8b86-d011-b42d-00c04fc964ff"
    assert parsed.to_json()["intake_uuid"] == parsed.intake_uuid
    assert "intake_uuid" not in parse_intake(intake(), IntakeRules(now=NOW)).to_json()
    assert refused(intake(intake_uuid="not-a-uuid")) == {"intake_uuid": "应为UUID"}


def test_a_naive_station_clock_reads_beijing_time() -> None:
    naive_now = datetime(2025, 11, 21, 8, 0)
    parsed = parse_intake(intake(received_at="2025-11-20T23:30:00Z"), IntakeRules(now=naive_now))
    assert parsed.received_at.isoformat() == "2025-11-21T07:30:00+08:00"


@pytest.mark.parametrize("mark", ["\u200b", "\ufeff", "\u2060", "\u202c", "\u3164"])
def test_invisible_characters_are_stripped_from_the_coded_fields_too(mark: str) -> None:
    """Channel, party kinds, the ID document and the proceeding's kind are codes like the others."""
    number = make_id(RNG, region="830000")
    parsed = parse_intake(
        intake(
            channel=f"visit{mark}",
            applicant=dict(person(id_number=number, id_kind=f"{mark}taiwan_residence_permit"), kind=f"person{mark}"),
            respondent={"kind": f"{mark}employer", "name": "漠河市北极林业有限公司", "uscc": USCC},
            proceeding={"kind": f"arbitration{mark}", "dismissed": True},
            insurance_types=[f"{mark}pension"],
        ),
        IntakeRules(now=NOW),
    )
    assert parsed.channel.value == "visit" and parsed.applicant.kind == "person"
    assert parsed.applicant.id_kind == "taiwan_residence_permit"
    assert parsed.respondent is not None and parsed.respondent.kind == "employer"
    assert parsed.proceeding is not None and parsed.proceeding.kind.value == "arbitration"


def test_a_stored_intake_taken_under_older_text_rules_is_still_read_for_routing() -> None:
    """A case registered before line breaks in names and direction marks were refused can still
    be routed: its stored intake is read again as admitted."""
    older = intake(applicant=person(name="张\n三\u200f", id_number=make_id(RNG, region="232723")))
    assert set(refused(older)) == {"applicant.name"}
    assert parse_intake(older, ADMITTED).applicant.name == "张\n三\u200f"
