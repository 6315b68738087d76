"""Validation of ID numbers, USCCs, phones and the intake JSON (DESIGN.md "Validation")."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from station_app.domain.enums import Category, Channel, Flag, InsuranceType
from station_app.domain.intake import Month, Period
from station_app.domain.validation import (
    PROVINCE_CODES,
    USCC_ALPHABET,
    IntakeRules,
    check_field,
    check_id_number,
    check_phone,
    check_uscc,
    id_birth_date,
    id_sex,
    normalize_id_number,
    normalize_phone,
    normalize_uscc,
    parse_intake,
)
from station_app.errors import ValidationError

# --- independent implementations of the check algorithms ---------------------------------


def id_check_digit(first17: str) -> str:
    """GB 11643 MOD 11-2, written out from the standard (weights 2^(17-i) mod 11)."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return "10X98765432"[total % 11]


def make_id(region: str, born: date, seq: int) -> str:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + id_check_digit(body)


GB32100_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_check_char(first17: str) -> str:
    """GB 32100: weights 3^i mod 31, check = 31 - (sum mod 31), 31 -> 0."""
    total = sum(GB32100_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return GB32100_ALPHABET[(31 - total % 31) % 31]


def make_uscc(first17: str) -> str:
    return first17 + uscc_check_char(first17)


MOHE_ID = make_id("232723", date(1980, 1, 1), 1)  # old Mohe county code, valid until 2018

regions = st.one_of(
    st.just("232723"),
    st.just("232701"),
    st.builds(lambda p, rest: f"{p:02d}{rest:04d}", st.sampled_from(sorted(PROVINCE_CODES)), st.integers(0, 9999)),
)
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date.today())
valid_ids = st.builds(make_id, regions, birth_dates, st.integers(0, 999))

alnum = st.sampled_from(GB32100_ALPHABET)
valid_usccs = st.builds(
    lambda head, kind, region, org: make_uscc(head + kind + region + "".join(org)),
    st.sampled_from("123456789ANY"),
    alnum,
    st.integers(0, 999999).map(lambda n: f"{n:06d}"),
    st.lists(alnum, min_size=9, max_size=9),
)


# --- resident ID ---------------------------------------------------------------------------


@given(valid_ids)
def test_valid_ids_are_accepted(number: str) -> None:
    assert check_id_number(number) is None
    assert normalize_id_number(number) == number


@given(valid_ids)
def test_every_single_character_change_is_refused(number: str) -> None:
    for pos, original in enumerate(number):
        for char in "0123456789X":
            if char != original:
                mutated = number[:pos] + char + number[pos + 1 :]
                assert check_id_number(mutated) is not None, (pos, char)


@given(valid_ids)
def test_adjacent_transpositions_are_refused(number: str) -> None:
    for pos in range(17):
        swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]
        if swapped != number:
            assert check_id_number(swapped) is not None


def test_old_mohe_region_code_is_accepted() -> None:
    assert check_id_number(MOHE_ID) is None
    assert id_birth_date(MOHE_ID) == date(1980, 1, 1)


def test_known_good_id_from_stdnum_docs() -> None:
    assert check_id_number("360426199101010071") is None


def test_lowercase_x_and_spaces_are_normalised() -> None:
    seq = next(s for s in range(1000) if make_id("232723", date(1975, 6, 15), s).endswith("X"))
    number = make_id("232723", date(1975, 6, 15), seq)
    messy = " " + number[:6] + " " + number[6:14] + " " + number[14:-1] + "x "
    assert check_id_number(messy) is None
    assert normalize_id_number(messy) == number
    assert check_field("id_number", messy) is None


def test_full_width_digits_are_folded() -> None:
    full = "".join(chr(ord(c) + 0xFEE0) for c in MOHE_ID)
    assert check_id_number(full) is None
    assert normalize_id_number(full) == MOHE_ID


def test_non_ascii_digits_are_refused() -> None:
    arabic_indic = MOHE_ID[:-2] + "\u0661" + MOHE_ID[-1]  # ARABIC-INDIC DIGIT ONE
    assert check_id_number(arabic_indic) == "身份证号码格式错误"


def test_february_30_is_refused() -> None:
    body = "232723" + "19900230" + "123"
    assert check_id_number(body + id_check_digit(body)) == "身份证号码出生日期无效"


@pytest.mark.parametrize("born", ["18991231", "21000101"])
def test_birth_date_before_1900_or_in_future_is_refused(born: str) -> None:
    body = "232723" + born + "001"
    assert check_id_number(body + id_check_digit(body)) == "身份证号码出生日期无效"


