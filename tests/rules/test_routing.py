"""The routing engine against DESIGN.md's default table, modifiers and track precedence."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from station_app.domain.enums import Department as D
from station_app.domain.enums import Track
from station_app.errors import ValidationError
from station_app.rules.routing import RoutingSettings, route
from tests.rules.intakes import make_intake

PRE = (("2023-01", "2023-12"),)
POST = (("2024-06", "2024-12"),)
SPAN = (("2023-10", "2024-06"),)


def summary(**kwargs: object) -> tuple[Track, D | None, tuple[D, ...]]:
    decision = route(make_intake(**kwargs))  # type: ignore[arg-type]
    return decision.track, decision.lead, decision.co


@pytest.mark.parametrize(
    ("category", "post", "pre"),
    [
        (1, (Track.REFER, D.HRSS, ()), (Track.REFER, D.HRSS, ())),
        (2, (Track.JOINT, D.HRSS, (D.TAX,)), (Track.JOINT, D.HRSS, (D.TAX,))),
        (3, (Track.REFER, D.TAX, ()), (Track.REFER, D.HRSS, ())),
        (4, (Track.REFER, D.TAX, ()), (Track.REFER, D.HRSS, ())),
        (5, (Track.REFER, D.HRSS, ()), (Track.REFER, D.HRSS, ())),
        (6, (Track.REFER, D.TAX, ()), (Track.REFER, D.HRSS, ())),
        (7, (Track.REFER, D.HRSS, ()), (Track.REFER, D.HRSS, ())),
        (8, (Track.REFER, D.TAX, ()), (Track.REFER, D.HRSS, ())),
        (9, (Track.SUBMIT_CITY, D.BUSINESS, ()), (Track.SUBMIT_CITY, D.BUSINESS, ())),
    ],
)
def test_every_category_pre_and_post_for_pension(
    category: int, post: tuple[object, ...], pre: tuple[object, ...]
) -> None:
    assert summary(category=category, periods=POST) == post
    assert summary(category=category, periods=PRE) == pre


@pytest.mark.parametrize("category", [1, 3, 4, 5, 6, 7, 8])
def test_pre_segment_of_medical_insurance_goes_to_medical(category: int) -> None:
    assert summary(category=category, types=["maternity"], periods=PRE) == (
        Track.REFER,
        D.MEDICAL,
        (),
    )


def test_spanning_period_is_split_and_tax_leads() -> None:
    decision = route(make_intake(4, periods=SPAN))
    assert (decision.track, decision.lead, decision.co) == (Track.JOINT, D.TAX, (D.HRSS,))
    assert decision.reasons == (
        "争议类别4(缴费金额),2024-04-01之前的期间 → 人社局",
        "争议类别4(缴费金额),2024-04-01之后的期间 → 税务局",
        "牵头候选税务局、人社局,按税务局、人社局、医保局的顺序 → 税务局牵头,其余协办",
        "涉及2个部门 → 一般事项(联办)",
    )


def test_one_pre_and_one_post_period_unite_like_a_spanning_one() -> None:
    two = summary(category=6, types=["medical"], periods=[PRE[0], POST[0]])
    assert two == summary(category=6, types=["medical"], periods=SPAN)
    assert two == (Track.JOINT, D.TAX, (D.MEDICAL,))


def test_same_rule_on_both_sides_gives_one_reason() -> None:
    decision = route(make_intake(7, periods=SPAN))
    assert (decision.track, decision.lead, decision.co) == (Track.REFER, D.HRSS, ())
    assert decision.reasons[0] == "争议类别7(待遇核定和支付),期间跨越2024-04-01(前后规则相同) → 人社局"


@pytest.mark.parametrize(
    ("periods", "lead"),
    [
        ((("2024-03", "2024-03"),), D.HRSS),  # last pre month
        ((("2024-04", "2024-04"),), D.TAX),  # the cutoff month is post
        ((("2024-03", "2024-04"),), D.TAX),  # crosses: tax leads, hrss co
    ],
)
def test_cutoff_month_boundary(periods: tuple[tuple[str, str], ...], lead: D) -> None:
    assert route(make_intake(4, periods=periods)).lead is lead


def test_cutoff_is_a_setting() -> None:
    later = RoutingSettings(cutoff=date(2025, 1, 1))
    decision = route(make_intake(4, periods=POST), later)
    assert (decision.lead, decision.co) == (D.HRSS, ())
    assert "2025-01-01之前" in decision.reasons[0]


def test_both_insurance_branches() -> None:
    both = ["pension", "medical"]
    assert summary(category=1, types=both) == (Track.JOINT, D.HRSS, (D.MEDICAL,))
    assert summary(category=4, types=both, periods=PRE) == (Track.JOINT, D.HRSS, (D.MEDICAL,))
    assert summary(category=4, types=both, periods=SPAN) == (
        Track.JOINT,
        D.TAX,
        (D.HRSS, D.MEDICAL),
    )
    # post-cutoff contribution disputes are tax's whatever the insurance types
    assert summary(category=4, types=both, periods=POST) == (Track.REFER, D.TAX, ())


def test_no_insurance_type_is_refused_when_the_lead_is_ins() -> None:
    """DESIGN.md: a category whose lead is INS needs an insurance type; never a silent default."""
    with pytest.raises(ValidationError) as info:
        route(make_intake(7, types=()))
    assert set(info.value.fields) == {"insurance_types"}
    # a post-cutoff contribution matter is tax's: no insurance type needed
    assert summary(category=4, types=(), periods=POST) == (Track.REFER, D.TAX, ())


def test_no_period_uses_the_post_column() -> None:
    decision = route(make_intake(2, periods=()))
    assert (decision.lead, decision.co) == (D.HRSS, (D.TAX,))
    assert decision.reasons[0].startswith("争议类别2(登记信息传递),未填写争议期间,按2024-04-01之后规则")


@pytest.mark.parametrize("category", [3, 4, 6, 8])
def test_categories_needing_a_period_are_refused_without_one(category: int) -> None:
    for flags in ((), ("in_legal_proceedings",)):
        with pytest.raises(ValidationError) as info:
            route(make_intake(category, periods=(), flags=flags))
        assert info.value.fields == {"periods": "该类争议须填写争议期间"}


def test_reversed_period_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        route(make_intake(4, periods=[POST[0], ("2024-05", "2024-01")]))
    assert list(info.value.fields) == ["periods[1].to"]


def test_reason_for_a_post_segment() -> None:
    decision = route(make_intake(4))
    assert decision.reasons == (
        "争议类别4(缴费金额),期间在2024-04-01之后 → 税务局",
        "仅涉及1个部门 → 告知转办",
    )


def test_labour_relation_makes_hrss_lead() -> None:
    decision = route(make_intake(4, flags=["labour_relation_disputed"]))
    assert (decision.track, decision.lead, decision.co) == (Track.JOINT, D.HRSS, (D.TAX,))
    assert "涉劳动关系/劳动合同争议 → 人社局牵头" in decision.reasons
    medical = summary(category=1, types=["medical"], flags=["labour_relation_disputed"])
    assert medical == (Track.JOINT, D.HRSS, (D.MEDICAL,))
    assert summary(category=1, flags=["labour_relation_disputed"]) == (Track.REFER, D.HRSS, ())


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("compulsory_enforcement", (Track.JOINT, D.TAX, (D.COURT,))),
        ("bankruptcy", (Track.MAJOR, D.TAX, (D.COURT, D.JUSTICE))),
        ("online_opinion", (Track.MAJOR, D.TAX, (D.CYBERSPACE, D.JUSTICE))),
        ("repeat_petition", (Track.JOINT, D.TAX, (D.PETITION,))),
    ],
)
def test_flag_modifiers(flag: str, expected: tuple[object, ...]) -> None:
    assert summary(category=8, flags=[flag]) == expected


def test_modifier_reasons() -> None:
    decision = route(make_intake(8, flags=["bankruptcy", "repeat_petition"]))
    assert decision.reasons[1:] == (
        "破产清算涉欠费 → 增加法院,重大疑难",
        "重复信访 → 增加信访局",
        "重大疑难事项 → 增加司法局",
    )


@pytest.mark.parametrize(
    ("group_size", "amount", "track"),
    [
        (9, "499999.99", Track.REFER),
        (10, None, Track.MAJOR),
        (1, "500000", Track.MAJOR),
        (1, None, Track.REFER),
    ],
)
def test_group_and_amount_thresholds(group_size: int, amount: str | None, track: Track) -> None:
    decision = route(make_intake(4, group_size=group_size, amount=amount))
    assert decision.track is track
    assert (D.JUSTICE in decision.co) is (track is Track.MAJOR)


def test_threshold_reasons_and_settings() -> None:
    decision = route(make_intake(4, group_size=10, amount="500000"))
    assert "群体性(10人及以上) → 重大疑难" in decision.reasons
    assert "争议金额50万元及以上 → 重大疑难" in decision.reasons
    strict = RoutingSettings(group_threshold=30, amount_threshold=Decimal("1000000"))
    assert route(make_intake(4, group_size=10, amount="500000"), strict).track is Track.REFER
    assert route(make_intake(4, group_size=30), strict).track is Track.MAJOR


def test_in_legal_proceedings_is_not_accepted() -> None:
    decision = route(make_intake(4, flags=["in_legal_proceedings"]))
    assert decision.to_json() == {
        "track": "not_accepted",
        "lead": None,
        "co": [],
        "reasons": ["已进入仲裁/诉讼/复议程序 → 不予受理,应通过该程序解决"],
    }


def test_not_accepted_beats_everything() -> None:
    everything = [
        "in_legal_proceedings",
        "labour_relation_disputed",
        "compulsory_enforcement",
        "bankruptcy",
        "online_opinion",
        "repeat_petition",
    ]
    for category in (4, 9):
        decision = route(make_intake(category, flags=everything, group_size=50, amount="9e6"))
        assert (decision.track, decision.lead, decision.co) == (Track.NOT_ACCEPTED, None, ())


def test_submit_city_keeps_business_and_only_gains_co_handlers() -> None:
    decision = route(make_intake(9, flags=["bankruptcy", "repeat_petition"], group_size=20))
    assert (decision.track, decision.lead, decision.co) == (
        Track.SUBMIT_CITY,
        D.BUSINESS,
        (D.COURT, D.PETITION),  # no justice: that belongs to the major track
    )
    assert decision.reasons == (
        "争议类别9(其他) → 报送办理,营商局",
        "破产清算涉欠费 → 增加法院,重大疑难(报送办理优先)",
        "重复信访 → 增加信访局",
        "群体性(10人及以上) → 重大疑难(报送办理优先)",
    )


def test_major_beats_joint() -> None:
    decision = route(make_intake(2, flags=["online_opinion"]))
    assert (decision.track, decision.lead, decision.co) == (
        Track.MAJOR,
        D.HRSS,
        (D.CYBERSPACE, D.JUSTICE, D.TAX),
    )


def test_co_is_sorted_by_code_and_never_holds_the_lead() -> None:
    decision = route(
        make_intake(
            4,
            types=["pension", "medical"],
            periods=SPAN,
            flags=["labour_relation_disputed", "repeat_petition", "compulsory_enforcement"],
            group_size=12,
        )
    )
    assert decision.lead is D.HRSS
    assert decision.co == (D.COURT, D.JUSTICE, D.MEDICAL, D.PETITION, D.TAX)
