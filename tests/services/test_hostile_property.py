"""Property: whatever JSON reaches intake or a case action, the answer is a case, a result or
a refusal the user can act on (a `StationError`), never a crash; and on any refusal nothing
stored changes (DESIGN.md: the ledger, every projection's digest and every counter as before).

The generated values mix the valid intake of the factories with arbitrary JSON in any field:
texts with control characters, lone surrogates and bidi overrides, numbers that are not
finite or too large, nesting, unknown keys, dates of year 1 and 9999.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from station_app.domain.lifecycle import ACTIONS
from station_app.domain.safe_input import load_json
from station_app.errors import StationError, ValidationError
from station_app.services.audit_service import fingerprint
from station_app.services.case_service import intake, perform
from station_app.services.session import Session
from station_app.store.db import read
from tests.conftest import loop_count
from tests.factories import intake_json, joint_intake, major_intake, submit_city_intake

NASTY_TEXT = st.sampled_from(
    [
        "\u0000",
        "\u0007",
        "\u001b[2J",
        "\u007f",
        "\u0085",
        "\ud800",
        "\udc00",
        "\u202e",
        "\u2066",
        "\u200f",
        "\u061c",
        "\u2028",
        "\ufdd0",
        "\U0010ffff",
        "\n",
        "\ufeff",
        "\u200b",
        "0001-01-01",
        "9999-12-31",
        "2999-01-01T00:00:00Z",
        "0001-01-01T00:00:00+08:00",
        "NaN",
        "1e999",
        "",
        " ",
        "232723197003050012",
        "０４５７－２８１２３４５",
        "2025-11-20T23:30:00Z",
        "tax",
        "hrss",
        "pension",
    ]
)
TEXT = st.one_of(st.text(max_size=20), NASTY_TEXT, st.builds(lambda a, b: a + b, st.text(max_size=8), NASTY_TEXT))
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)
JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)

TOP_KEYS = [
    "received_at",
    "channel",
    "town_code",
    "applicant",
    "respondent",
    "category",
    "insurance_types",
    "periods",
    "amount_claimed",
    "group_size",
    "summary",
    "claim",
    "flags",
    "proceeding",
    "intake_uuid",
]
PARTY_KEYS = ["kind", "name", "id_number", "id_kind", "phone", "uscc", "contact"]
ACTION_KEYS = [
    "approver",
    "attendees",
    "co",
    "consulted",
    "date",
    "days",
    "dept",
    "document_no",
    "file",
    "held_on",
    "lead",
    "method",
    "override",
    "party",
    "reason",
    "received_on",
    "recorder",
    "respondent_text",
    "route",
    "satisfaction",
    "suggested",
    "task_group",
    "text",
    "to",
]
BASES = [intake_json, joint_intake, major_intake, submit_city_intake]


@st.composite
def intakes(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)  # anything at all, even not an object
    data: dict[str, Any] = draw(st.sampled_from(BASES))()
    for key in draw(st.lists(st.sampled_from(TOP_KEYS) | TEXT, max_size=3)):
        data[key] = draw(JSON)
    for party in ("applicant", "respondent"):
        if isinstance(data.get(party), dict):
            for key in draw(st.lists(st.sampled_from(PARTY_KEYS), max_size=2)):
                data[party] = {**data[party], key: draw(JSON)}
    return data


CODES = st.sampled_from(["tax", "hrss", "medical", "court", "x", "joint", "refer", "not_accepted", "payer", "office"])
CODE_LISTS = st.lists(CODES | JSON, max_size=3)
STRUCTURED = {
    "override": st.dictionaries(st.sampled_from(["track", "lead", "co"]), CODES | CODE_LISTS | JSON, max_size=3),
    "file": st.dictionaries(
        st.sampled_from(["name", "data_b64"]), st.sampled_from(["aGVsbG8=", "!!", "scan.pdf"]) | JSON, max_size=2
    ),
}


@st.composite
def action_data(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    data: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(ACTION_KEYS) | TEXT, max_size=5)):
        value = STRUCTURED.get(key, CODES | CODE_LISTS | JSON)
        data[key] = draw(value)
    return data


def stored(session: Session) -> tuple[Any, ...]:
    """The ledger (count and head), every counter and meta value, the projections' digest."""
    with read(session.store.engine) as conn:
        events = conn.execute(text("SELECT count(*), max(seq) FROM events")).one()
        meta = conn.execute(text("SELECT key, value FROM meta ORDER BY key")).all()
        return tuple(events), tuple(tuple(m) for m in meta), fingerprint(conn)


def survive_json(data: Any) -> Any:
    """What the command line hands on: the JSON as bytes through `load_json` (a refusal
    there is a refusal of the whole command)."""
    try:
        raw = json.dumps(data, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        return data
    try:
        return load_json(raw)
    except ValidationError:
        return data  # the service must refuse it too


FUZZ = settings(
    max_examples=loop_count(120, 1500),
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@FUZZ
@given(data=intakes(), through_cli=st.booleans())
def test_intake_never_crashes_and_a_refusal_changes_nothing(station: Session, data: Any, through_cli: bool) -> None:
    if through_cli:
        data = survive_json(data)
    before = stored(station)
    try:
        intake(station, data)
    except StationError:
        assert stored(station) == before


@pytest.fixture
def cases(station: Session) -> list[str]:
    """Cases in several states and tracks for the actions to act on."""
    made = [intake(station, make()).case_no for make in BASES]
    perform(station, made[1], "route", {})
    perform(station, made[2], "route", {})
    return made


@FUZZ
@given(
    pick=st.integers(0, 3),
    action=st.sampled_from(sorted(ACTIONS)) | TEXT,
    data=action_data(),
    through_cli=st.booleans(),
)
def test_case_actions_never_crash_and_a_refusal_changes_nothing(
    station: Session, cases: list[str], pick: int, action: str, data: Any, through_cli: bool
) -> None:
    if through_cli:
        data = survive_json(data)
    if not isinstance(data, dict):
        return  # the command line refuses anything but an object before the service sees it
    case_no = cases[pick]
    if action == "route":  # the fixture's cases are routed after the first success
        case_no = intake(station, BASES[pick]()).case_no
    before = stored(station)
    try:
        perform(station, case_no, action, data)
    except StationError:
        assert stored(station) == before
