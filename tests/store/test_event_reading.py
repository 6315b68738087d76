"""Properties: the quick ways of reading incoming events accept and refuse what the plain ways do.

`Envelope.from_json` reads a JSON object through a quick path and leaves anything unusual to
`Envelope._from_mapping`, which checks key by key; for any object, both give the same envelope
(same field values and types) or the same refusal. The payload checks built per annotation
(`payloads._fits`) answer as a plain reading of the annotation does, for every field of every
payload class.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any, Union

from hypothesis import given, settings
from hypothesis import strategies as st

from station_app.store.events import Envelope
from station_app.store.payloads import PAYLOADS, Scope, _fits, _spec
from tests.conftest import loop_count

EXAMPLES = loop_count(400, 5000)


class Named(enum.StrEnum):
    CASE = "case"


class Text(str):
    pass


KEY_ID, SIG = "0123456789abcdef", "ab" * 64
ODD = st.sampled_from(
    [None, "", "x", "case", "store", "broadcast", Scope.CASE, Named.CASE, Text("t"), Text(""), 0, 1, 2, 3, -1,
     True, False, 1.0, 2**70, {}, [], {"a": 1}, {"a": True}, {"a": 1.0}, {1: 1}, {Text("a"): 1}, ["a"],
     KEY_ID, SIG, KEY_ID.upper(), SIG[:-1], "u" * 16]
)  # fmt: skip
KEYS = ["uuid", "origin", "stream", "origin_seq", "hash_v", "hash", "type", "v", "scope", "case_uuid", "base",
        "author", "at", "payload", "key_id", "sig"]  # fmt: skip


def good(scope: str, signed: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "uuid": "u-1", "origin": "232701100001", "stream": "232701100001", "origin_seq": 3, "hash_v": 2,
        "hash": "ab" * 32, "type": "callback_recorded", "v": 1, "scope": scope,
        "case_uuid": "c-1" if scope == "case" else None, "base": {"232701100001": 2} if scope == "case" else None,
        "author": "232701100001/admin", "at": "2026-11-20T10:00:00+08:00",
        "payload": {"satisfaction": "满意", "text": "好", "set": {}},
    }  # fmt: skip
    if signed:
        doc["key_id"], doc["sig"] = KEY_ID, SIG
    return doc


def outcome(read: Any, data: object) -> tuple[str, object]:
    try:
        env = read(data)
    except ValueError as exc:
        return "refused", str(exc)
    return "read", [(k, type(getattr(env, k)), getattr(env, k)) for k in KEYS]


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.sampled_from(["case", "store", "broadcast"]),
    st.booleans(),
    st.lists(st.tuples(st.sampled_from(KEYS), st.one_of(ODD, st.just("drop"))), max_size=3),
)
def test_envelopes_read_quickly_as_key_by_key(scope: str, signed: bool, edits: list[tuple[str, object]]) -> None:
    doc = good(scope, signed)
    for key, value in edits:
        if value == "drop":
            doc.pop(key, None)
        else:
            doc[key] = value
    assert outcome(Envelope.from_json, doc) == outcome(Envelope._from_mapping, doc)


def reference_fits(value: object, hint: Any) -> bool:
    """The annotation read apart for each value (what `_fits` did before its tests were built once)."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(reference_fits(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(reference_fits(x, item) for x in value)
    assert origin is dict
    key, item = typing.get_args(hint)
    return isinstance(value, dict) and all(reference_fits(k, key) and reference_fits(x, item) for k, x in value.items())


HINTS = sorted({hint for cls in PAYLOADS.values() for *_, hint in _spec(cls)[1]}, key=repr)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=3), st.just(Text("t")))
KEY = st.one_of(st.text(max_size=3), st.just(Text("k")), st.integers(), st.none())
VALUE = st.recursive(
    SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEY, inner, max_size=3)), max_leaves=10
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(VALUE)
def test_payload_field_checks_answer_as_the_annotation_reads(value: object) -> None:
    for hint in HINTS:
        assert _fits(value, hint) == reference_fits(value, hint), hint
