"""Property: `canonical_json` writes exactly what the json module's canonical encoder writes.

Event hashes are taken over this text, so it must not change by one byte for any value a store
ever wrote: floats of every size (and NaN, infinities), integers past 64 bits, any text
(control characters, lone surrogates, characters outside the BMP), keys that are not text,
tuples, enums, str and int subclasses. Where the encoder raises, `canonical_json` raises the same.
"""

from __future__ import annotations

import enum
import json
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station_app.store.events import canonical_bytes, canonical_json
from tests.conftest import loop_count

EXAMPLES = loop_count(400, 5000)
REFERENCE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    pass


TEXT = st.text(st.characters(codec=None, categories=None), max_size=12)  # surrogates and control characters too
KEY = st.one_of(TEXT, TEXT, TEXT, st.integers(), st.booleans(), st.none(), st.floats(), st.just(Colour.RED))
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, -(2**64)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e16, 1e-7, 1e22, 1e-5, 0.1, -0.0, 5e-324, 1.7976931348623157e308]),
    TEXT,
    st.sampled_from([Colour.RED, Level.HIGH, Text("subclass"), "\ud800", "\x00\x1f\x7f\u2028\ufeff😀"]),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(TEXT, inner, max_size=4),
        st.dictionaries(KEY, inner, max_size=3),
    ),
    max_leaves=16,
)

PLAIN = st.recursive(  # what events carry: the values canonical_json gives to orjson
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1), st.text(), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(), inner, max_size=5)),
    max_leaves=24,
)


def nested(depth: int) -> object:
    value: object = [1.5, 2]
    for _ in range(depth):
        value = {"k": [value]}
    return value


def outcome(encode: Any, value: object) -> tuple[str, object]:
    try:
        return "text", encode(value)
    except Exception as exc:  # the class of whatever it raises is compared
        return "raised", type(exc)


@settings(max_examples=EXAMPLES, deadline=None)
@given(VALUE)
def test_canonical_json_is_the_json_encoders_text(value: object) -> None:
    assert outcome(canonical_json, value) == outcome(REFERENCE.encode, value)
    assert outcome(canonical_bytes, value) == outcome(lambda v: REFERENCE.encode(v).encode("utf-8"), value)


@settings(max_examples=EXAMPLES, deadline=None)
@given(PLAIN)
def test_canonical_json_of_event_like_values_is_the_json_encoders_text(value: object) -> None:
    assert outcome(canonical_json, value) == outcome(REFERENCE.encode, value)
    assert outcome(canonical_bytes, value) == outcome(lambda v: REFERENCE.encode(v).encode("utf-8"), value)


@pytest.mark.parametrize(
    "value",
    [
        {"n": 1e16, "m": 1e-7, "k": float("nan"), "i": float("-inf")},
        [2**64, -(2**63) - 1, 10**30],
        {1: "a", 2: "b"},
        {"a": "\udc00"},
        {"payload": {"set": {"status": Colour.RED}, "level": Level.HIGH}},
        uuid.UUID(int=7),
        {"deep": nested(70)},  # deeper than the orjson path takes
        {"a": [1, "x", None, True, {"b": (2, 3)}], "é": "中文", "A": '\x00\n\t\\"'},
    ],
)
def test_values_orjson_writes_otherwise_are_written_as_json_writes_them(value: object) -> None:
    assert outcome(canonical_json, value) == outcome(REFERENCE.encode, value)
    assert outcome(canonical_bytes, value) == outcome(lambda v: REFERENCE.encode(v).encode("utf-8"), value)


def test_circular_values_are_refused_as_json_refuses_them() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        canonical_json(loop)
