"""The routing table file: defaults pinned, edits honoured, malformed files refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station_app.domain.enums import Category, Department, Flag, InsuranceType, Track
from station_app.errors import ValidationError
from station_app.resources import resource_path
from station_app.rules.routing import route
from station_app.rules.table import INS, RuleTableError, default_routing_table, load_routing_table
from tests.rules.intakes import make_intake


def bundled() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resource_path("rules", "routing.json").read_text("utf-8"))
    return data


def test_default_table_matches_design() -> None:
    table = default_routing_table()
    assert table.lead_precedence == (Department.TAX, Department.HRSS, Department.MEDICAL)
    assert table.categories_requiring_period == {Category(c) for c in (3, 4, 6, 8)}
    posts = {int(c): (r.post.lead, r.post.co) for c, r in table.categories.items()}
    pres = {int(c): (r.pre.lead, r.pre.co) for c, r in table.categories.items()}
    tax, ins = Department.TAX, None
    assert posts == {
        1: (ins, ()),
        2: (ins, (tax,)),
        3: (tax, ()),
        4: (tax, ()),
        5: (ins, ()),
        6: (tax, ()),
        7: (ins, ()),
        8: (tax, ()),
        9: (Department.BUSINESS, ()),
    }
    assert pres == {**{c: (ins, ()) for c in range(1, 9)}, 2: (ins, (tax,)), 9: (Department.BUSINESS, ())}
    assert [c for c, r in table.categories.items() if r.track] == [Category(9)]
    assert table.categories[Category(9)].track is Track.SUBMIT_CITY
    assert table.track_adds == {Track.MAJOR: (Department.JUSTICE,)}
    assert {m.flag for m in table.modifiers} == set(Flag)
    assert INS == "INS"


def test_edited_table_is_honoured(tmp_path: Path) -> None:
    data = bundled()
    data["categories"]["5"]["post"] = {"lead": "tax", "co": ["justice"]}
    path = tmp_path / "routing.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    decision = route(make_intake(5), table=load_routing_table(path))
    assert (decision.track, decision.lead, decision.co) == (
        Track.JOINT,
        Department.TAX,
        (Department.JUSTICE,),
    )


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d["categories"].pop("7"), "categories.7"),
        (lambda d: d["categories"]["4"]["post"].update(lead="treasury"), "categories.4.post.lead"),
        (lambda d: d["categories"]["9"].update(track="joint"), "categories.9.track"),
        (lambda d: d["modifiers"].append({"flag": "weather"}), "modifiers[7].flag"),
        (lambda d: d.update(modifiers={}), "modifiers"),
        (lambda d: d["track_adds"].update(major="justice"), "track_adds.major"),
    ],
)
def test_malformed_table_is_refused_clearly(tmp_path: Path, edit: Any, needle: str) -> None:
    data = bundled()
    edit(data)
    path = tmp_path / "routing.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RuleTableError) as info:
        load_routing_table(path)
    assert needle in str(info.value) and str(path) in str(info.value)


def test_unreadable_or_invalid_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "routing.json"
    with pytest.raises(RuleTableError, match="无法读取"):
        load_routing_table(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(RuleTableError, match="格式错误"):
        load_routing_table(path)


months = st.tuples(st.integers(2015, 2030), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}")


@given(
    category=st.integers(1, 9),
    types=st.lists(st.sampled_from([t.value for t in InsuranceType]), unique=True),
    periods=st.lists(st.tuples(months, months).map(lambda p: tuple(sorted(p))), min_size=1),
    flags=st.sets(st.sampled_from([f.value for f in Flag])),
    group_size=st.integers(1, 40),
)
def test_decision_invariants(
    category: int,
    types: list[str],
    periods: list[tuple[str, str]],
    flags: set[str],
    group_size: int,
) -> None:
    try:
        decision = route(make_intake(category, types, periods, flags, group_size))
    except ValidationError as exc:  # an INS lead with no insurance type (never a silent default)
        assert set(exc.fields) == {"insurance_types"} and not types
        return
    assert list(decision.co) == sorted(decision.co, key=lambda d: d.value)
    assert decision.lead not in decision.co
    assert decision.reasons
    if "in_legal_proceedings" in flags:
        assert (decision.track, decision.lead, decision.co) == (Track.NOT_ACCEPTED, None, ())
        return
    assert decision.lead is not None
    if category == 9 and "labour_relation_disputed" not in flags:
        assert (decision.track, decision.lead) == (Track.SUBMIT_CITY, Department.BUSINESS)
    elif flags & {"bankruptcy", "online_opinion"} or group_size >= 10:
        assert decision.track is Track.MAJOR
    else:
        assert decision.track is (Track.JOINT if decision.co else Track.REFER)
    assert (Department.JUSTICE in decision.co) is (decision.track is Track.MAJOR)
    if "labour_relation_disputed" in flags:
        assert decision.lead is Department.HRSS
