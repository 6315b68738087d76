"""The password policy, after NIST SP 800-63B §5.1.1.2: length, not composition.

A new password must have at least 8 characters (at most 128) and no rule asks for digits,
capitals or symbols. It is refused when an attacker would try it early: a password on the
shipped list of common (breached) passwords, or one of those with digits or symbols added
before or after (`password2025`), or the same with look-alike characters (`p@ssw0rd`); a run
of one character or a repeated short unit (`aaaaaaaa`, `abcabcabc`, eight spaces); a sequence
(`12345678`, `abcdefgh`, `87654321`, a keyboard row `qwertyui`); or a password that contains
the account's name, its display name, the station's name or codes, or the city's name, also
reversed (`ilgnaw`), with digits or symbols put between its letters (`wang1li2`), written with
look-alike characters (`m0he`), or two characters of a Chinese name (`林吉`); a password that is
mostly keyboard walks and sequences (`mnbvcxza`, `!@#$%^&*`); or a date or a mobile number
(`19900101`, `13812345678`).
"""

from __future__ import annotations

import gzip
import itertools
import re
from collections.abc import Iterable
from functools import lru_cache

from station_app.resources import resource_path

MIN_LENGTH = 8
MAX_LENGTH = 128
# Words that belong to every station of this city: an attacker tries them first.
CITY_WORDS = ("mohe", "漠河", "moheshi", "漠河市", "shebao", "社保", "tiaojie", "调解")
_MIN_CONTEXT = 3  # shorter names (`li`) would refuse half of all passwords

TOO_SHORT = f"密码至少{MIN_LENGTH}位"
TOO_LONG = f"密码不能超过{MAX_LENGTH}位"
REPEATED = "密码不能由同一个字符或同一段字符重复组成(如 aaaaaaaa、abcabcabc、连续空格)"
SEQUENCE = "密码不能是连续的字符(如 12345678、abcdefgh、键盘上的一排键)"
COMMON = "该密码是常见密码或在泄露的密码库中出现过,容易被猜中,请换一个"
CONTEXT = "密码不能包含用户名、姓名、调解站名称或编码,也不能包含“漠河”等本市常用词"
GUESSABLE_NUMBER = "密码不能是日期(如生日)或手机号码,容易被猜中,请换一个"

