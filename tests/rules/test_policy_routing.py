"""Routing rules of issue 9 ("Policy fidelity"), through the engine and `station-app route`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from station_app.domain.enums import Department as D
from station_app.domain.enums import Track
from station_app.domain.validation import parse_intake
from station_app.errors import ValidationError
from station_app.rules.routing import route
from tests.conftest import run_cli
from tests.factories import intake_json

POST = (("2024-06", "2024-12"),)
PRE = (("2023-01", "2023-12"),)
SPAN = (("2023-10", "2024-06"),)


def decide(**kw: Any) -> tuple[Track, D | None, tuple[D, ...]]:
    d = route(parse_intake(intake_json(**kw)))
    return d.track, d.lead, d.co


def cli_route(data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = run_cli("route", stdin=json.dumps(data, ensure_ascii=False))
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("category", [3, 4, 6, 8])
def test_never_enrolled_worker_goes_to_the_insurance_department_not_tax(category: int) -> None:
    """三(二)2: 税务局 handles post-reform disputes of payers "已按规定参加社会保险"; a worker never
    enrolled has a 参保 dispute (三(二)3, 4): INS leads every segment and tax becomes co."""
    flags = ("not_enrolled",)
    assert decide(category=category, periods=POST) == (Track.REFER, D.TAX, ())
    assert decide(category=category, periods=POST, flags=flags) == (Track.JOINT, D.HRSS, (D.TAX,))
    assert decide(category=category, types=("medical",), periods=POST, flags=flags) == (
        Track.JOINT,
        D.MEDICAL,
        (D.TAX,),
    )
    assert decide(category=category, periods=SPAN, flags=flags) == (Track.JOINT, D.HRSS, (D.TAX,))
    assert decide(category=category, periods=PRE, flags=flags) == (Track.REFER, D.HRSS, ())
    code, out = cli_route(intake_json(category=category, types=("maternity",), flags=flags))
    assert code == 0 and (out["track"], out["lead"], out["co"]) == ("joint", "medical", ["tax"])
    assert any("三(二)2" in r for r in out["reasons"])


def test_never_enrolled_needs_an_insurance_type() -> None:
    """DESIGN.md: an INS lead without an insurance type is refused on insurance_types."""
    with pytest.raises(ValidationError) as info:
        decide(category=4, types=(), flags=("not_enrolled",))
    assert set(info.value.fields) == {"insurance_types"}


@pytest.mark.parametrize("category", [1, 5, 7])
def test_ins_lead_without_insurance_type_is_refused_in_service_and_cli(category: int) -> None:
    """DESIGN.md "Default routing table": never a silent default, so a medical or maternity
    matter cannot land at 人社 (三(二)3, 4)."""
    data = intake_json(category=category, types=(), periods=())
    with pytest.raises(ValidationError) as info:
        route(parse_intake(data))
    assert set(info.value.fields) == {"insurance_types"}
    code, out = cli_route(data)
    assert code == 2 and set(out["fields"]) == {"insurance_types"} and out["error"]


def test_category_9_with_labour_relation_dispute_goes_to_hrss() -> None:
    """三(二)3: 人社 受理劳动合同争议、确认劳动关系争议 — not 职责不清, so not 报送; the track
    follows the department count."""
    labour = ("labour_relation_disputed",)
    assert decide(category=9, periods=()) == (Track.SUBMIT_CITY, D.BUSINESS, ())
    assert decide(category=9, periods=(), flags=labour) == (Track.REFER, D.HRSS, ())
    assert decide(category=9, periods=(), flags=(*labour, "compulsory_enforcement")) == (
        Track.JOINT,
        D.HRSS,
        (D.COURT,),
    )
    assert decide(category=9, periods=(), flags=(*labour, "bankruptcy")) == (
        Track.MAJOR,
        D.HRSS,
        (D.COURT, D.JUSTICE),
    )
    code, out = cli_route(intake_json(category=9, periods=(), flags=labour))
    assert code == 0 and (out["track"], out["lead"], out["co"]) == ("refer", "hrss", [])


def test_dismissed_civil_or_arbitration_claim_is_no_bar() -> None:
    """三(二)6: 补缴社保不属于民事纠纷, so a dismissed arbitration or civil claim for 补缴 does not
    keep the matter out: it is taken in and routed, with the reason printed."""
    for kind in ("arbitration", "litigation"):
        data = intake_json(flags=("in_legal_proceedings",))
        data["proceeding"] = {
            "kind": kind,
            "body": "漠河市劳动人事争议仲裁委员会",
            "case_no": "漠劳人仲〔2025〕8号",
            "dismissed": True,
        }
        decision = route(parse_intake(data))
        assert (decision.track, decision.lead) == (Track.REFER, D.TAX)
        assert any("三(二)6" in r and "漠劳人仲〔2025〕8号" in r for r in decision.reasons)
        code, out = cli_route(data)
        assert code == 0 and out["track"] == "refer" and out["lead"] == "tax"


def test_pending_proceeding_is_not_accepted_and_named() -> None:
    """DESIGN.md: a pending arbitration, litigation or reconsideration: not_accepted, no departments;
    a dismissed reconsideration still belongs to the administrative route."""
    data = intake_json(flags=("in_legal_proceedings",))
    data["proceeding"] = {
        "kind": "arbitration",
        "body": "漠河市劳动人事争议仲裁委员会",
        "case_no": "漠劳人仲〔2025〕9号",
    }
    decision = route(parse_intake(data))
    assert (decision.track, decision.lead, decision.co) == (Track.NOT_ACCEPTED, None, ())
    assert "漠河市劳动人事争议仲裁委员会" in decision.reasons[0] and "漠劳人仲〔2025〕9号" in decision.reasons[0]
    # a recorded pending proceeding keeps the matter out even if the box was not ticked
    unticked = intake_json()
    unticked["proceeding"] = {"kind": "litigation", "body": "漠河市人民法院"}
    assert route(parse_intake(unticked)).track is Track.NOT_ACCEPTED
    reconsideration = intake_json(flags=("in_legal_proceedings",))
    reconsideration["proceeding"] = {"kind": "reconsideration", "dismissed": True}
    assert route(parse_intake(reconsideration)).track is Track.NOT_ACCEPTED
    code, out = cli_route(data)
    assert code == 0 and out["track"] == "not_accepted" and out["lead"] is None


def test_proceeding_shape_is_checked() -> None:
    """The proceeding keys are optional, but a filled block needs its kind."""
    data = intake_json()
    data["proceeding"] = {"body": "漠河市人民法院"}
    code, out = cli_route(data)
    assert code == 2 and set(out["fields"]) == {"proceeding.kind"}
    data["proceeding"] = {"kind": "appeal"}
    with pytest.raises(ValidationError) as info:
        parse_intake(data)
    assert set(info.value.fields) == {"proceeding.kind"}


def test_refusal_notice_names_the_proceeding_and_does_not_cite_the_mechanism(station: Any) -> None:
    """The Mohe mechanism has no clause on refusing matters in proceedings; the notice names the
    proceeding (kind, body, case number) the payer is in."""
    from station_app.services.case_service import intake, perform
    from station_app.services.paper_service import print_paper
    from tests.documents.conftest import body_text

    data = intake_json(flags=("in_legal_proceedings",))
    data["proceeding"] = {
        "kind": "arbitration",
        "body": "漠河市劳动人事争议仲裁委员会",
        "case_no": "漠劳人仲〔2025〕9号",
    }
    case_no = intake(station, data).case_no
    perform(station, case_no, "route", {})
    text = body_text(print_paper(station, case_no, "refusal").pdf)
    assert "劳动人事争议仲裁" in text and "漠河市劳动人事争议仲裁委员会" in text and "漠劳人仲〔2025〕9号" in text
    assert "根据《漠河市社会保险费征缴争议联合处置机制》" not in text
    assert "联合处置机制》" not in text