def test_birth_date_tomorrow_is_refused() -> None:
    today = date(2025, 11, 20)
    number = make_id("232723", today + timedelta(days=1), 1)
    assert check_id_number(number, today=today) == "身份证号码出生日期无效"
    assert check_id_number(make_id("232723", today, 1), today=today) is None


@pytest.mark.parametrize("province", ["00", "10", "24", "39", "83", "99"])
def test_unknown_province_is_refused(province: str) -> None:
    number = make_id(province + "2723", date(1980, 1, 1), 1)
    assert check_id_number(number) == "身份证号码地区码错误"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "请填写身份证号码"),
        ("23272380010100", "身份证号码应为18位"),  # old 15-digit numbers are not taken
        (MOHE_ID + "1", "身份证号码应为18位"),
        ("X" + MOHE_ID[1:], "身份证号码格式错误"),
        (MOHE_ID[:-1] + ("1" if MOHE_ID[-1] != "1" else "2"), "身份证号码校验位错误"),
    ],
)
def test_bad_ids_are_refused_with_a_reason(value: str, reason: str) -> None:
    assert check_id_number(value) == reason


def test_birth_date_and_sex() -> None:
    man = make_id("232723", date(1988, 2, 29), 13)
    woman = make_id("232723", date(1988, 2, 29), 14)
    assert id_birth_date(man) == date(1988, 2, 29)
    assert (id_sex(man), id_sex(woman)) == ("男", "女")
    with pytest.raises(ValueError, match="校验位"):
        id_sex(man[:-1] + ("0" if man[-1] != "0" else "1"))


# --- USCC ------------------------------------------------------------------------------------


def test_alphabet_and_weights_match_gb32100() -> None:
    assert USCC_ALPHABET == GB32100_ALPHABET and len(USCC_ALPHABET) == 31
    assert not set("IOSVZ") & set(USCC_ALPHABET)
    assert check_uscc("91110000600037341L") is None  # a published code


@given(valid_usccs)
def test_valid_usccs_are_accepted(code: str) -> None:
    assert check_uscc(code) is None
    assert check_uscc(code.lower()) is None
    assert normalize_uscc(code.lower()) == code
    assert stdnum_uscc.calc_check_digit(code) == code[-1]


@given(valid_usccs)
def test_every_single_character_change_of_a_uscc_is_refused(code: str) -> None:
    for pos, original in enumerate(code):
        for char in GB32100_ALPHABET + "IOSVZ":
            if char != original:
                mutated = code[:pos] + char + code[pos + 1 :]
                assert check_uscc(mutated) is not None, (pos, char)


@pytest.mark.parametrize("head", ["N2", "Y1", "A1", "51", "12"])
def test_non_business_registering_authorities_are_accepted(head: str) -> None:
    code = make_uscc(head + "232723" + "MA1B2C3D4")
    assert check_uscc(code) is None
    assert check_field("uscc", code[:9] + "-" + code[9:]) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "请填写统一社会信用代码"),
        ("91110000600037341", "统一社会信用代码应为18位"),
        ("91110000600037341Z", "统一社会信用代码含无效字符"),
        (make_uscc("91A10000600037341"), "统一社会信用代码格式错误"),
        ("91110000600037341M", "统一社会信用代码校验位错误"),
    ],
)
def test_bad_usccs_are_refused_with_a_reason(value: str, reason: str) -> None:
    assert check_uscc(value) == reason


# --- phones ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("0457-2812345", "0457-2812345"),
        ("04572812345", "0457-2812345"),
        ("0457 2812345", "0457-2812345"),
        ("(0457)2812345", "0457-2812345"),
        ("+86 457 2812345", "0457-2812345"),
        ("０４５７－２８１２３４５", "0457-2812345"),
        ("0451-86661234", "0451-86661234"),
        ("010-62345678", "010-62345678"),
    ],
)
def test_good_phones_are_accepted_and_normalised(value: str, normal: str) -> None:
    assert check_phone(value) is None
    assert check_field("phone", value) is None
    assert normalize_phone(value) == normal


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "12345",
        "2812345",  # no area code
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # no 12x mobile prefix
        "0457-281234",  # local part too short
        "0457-28123456",  # Mohe local numbers have 7 digits
        "0457-0812345",  # local numbers do not start with 0 or 1
        "010-12345678",
        "+1 650 253 0000",
        "138 1234 567８ext",
        "电话13812345678",
    ],
)
def test_bad_phones_are_refused(value: str) -> None:
    reason = check_phone(value)
    assert reason is not None
    assert value.strip() == "" or value.strip() not in reason
    assert normalize_phone(value) == value.strip()  # left alone, never invented


