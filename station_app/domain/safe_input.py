"""Hostile input, refused before anything reads it.

Refused: bytes that are not UTF-8, JSON nested too deep, numbers that are not finite, and
characters no form could have typed. Every command that reads stdin or a file goes through
`load_json` or `decode_text`; every free text of an intake or an action goes through
`text_problem`. Refusals are `ValidationError`s that name the field (its dotted path) and
never repeat the value or an unknown key (a key may be a pasted ID number).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from station_app.errors import ValidationError

MAX_INPUT_BYTES = 32 * 1024 * 1024  # an action may carry a 10 MB scan, base64 encoded
MAX_DEPTH = 16  # the intake JSON is 3 deep; nothing we read needs more
MAX_INT_DIGITS = 30
# Unicode's Bidi_Control characters: the embeddings, overrides and isolates of Trojan Source
# (CVE-2021-42574) and the invisible direction marks (ALM, LRM, RLM). They make a text read
# differently from what it stores.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ALLOWED_CONTROLS = frozenset("\t\n\r")
# The line and paragraph separators: line breaks that no keyboard types, which end a line of a
# log, a CSV row or a script's string where a reader does not expect it.
_SEPARATORS = frozenset("\u2028\u2029")
LINE_BREAKS = frozenset("\t\n\r")  # allowed in a text of several lines, never in a name or a number
FIELD_NAME_RE = re.compile(r"[a-z][a-z_]{0,31}", re.ASCII)  # a key that is named in a refusal
NOT_UTF8 = "输入不是有效的UTF-8文本"
BAD_JSON = "输入不是有效的JSON"


class _Refused:
    """Stands in for a JSON value that is refused (so the walk can name where it was)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def text_problem(s: str) -> str | None:
    """Why a free text cannot be stored, or None when it can.

    Refused: lone surrogates and noncharacters, NUL and other control characters (C0 except
    tab and line breaks, DEL, C1, the line and paragraph separators U+2028 and U+2029), and
    the bidirectional controls (overrides, embeddings, isolates and marks). Codes and phone numbers are cleaned of
    invisible characters before they are checked (`id_numbers.clean_code`); free texts are
    refused instead, since a name or a summary that displays differently from what it stores is
    worse than one refused.
    """
    for c in s:
        o = ord(c)
        if 0xD800 <= o <= 0xDFFF or _noncharacter(o):
            return "含无法识别的字符"
        if (o < 0x20 and c not in _ALLOWED_CONTROLS) or 0x7F <= o <= 0x9F or c in _SEPARATORS:
            return "含控制字符"
        if c in BIDI_CONTROLS:
            return "含文字方向控制符"
    return None


def line_problem(s: str) -> str | None:
    """Like `text_problem`, for a text of one line (a name, a number): no line break or tab either."""
    if any(c in LINE_BREAKS for c in s):
        return "不能含换行符或制表符"
    return text_problem(s)


def _noncharacter(o: int) -> bool:
    """U+FDD0..U+FDEF and the last two code points of every plane: never assigned, never typed."""
    return 0xFDD0 <= o <= 0xFDEF or (o & 0xFFFE) == 0xFFFE


def _has_control(s: str) -> str | None:
    """Like `text_problem` but lets bidi characters through (codes strip them later)."""
    problem = text_problem(s)
    return None if problem == "含文字方向控制符" else problem


def decode_text(raw: bytes, field: str, *, max_bytes: int = MAX_INPUT_BYTES) -> str:
    """Bytes read from stdin or a file, as text.

    Strict UTF-8 (a leading BOM dropped), at most `max_bytes` bytes, with no NUL or other
    control character.

    Raises:
        ValidationError: on `field`.
    """
    if len(raw) > max_bytes:
        raise ValidationError({field: f"输入不能超过{size_text(max_bytes)}"})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({field: NOT_UTF8}, NOT_UTF8) from None
    if problem := _has_control(text):
        raise ValidationError({field: problem})
    return text


def size_text(n: int) -> str:
    """A size bound as people write it: `32MB`, `64KB`, `100字节`."""
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)}MB"
    return f"{n // 1024}KB" if n >= 1024 else f"{n}字节"


def _parse_float(s: str) -> float | _Refused:
    value = float(s)
    return value if math.isfinite(value) else _Refused("数值超出范围")


def _parse_int(s: str) -> int | _Refused:
    return int(s) if len(s.lstrip("-")) <= MAX_INT_DIGITS else _Refused("数值超出范围")


def _parse_constant(_: str) -> _Refused:
    return _Refused("数值应为有限数")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            out["\0duplicate"] = _Refused("含重复字段")
        out[key] = value
    return out


def _walk(value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    """(path, reason) for each refused spot, outermost first."""
    if depth > MAX_DEPTH:
        yield path or "_", "嵌套层数过多"
        return
    if isinstance(value, _Refused):
        yield path or "_", value.reason
    elif isinstance(value, str):
        if problem := _has_control(value):
            yield path or "_", problem
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "\0duplicate" or _has_control(key):
                yield path or "_", "含重复字段" if key == "\0duplicate" else "含无效字段名"
                continue
            # A key is named only when it is a plain identifier (never a pasted number or name).
            named = FIELD_NAME_RE.fullmatch(key) is not None
            yield from _walk(item, f"{path}.{key}".lstrip(".") if named else path or "_", depth + 1)


def load_json(raw: bytes, field: str = "_", *, max_bytes: int = MAX_INPUT_BYTES) -> Any:
    """Parse JSON read from stdin or a file, refusing what no client of ours sends.

    Refused: bytes that are not UTF-8 or more than `max_bytes`, nesting deeper than
    `MAX_DEPTH`, NaN, infinities and overlong numbers, duplicate keys, and strings with NUL,
    control characters or lone surrogates.

    Raises:
        ValidationError: naming the offending spot by its dotted path (`field` for the whole).
    """
    text = decode_text(raw, field, max_bytes=max_bytes)
    try:
        data = json.loads(
            text,
            parse_float=_parse_float,
            parse_int=_parse_int,
            parse_constant=_parse_constant,
            object_pairs_hook=_pairs,
        )
    except RecursionError:
        raise ValidationError({field: "嵌套层数过多"}, BAD_JSON) from None
    except ValueError:
        raise ValidationError({field: BAD_JSON}, BAD_JSON) from None
    problems: dict[str, str] = {}
    try:
        for path, reason in _walk(data, "", 0):
            problems.setdefault(path, reason)
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops the walk long before
        problems[field] = "嵌套层数过多"
    if problems:
        raise ValidationError(problems)
    return data
