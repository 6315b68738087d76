"""Property: `parse_event` reads every event line as the `json` module reads it.

It reads most lines with `orjson`; the reference here is the plain `json` reading of a line
(no NaN or Infinity, a JSON object, else `MalformedBundle`). For any line, both give the same
value (same types, same key order, -0.0 apart from 0.0) or both refuse it.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import MalformedBundle
from sync.manifest import parse_event
from tests.conftest import loop_count

EXAMPLES = loop_count(400, 5000)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(name)


_REFERENCE = json.JSONDecoder(parse_constant=_no_constant)


def reference(line: bytes) -> dict[str, Any]:
    """The event line as the `json` module reads it."""
    try:
        doc = _REFERENCE.decode(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedBundle("not valid JSON") from None
    if not isinstance(doc, dict):
        raise MalformedBundle("not a JSON object")
    return doc


def same(a: object, b: object) -> bool:
    """Equal values of equal types all the way down; dict keys in the same order; floats bit for bit."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        assert isinstance(b, float)
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def outcome(line: bytes, parse: Any) -> tuple[str, object]:
    try:
        return "value", parse(line)
    except MalformedBundle:
        return "refused", None


def check(line: bytes) -> None:
    got, want = outcome(line, parse_event), outcome(line, reference)
    assert got[0] == want[0], line
    assert same(got[1], want[1]), line


TEXT = st.text(st.characters(codec=None, categories=None), max_size=12)  # surrogates and control characters too
NUMBER = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, -(2**64)]),
    st.floats(allow_nan=True, allow_infinity=True),
)
SCALAR = st.one_of(st.none(), st.booleans(), NUMBER, TEXT)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=16,
)
NUMBER_TEXT = st.from_regex(r"-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,3})?", fullmatch=True)
NOISE = list(b'"\\{}[],:0123456789.eE-+ \t\n\r\x00\x1f\x7f\xff\xed\xa0\x80\xc0NaIfinytrulsu')


@settings(max_examples=EXAMPLES, deadline=None)
@given(VALUE, st.booleans(), st.booleans())
def test_any_value_reads_as_json_reads_it(value: object, ascii_only: bool, wrap: bool) -> None:
    doc = {"payload": value} if wrap else value
    check(json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"))


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "\\ud800", "é"]), NUMBER_TEXT), max_size=6))
def test_numbers_and_repeated_keys_read_as_json_reads_them(pairs: list[tuple[str, str]]) -> None:
    check(("{" + ",".join(f'"{k}":{n}' for k, n in pairs) + "}").encode())


@settings(max_examples=EXAMPLES, deadline=None)
@given(VALUE, st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(NOISE), st.booleans()), max_size=4))
def test_damaged_lines_read_or_refused_as_json_does(value: object, edits: list[tuple[int, int, bool]]) -> None:
    line = bytearray(json.dumps({"v": value}, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    for at, byte, insert in edits:
        at %= len(line) + 1
        if insert or at == len(line):
            line.insert(at, byte)
        else:
            line[at] = byte
    check(bytes(line))


@pytest.mark.parametrize(
    "line",
    [
        b'{"a":NaN}',
        b'{"a":-Infinity}',
        b'{"a":1e400}',
        b'{"a":18446744073709551616}',
        b'{"a":-9223372036854775809}',
        b'{"a":123456789012345678901234567890}',
        b'{"a":"\\ud800"}',
        b'{"\\udfff":1}',
        b'{"a":"\\ud83d\\ude00"}',
        b'{"a":"\xed\xa0\x80"}',
        b'{"a":"\xff"}',
        b'\xef\xbb\xbf{"a":1}',
        b'{"a":1,"b":2,"a":3}',
        b'{"a":-0}',
        b'{"a":-0.0}',
        b' {"a":1}\t\r',
        b"[1]",
        b'"text"',
        b"",
        b'{"a":' + b"[" * 300 + b"]" * 300 + b"}",
        b'{"a":' + b"[" * 1000 + b"]" * 1000 + b"}",
        b'{"a":' + b"[" * 1020 + b"]" * 1020 + b"}",
    ],
)
def test_lines_orjson_and_json_differ_on_read_as_json_reads_them(line: bytes) -> None:
    check(line)