# --- months and check_field ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2023-10", True),
        ("2023-1", True),
        ("1990-01", True),
        ("2100-12", True),
        ("2023-13", False),
        ("2023-00", False),
        ("1989-12", False),
        ("2101-01", False),
        ("2023/10", False),
        ("202310", False),
        ("", False),
    ],
)
def test_month_field(value: str, ok: bool) -> None:
    assert (check_field("month", value) is None) is ok


def test_check_field_refuses_unknown_kinds() -> None:
    with pytest.raises(KeyError):
        check_field("name", "张三")


# --- the intake JSON -----------------------------------------------------------------------

EMPLOYER_CODE = make_uscc("91232701" + "MA1ABCDE2")
EXAMPLE: dict[str, Any] = {
    "received_at": "2025-11-20T09:30:00+08:00",
    "channel": "visit",
    "town_code": "232701100",
    "applicant": {"kind": "person", "name": "张三", "id_number": MOHE_ID, "phone": "13812345678"},
    "respondent": {"kind": "employer", "name": "漠河某林业公司", "uscc": EMPLOYER_CODE},
    "category": 4,
    "insurance_types": ["pension"],
    "periods": [{"from": "2023-10", "to": "2024-06"}],
    "amount_claimed": "12000.00",
    "group_size": 1,
    "summary": "单位少缴养老保险费",
    "claim": "补缴",
    "flags": {
        "labour_relation_disputed": False,
        "compulsory_enforcement": False,
        "bankruptcy": False,
        "online_opinion": False,
        "repeat_petition": False,
        "in_legal_proceedings": False,
    },
}