_KEYBOARD_ROWS = (
    "`1234567890-=",
    "~!@#$%^&*()_+",  # the digit row with Shift
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
_MIN_WALK = 4  # a stretch this long of a keyboard row or a sequence counts as a walk
_NOT_LETTERS = re.compile(r"[\d\W_]+")
_YEAR, _MONTH, _DAY = r"(19|20)\d\d", r"(0[1-9]|1[0-2])", r"(0[1-9]|[12]\d|3[01])"
_DATES = tuple(re.compile(p) for p in (_YEAR + _MONTH + _DAY, _DAY + _MONTH + _YEAR, _MONTH + _DAY + _YEAR))
_MOBILE = re.compile(r"(86)?1[3-9]\d{9}")
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "$": "s", "5": "s", "7": "t", "!": "i", "1": "i"})
_EDGES = re.compile(r"^[\d\W_]*(.*?)[\d\W_]*$", re.DOTALL)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list (resources/passwords), lower case: about 47,000 entries."""
    raw = gzip.decompress(resource_path("passwords", "common-passwords.txt.gz").read_bytes())
    return frozenset(line.strip().lower() for line in raw.decode("utf-8").splitlines() if line.strip())


def _repeated(text: str) -> bool:
    """One character, or one unit of up to half the length, repeated (`abab`, `2025 2025`)."""
    n = len(text)
    return any(n % size == 0 and text == text[:size] * (n // size) for size in range(1, n // 2 + 1))


def _sequence(text: str) -> bool:
    """Characters that step by +1 or -1 throughout, or a stretch of a keyboard row."""
    low = text.lower()
    if len(low) >= 3:
        steps = {ord(b) - ord(a) for a, b in itertools.pairwise(low)}
        if steps in ({1}, {-1}):
            return True
    return any(low in row or low in row[::-1] for row in _KEYBOARD_ROWS)


def _walk_at(low: str, start: int) -> int:
    """The end of the longest walk (a keyboard stretch or a +1/-1 sequence) starting at `start`."""
    end = start + 1
    while end < len(low):
        piece = low[start : end + 1]
        step = ord(piece[-1]) - ord(piece[-2])
        steady = step in (1, -1) and all(ord(b) - ord(a) == step for a, b in itertools.pairwise(piece))
        if not (steady or any(piece in row or piece in row[::-1] for row in _KEYBOARD_ROWS)):
            break
        end += 1
    return end


def _mostly_walks(low: str) -> bool:
    """All but two characters at most lie in walks of `_MIN_WALK` or more (`mnbvcxza`, `asdf1234`)."""
    covered, i = 0, 0
    while i < len(low):
        end = _walk_at(low, i)
        if end - i >= _MIN_WALK:
            covered += end - i
            i = end
        else:
            i += 1
    return covered >= _MIN_WALK and len(low) - covered <= 2


def _guessable_number(password: str) -> bool:
    """A date (`19900101`, `1990-01-01`, `01011990`) or a mobile number, with separators or not."""
    digits = re.sub(r"[\s\-./_+]", "", password)
    if not digits.isascii() or not digits.isdigit():
        return False
    return any(p.fullmatch(digits) for p in (*_DATES, _MOBILE))


def _holds_context(low: str, words: list[str]) -> bool:
    """Whether `low` holds one of `words` as typed, reversed, between digits or in look-alikes.

    A Chinese word also counts when two of its characters stand together in the password.
    """
    forms = {low, low.translate(_LEET), _NOT_LETTERS.sub("", low), _NOT_LETTERS.sub("", low.translate(_LEET))}
    for word in words:
        if not (len(word) >= _MIN_CONTEXT or (len(word) >= 2 and not word.isascii())):
            continue
        if any(w in form for w in (word, word[::-1]) for form in forms if form):
            return True
        if not word.isascii() and any(
            not pair.isascii() and pair in low for pair in (word[i : i + 2] for i in range(len(word) - 1))
        ):
            return True
    return False


def _core(text: str) -> str:
    """The password without the digits and symbols before and after (`password2025!` -> `password`)."""
    match = _EDGES.match(text)
    return match.group(1) if match else text


def _is_common(password: str) -> bool:
    common = common_passwords()
    low = password.lower()
    candidates = {low, _core(low), low.translate(_LEET), _core(low.translate(_LEET))}
    candidates |= {c.replace("i", "l") for c in set(candidates)}  # `1` reads as i or l
    return any(c and c in common for c in candidates)


def _weak_core(password: str) -> bool:
    """A short core padded with digits (`ab123456`) or a core that is itself a pattern."""
    core = _core(password.lower())
    if not core:  # digits and symbols only: judged as a whole
        return False
    return len(core) <= 2 or _repeated(core) or (len(core) >= 3 and _sequence(core))


def password_problem(password: str, *, user: str = "", context: Iterable[str] = ()) -> str | None:
    """Why `password` is refused for account `user`, or None when it may be used.

    `context` holds the other words it must not contain (display name, station name and codes);
    `CITY_WORDS` are always added. Comparison ignores case. Returns one of the module's
    Chinese messages (TOO_SHORT, TOO_LONG, REPEATED, SEQUENCE, CONTEXT, GUESSABLE_NUMBER,
    COMMON).
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    low = password.lower()
    if _repeated(low) or not low.strip():
        return REPEATED
    if _sequence(low) or _mostly_walks(low):
        return SEQUENCE
    words = [w.strip().lower() for w in (user, *context, *CITY_WORDS) if w and w.strip()]
    if _holds_context(low, words):
        return CONTEXT
    if _guessable_number(password):
        return GUESSABLE_NUMBER
    if _is_common(password) or _weak_core(password):
        return COMMON
    return None
