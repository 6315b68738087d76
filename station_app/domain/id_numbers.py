"""18-digit personal ID numbers: which document carries them, and whether they are valid.

Three documents share the GB 11643 layout (six-digit address code, birth date YYYYMMDD, a
three-digit sequence whose parity gives the sex, and the MOD 11-2 check character):
- 居民身份证: the address code of the place of registration (old county codes such as 232723,
  valid until 2018, are still carried, so only the province pair is checked);
- 港澳居民居住证 and 台湾居民居住证 (《港澳台居民居住证申领发放办法》, 2018): the address code
  is 810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan);
- 外国人永久居留身份证 (2023 edition): `9`, the issuing province's two digits, a three-digit
  nationality code, then the birth date, sequence and check character as above.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum

from stdnum.cn import ric

# GB/T 2260 province-level codes of the mainland (and 71, listed there for Taiwan).
PROVINCE_CODES = frozenset(
    {*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66), 71}
)
_ID_RE = re.compile(r"\d{17}[\dX]", re.ASCII)
_WHITESPACE_RE = re.compile(r"\s+")
_DASHES_RE = re.compile(r"[\-\u2010-\u2015\u2212]")
EARLIEST_BIRTH_YEAR = 1900


class IdKind(StrEnum):
    """The document an 18-digit ID number belongs to (recorded with the number)."""

    RESIDENT = "resident_id"
    HK_MACAO_PERMIT = "hk_macao_residence_permit"
    TAIWAN_PERMIT = "taiwan_residence_permit"
    FOREIGN_PERMANENT = "foreign_permanent_residence"

    @property
    def label(self) -> str:
        """The document's Chinese name (居民身份证)."""
        return ID_KIND_LABELS[self]


ID_KIND_LABELS = {
    IdKind.RESIDENT: "居民身份证",
    IdKind.HK_MACAO_PERMIT: "港澳居民居住证",
    IdKind.TAIWAN_PERMIT: "台湾居民居住证",
    IdKind.FOREIGN_PERMANENT: "外国人永久居留身份证",
}
_PERMIT_PREFIXES = {"810000": IdKind.HK_MACAO_PERMIT, "820000": IdKind.HK_MACAO_PERMIT, "830000": IdKind.TAIWAN_PERMIT}


# Characters that display as nothing but are not format characters (Unicode's
# Default_Ignorable_Code_Point outside category Cf): the combining grapheme joiner, the Hangul
# fillers (WeChat's "blank" nicknames are made of U+3164), Mongolian and other variation selectors.
_IGNORABLE = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, *range(0x180B, 0x1810), *range(0xFE00, 0xFE10)}
)


def invisible_char(c: str) -> bool:
    """Whether `c` displays as nothing: a format character (category Cf) or another default-ignorable one.

    Zero-width spaces and joiners, the BOM, soft hyphens, bidi marks and isolates, the word
    joiner, the Hangul fillers, variation selectors and tags.
    """
    code = ord(c)
    return unicodedata.category(c) == "Cf" or code in _IGNORABLE or 0xE0000 <= code <= 0xE0FFF


def strip_invisible(s: str) -> str:
    """`s` without the invisible characters Word and WeChat paste along with codes (`invisible_char`)."""
    return "".join(c for c in s if not invisible_char(c))


def clean_code(s: str) -> str:
    """A code as typed, folded to what the validator reads.

    Invisible characters and whitespace are removed and full-width forms (Chinese input
    methods) made half-width. Never raises.
    """
    return _WHITESPACE_RE.sub("", unicodedata.normalize("NFKC", strip_invisible(s)))


def normalize_id_number(s: str) -> str:
    """An ID number folded: spaces, dashes and invisible characters gone, full width folded, X upper case.

    Never raises; says nothing about validity.
    """
    return _DASHES_RE.sub("", clean_code(s)).upper()


def id_kind(s: str) -> IdKind | None:
    """The document an 18-character number would belong to, judged by its prefix only.

    The number need not be valid. None when it is not 18 characters with six leading digits,
    or when the prefix fits no document.
    """
    n = normalize_id_number(s)
    if len(n) != 18 or not n[:6].isdigit():
        return None
    if n[0] == "9":
        return IdKind.FOREIGN_PERMANENT
    if n[:2] in ("81", "82", "83"):
        return _PERMIT_PREFIXES.get(n[:6])
    return IdKind.RESIDENT


def check_id_number(s: str, *, today: date | None = None) -> str | None:
    """Why `s` is not a valid 18-digit ID number of any of the three documents, or None.

    Checks the length, the MOD 11-2 check character (GB 11643), a real birth date between
    1900 and `today`, and the prefix of the document (see the module docstring).
    """
    n = normalize_id_number(s)
    if not n:
        return "请填写身份证号码"
    if len(n) != 18:
        return "身份证号码应为18位"
    if not _ID_RE.fullmatch(n):
        return "身份证号码格式错误"
    if ric.calc_check_digit(n) != n[-1]:
        return "身份证号码校验位错误"
    try:
        born: date | None = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        born = None
    if born is None or born.year < EARLIEST_BIRTH_YEAR or born > (today or date.today()):
        return "身份证号码出生日期无效"
    kind = id_kind(n)
    if kind is None:  # 81, 82, 83 with another address code than 810000, 820000, 830000
        return "身份证号码地区码错误"
    if kind is IdKind.FOREIGN_PERMANENT:
        if int(n[1:3]) not in PROVINCE_CODES - {71} or n[3:6] == "000":
            return "身份证号码地区码错误"
    elif kind is IdKind.RESIDENT and int(n[:2]) not in PROVINCE_CODES:
        return "身份证号码地区码错误"
    return None


def _valid_id(s: str) -> str:
    if reason := check_id_number(s):
        raise ValueError(reason)
    return normalize_id_number(s)


def id_birth_date(s: str) -> date:
    """The birth date carried by a valid ID number (ValueError if not valid)."""
    n = _valid_id(s)
    return date(int(n[6:10]), int(n[10:12]), int(n[12:14]))


def id_sex(s: str) -> str:
    """Return 男 or 女 from the parity of the sequence code (ValueError if not valid)."""
    return "男" if int(_valid_id(s)[16]) % 2 else "女"


def valid_id_kind(s: str) -> IdKind:
    """The document of a valid ID number (ValueError if not valid)."""
    kind = id_kind(_valid_id(s))
    assert kind is not None  # a valid number always has one
    return kind