def example(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return data


def refused(data: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        parse_intake(data)
    return info.value.fields


def test_design_example_passes() -> None:
    intake = parse_intake(example())
    assert intake.received_at == datetime(2025, 11, 20, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert intake.channel is Channel.VISIT and intake.town_code == "232701100"
    assert intake.applicant.name == "张三" and intake.applicant.id_number == MOHE_ID
    assert intake.respondent is not None and intake.respondent.uscc == EMPLOYER_CODE
    assert intake.category is Category.CONTRIBUTION_AMOUNT
    assert intake.insurance_types == (InsuranceType.PENSION,)
    assert intake.periods == (Period(Month(2023, 10), Month(2024, 6)),)
    assert intake.amount_claimed == Decimal("12000.00") and intake.group_size == 1
    assert intake.flags == frozenset()


def test_canonical_json_round_trips() -> None:
    intake = parse_intake(example(flags={"bankruptcy": True}))
    assert intake.flags == {Flag.BANKRUPTCY}
    assert parse_intake(intake.to_json()) == intake


def test_minimal_intake_and_defaults() -> None:
    intake = parse_intake(
        {
            "received_at": "2025-11-20 09:30",
            "channel": "hotline_12345",
            "town_code": "232701105",
            "applicant": {"kind": "person", "name": " 李四 ", "phone": "0457 2812345"},
            "category": 9,
            "summary": " 其他争议 ",
        }
    )
    assert intake.received_at.utcoffset() == timedelta(hours=8)  # naive means Beijing time
    assert intake.applicant.name == "李四" and intake.applicant.phone == "0457-2812345"
    assert intake.group_size == 1 and intake.periods == () and intake.respondent is None
    assert intake.amount_claimed is None and intake.summary == "其他争议" and intake.flags == frozenset()
    assert intake.proceeding is None


def test_inputs_are_normalised() -> None:
    lower = MOHE_ID.lower()
    intake = parse_intake(
        example(
            applicant={
                "kind": "person",
                "name": "张三",
                "id_number": f" {lower} ",
                "phone": "１３８ １２３４ ５６７８",
            },
            insurance_types=["pension", "medical", "pension"],
            received_at="2025-11-20T01:30:00Z",
        )
    )
    assert intake.applicant.id_number == MOHE_ID and intake.applicant.phone == "13812345678"
    assert intake.insurance_types == (InsuranceType.PENSION, InsuranceType.MEDICAL)
    assert intake.received_at.utcoffset() == timedelta(hours=8)  # converted to Beijing time
    assert intake.received_at.isoformat() == "2025-11-20T09:30:00+08:00"


@pytest.mark.parametrize("category", [3, 4, 6, 8])
def test_categories_needing_periods_refuse_without(category: int) -> None:
    needed = {"periods": "该类争议须填写争议期间"}
    assert refused(example(category=category, periods=...)) == needed
    assert refused(example(category=category, periods=[])) == needed


@pytest.mark.parametrize("category", [1, 2, 5, 7, 9])
def test_other_categories_route_without_periods(category: int) -> None:
    assert parse_intake(example(category=category, periods=...)).periods == ()


def test_several_errors_are_reported_at_once() -> None:
    bad_id = MOHE_ID[:-1] + ("1" if MOHE_ID[-1] != "1" else "2")
    fields = refused(
        example(
            channel="fax",
            town_code="2327011",
            category=0,
            applicant={"kind": "person", "name": "", "id_number": bad_id, "phone": "12345"},
            periods=[{"from": "2024-13", "to": "2023-01"}, {"from": "2024-06", "to": "2024-01"}],
            amount_claimed="-5",
            group_size=0,
            received_at="yesterday",
            colour="red",
            flags={"bankruptcy": "yes", "weather": True},
        )
    )
    assert fields == {
        "channel": "受理渠道无效",
        "town_code": "乡镇代码应为9位数字",
        "category": "应在1-9之间",
        "applicant.name": "必填",
        "applicant.id_number": "身份证号码校验位错误",
        "applicant.phone": fields["applicant.phone"],
        "periods[0].from": "月份应为1-12",
        "periods[1].to": "结束月份不能早于开始月份",
        "amount_claimed": "金额应为非负数且最多两位小数",
        "group_size": "应在1-1000000之间",
        "received_at": "受理时间应为ISO 8601日期时间",
        "colour": "未知字段",
        "flags.bankruptcy": "应为true或false",
        "flags.weather": "未知字段",
    }
    assert all(bad_id not in reason and "12345" not in reason for reason in fields.values())


def test_unknown_flag_is_refused() -> None:
    flags = dict(EXAMPLE["flags"], sick_leave=True)
    assert refused(example(flags=flags)) == {"flags.sick_leave": "未知字段"}


@pytest.mark.parametrize("flags", [False, [], "bankruptcy", ["bankruptcy"]])
def test_flags_must_be_an_object(flags: object) -> None:
    assert refused(example(flags=flags)) == {"flags": "应为对象"}


def test_flags_may_be_partial_or_absent() -> None:
    assert parse_intake(example(flags={"online_opinion": True})).flags == {Flag.ONLINE_OPINION}
    assert parse_intake(example(flags=...)).flags == frozenset()


@pytest.mark.parametrize("category", [True, False, "4", 4.0, [4], 10, -1])
def test_category_must_be_an_integer_from_1_to_9(category: object) -> None:
    assert "category" in refused(example(category=category))


def test_missing_required_fields_are_named() -> None:
    assert refused({}) == {
        "received_at": "必填",
        "channel": "必填",
        "town_code": "必填",
        "applicant": "必填",
        "category": "必填",
        "summary": "必填",
    }


@pytest.mark.parametrize("data", [None, [], "{}", 42])
def test_non_object_input_is_refused(data: object) -> None:
    assert list(refused(data)) == ["_"]


def test_person_applicant_needs_a_phone() -> None:
    """四(一): 联系方式 is registered for every matter."""
    fields = refused(example(applicant={"kind": "person", "name": "张三", "id_number": MOHE_ID}))
    assert fields == {"applicant.phone": "请填写联系电话"}
    fields = refused(example(applicant={"kind": "person", "name": "张三", "phone": " "}))
    assert fields == {"applicant.phone": "请填写联系电话"}
    # a respondent person needs neither
    intake = parse_intake(example(respondent={"kind": "person", "name": "王五"}))
    assert intake.respondent is not None and intake.respondent.id_number is None


def test_employer_applicant() -> None:
    intake = parse_intake(
        example(
            applicant={
                "kind": "employer",
                "name": "漠河某公司",
                "uscc": EMPLOYER_CODE.lower(),
                "contact": "赵六",
                "phone": "0457-2812345",
            }
        )
    )
    assert intake.applicant.uscc == EMPLOYER_CODE and intake.applicant.contact == "赵六"
    bare = parse_intake(
        example(applicant={"kind": "employer", "name": "某公司", "contact": "赵六", "phone": "13812345678"})
    )
    assert bare.applicant.uscc is None
    assert refused(example(applicant={"kind": "employer", "name": "某公司"})) == {
        "applicant.phone": "请填写联系电话",
        "applicant.contact": "请填写联系人",
    }
    fields = refused(
        example(
            applicant={
                "kind": "employer",
                "name": "某公司",
                "uscc": "123",
                "id_number": MOHE_ID,
                "contact": "赵六",
                "phone": "13812345678",
            }
        )
    )
    assert fields == {"applicant.uscc": "统一社会信用代码应为18位", "applicant.id_number": "不适用于此类当事人"}


def test_party_shape_errors() -> None:
    assert refused(example(applicant="张三")) == {"applicant": "应为对象"}
    assert refused(example(respondent={"kind": "company", "name": "某"})) == {
        "respondent.kind": "当事人类型应为person或employer"
    }
    assert refused(example(respondent={"kind": "employer", "name": "某", "legal_rep": "x"})) == {
        "respondent.legal_rep": "未知字段"
    }
    assert refused(example(respondent={"kind": "employer", "name": "某" * 51})) == {"respondent.name": "不能超过50字"}
    assert refused(example(respondent={"kind": "employer", "name": 5})) == {"respondent.name": "应为文本"}


def test_insurance_types_and_periods_shapes() -> None:
    assert refused(example(insurance_types=["pension", "housing_fund"])) == {"insurance_types[1]": "未知险种"}
    assert refused(example(insurance_types="pension")) == {"insurance_types": "应为列表"}
    assert refused(example(periods={"from": "2023-10"})) == {"periods": "应为列表"}
    assert refused(example(periods=[{"from": "2023-10"}])) == {"periods[0].to": "必填"}
    assert refused(example(periods=[{"from": "1989-12", "to": "2023-10", "x": 1}])) == {
        "periods[0].from": "年份应在1990-2100之间",
        "periods[0].x": "未知字段",
    }
    assert refused(example(periods=["2023-10"])) == {"periods[0]": "应为对象"}
    one_month = parse_intake(example(periods=[{"from": "2024-03", "to": "2024-03"}]))
    assert one_month.periods == (Period(Month(2024, 3), Month(2024, 3)),)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("12000.00", Decimal("12000.00")),
        ("0", Decimal(0)),
        (500000, Decimal(500000)),
        (12000.5, Decimal("12000.5")),
        (3.0, Decimal(3)),
        (" 7.10 ", Decimal("7.10")),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_amount_claimed_accepted(amount: object, expected: Decimal | None) -> None:
    assert parse_intake(example(amount_claimed=amount)).amount_claimed == expected


@pytest.mark.parametrize(
    "amount",
    ["12000.005", "-1", -1, "1e3", "abc", "12,00", "1,2000", True, 0.1 + 0.2, "NaN", {}, float("nan"), float("inf")],
)
def test_amount_claimed_refused(amount: object) -> None:
    assert "amount_claimed" in refused(example(amount_claimed=amount))


@pytest.mark.parametrize("size", [0, -3, True, "10", 2.5])
def test_group_size_refused(size: object) -> None:
    assert list(refused(example(group_size=size))) == ["group_size"]


def test_text_lengths() -> None:
    assert parse_intake(example(summary="字" * 5000, claim="字" * 2000)).summary == "字" * 5000
    assert refused(example(summary="字" * 5001, claim="字" * 2001)) == {
        "summary": "不能超过5000字",
        "claim": "不能超过2000字",
    }


def test_received_at_forms() -> None:
    assert "received_at" in refused(example(received_at="2025-11-20"))
    assert "received_at" in refused(example(received_at="2025-11-31T09:00"))
    assert "received_at" in refused(example(received_at=20251120))


@pytest.mark.parametrize("town", ["232701100", "232701105", "110101001"])
def test_any_nine_digit_town_code_is_accepted_without_a_jurisdiction(town: str) -> None:
    assert parse_intake(example(town_code=town), IntakeRules(towns=None)).town_code == town


@pytest.mark.parametrize("town", ["23270110", "2327011000", "23270110A", "２３２７０１１００", 232701100])
def test_bad_town_codes_are_refused(town: object) -> None:
    assert list(refused(example(town_code=town))) == ["town_code"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


# Hypothesis builds its Unicode tables on the first text draw of a fresh machine.
junk_settings = settings(suppress_health_check=[HealthCheck.too_slow])


@junk_settings
@given(st.dictionaries(st.sampled_from([*sorted(EXAMPLE), "other"]), json_values))
def test_arbitrary_json_is_either_parsed_or_refused_cleanly(data: dict[str, Any]) -> None:
    try:
        parse_intake(data)
    except ValidationError as error:
        assert error.fields and all(isinstance(v, str) and v for v in error.fields.values())


@junk_settings
@given(st.sampled_from(sorted(EXAMPLE)), json_values)
def test_one_field_replaced_by_junk_never_crashes(key: str, value: object) -> None:
    try:
        parse_intake(example(**{key: value}))
    except ValidationError as error:
        assert error.fields
