"""The password policy, after NIST SP 800-63B §5.1.1.2: length, not composition.

A new password must have at least 8 characters (at most 128) and no rule asks for digits,
capitals or symbols. It is refused when an attacker would try it early: a password on the
shipped list of common (breached) passwords, or one of those with digits or symbols added
before or after (`password2025`), or the same with look-alike characters (`p@ssw0rd`); a run
of one character or a repeated short unit (`aaaaaaaa`, `abcabcabc`, eight spaces); a sequence
(`12345678`, `abcdefgh`, `87654321`, a keyboard row `qwertyui`); or a password that contains
the account's name, its display name, the station's name or codes, or the city's name.
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

_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")
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
    Chinese messages (TOO_SHORT, TOO_LONG, REPEATED, SEQUENCE, COMMON, CONTEXT).
    """
    password = password or ""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    low = password.lower()
    if _repeated(low) or not low.strip():
        return REPEATED
    if _sequence(low):
        return SEQUENCE
    words = [w.strip().lower() for w in (user, *context, *CITY_WORDS) if w]
    if any(len(w) >= _MIN_CONTEXT or (len(w) >= 2 and not w.isascii()) for w in words if w in low):
        return CONTEXT
    if _is_common(password) or _weak_core(password):
        return COMMON
    return None
