"""Validation of what the desk takes in: ID numbers, USCC, phones and the intake JSON.

The desk form, `station-app route`, `case add` and bundle import all use `parse_intake`.
Messages are short Chinese reasons and never repeat the value they refuse.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TypeVar

import phonenumbers
from stdnum.cn import uscc

from station_app.domain.enums import TOWNS, Category, Channel, Flag, InsuranceType, ProceedingKind
from station_app.domain.id_numbers import (
    ID_KIND_LABELS,
    PROVINCE_CODES,
    IdKind,
    check_id_number,
    clean_code,
    id_birth_date,
    id_kind,
    id_sex,
    normalize_id_number,
    strip_invisible,
    valid_id_kind,
)
from station_app.domain.intake import Intake, Month, Party, Period, Proceeding
from station_app.domain.safe_input import FIELD_NAME_RE, line_problem, text_problem
from station_app.errors import ValidationError

# ID numbers live in `id_numbers` and are re-exported here: callers have one validator.
__all__ = [
    "ADMITTED",
    "CHINA_TZ",
    "DESK_BACKDATE",
    "EARLIEST_RECEIVED",
    "FUTURE_SKEW",
    "ID_KIND_LABELS",
    "MAX_YEAR",
    "MIN_YEAR",
    "PERIOD_REQUIRED",
    "PROVINCE_CODES",
    "REQUIRED",
    "UNKNOWN",
    "USCC_ALPHABET",
    "IdKind",
    "IntakeRules",
    "check_amount",
    "check_field",
    "check_id_number",
    "check_month",
    "check_phone",
    "check_uscc",
    "id_birth_date",
    "id_kind",
    "id_sex",
    "intake_warnings",
    "normalize_amount",
    "normalize_field",
    "normalize_id_number",
    "normalize_phone",
    "normalize_uscc",
    "parse_intake",
    "received_at_range",
    "strip_invisible",
    "valid_id_kind",
]
_T = TypeVar("_T")
CHINA_TZ = timezone(timedelta(hours=8))
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
PERIOD_REQUIRED = frozenset({Category(3), Category(4), Category(6), Category(8)})
MIN_YEAR, MAX_YEAR = 1990, 2100
# The oldest 受理时间 taken: older is a typo (the stations opened in 2025; a year on a case
# number must be sane). The desk form offers a year back at most (`received_at_range`).
EARLIEST_RECEIVED = datetime(2000, 1, 1, tzinfo=CHINA_TZ)
DESK_BACKDATE = timedelta(days=366)

_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)
_AMOUNT_RE = re.compile(r"\d{1,12}(\.\d{1,2})?", re.ASCII)
_DASHES_RE = re.compile(r"[\-\u2010-\u2015\u2212]")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
_GROUPED_RE = re.compile(r"\d{1,3}(,\d{3})+(\.\d{1,2})?", re.ASCII)
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", re.ASCII)
_PHONE_CHARS_RE = re.compile(r"[\d\s()+\-]+", re.ASCII)
_MOBILE_RE = re.compile(r"1[3-9]\d{9}", re.ASCII)
# How an extension is announced: 转801, 转分机801, 分机号801, 内线801, ext. 801, x801, #801, -801,
# ,801 or *801 (a dialling pause), and any of these in brackets: (801), (分机801), (ext. 801).
_EXTENSION_WORD = r"(?:转分机|轉分機|转|轉|分机号?|分機號?|内线|內線|ext(?:ension)?\.?|x|\#)"
_EXTENSION_RE = re.compile(
    rf"(?P<main>.+?)\s*(?:(?:{_EXTENSION_WORD}|[-,*])\s*:?\s*(?P<ext>\d{{1,6}})\#?"
    rf"|\(\s*{_EXTENSION_WORD}?\s*:?\s*(?P<bracketed>\d{{1,6}})\s*\))",
    re.IGNORECASE,
)
_TOP_KEYS = frozenset(
    {
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
    }
)
_PROCEEDING_KEYS = frozenset({"kind", "body", "case_no", "dismissed"})
_PROCEEDING_CODES = frozenset(k.value for k in ProceedingKind)
FUTURE_SKEW = timedelta(minutes=5)
_PARTY_KEYS = {"person": ("name", "id_number", "id_kind", "phone"), "employer": ("name", "uscc", "contact", "phone")}
_ALL_PARTY_KEYS = frozenset({"kind", "name", "id_number", "id_kind", "phone", "uscc", "contact"})
REQUIRED = "必填"
UNKNOWN = "未知字段"
_TOWN_RE = re.compile(r"[0-9]{9}")
_CHANNEL_CODES = frozenset(c.value for c in Channel)
_INSURANCE_CODES = frozenset(t.value for t in InsuranceType)
_FLAG_CODES = frozenset(f.value for f in Flag)
_ID_KIND_CODES = frozenset(k.value for k in IdKind)


@dataclass(frozen=True)
class IntakeRules:
    """What an intake is checked against besides its own shape (四(一) 受理登记).

    Attributes:
        towns: the town codes of the station's jurisdiction (a setting; Mohe's six towns by
            default); None accepts any 9-digit code.
        now: the station's clock; None reads the system clock. `received_at` may be at most
            `future_skew` later than this.
        admitted: the intake was accepted before (re-routing a stored case): only its shape is
            checked, not the desk's requirements (summary, phone, contact, town, time) nor the
            characters of its texts.
    """

    towns: frozenset[str] | None = frozenset(TOWNS)
    now: datetime | None = None
    future_skew: timedelta = FUTURE_SKEW
    admitted: bool = False


ADMITTED = IntakeRules(towns=None, admitted=True)


def _clean(s: str) -> str:
    """A code folded: full width made half width, whitespace and invisible characters removed.

    Invisible characters are the zero-width spaces, BOM and bidi marks pasted from Word or WeChat.
    """
    return clean_code(s)


def _code(value: _T) -> _T | str:
    """A coded field (channel, a kind, a document) folded like an ID number.

    Invisible characters and spaces removed, full width made half width; anything but a string
    comes back as it is.
    """
    return clean_code(value) if isinstance(value, str) else value


# --- unified social credit code (GB 32100) ----------------------------------------------


def normalize_uscc(s: str) -> str:
    """Strip spaces and dashes, fold full-width characters, upper-case. Never raises."""
    return _DASHES_RE.sub("", _clean(s)).upper()


def check_uscc(s: str) -> str | None:
    """Why `s` is not a valid USCC, or None. Any registering authority (9, N, Y, A...)."""
    n = normalize_uscc(s)
    if not n:
        return "请填写统一社会信用代码"
    if len(n) != 18:
        return "统一社会信用代码应为18位"
    if any(c not in USCC_ALPHABET for c in n):
        return "统一社会信用代码含无效字符"
    if not n[2:8].isdigit():
        return "统一社会信用代码格式错误"
    if uscc.calc_check_digit(n) != n[-1]:
        return "统一社会信用代码校验位错误"
    return None


# --- phone numbers ----------------------------------------------------------------------


def _main_number(t: str) -> tuple[str | None, str | None]:
    """(normalised number, None) or (None, reason) for a number without extension."""
    if not _PHONE_CHARS_RE.fullmatch(t):
        return None, "联系电话含无效字符" if t else "请填写联系电话"
    digits = re.sub(r"[^0-9]", "", t)
    if t.startswith("+") or digits.startswith("00"):
        digits = digits.removeprefix("00")
        if not digits.startswith("86"):
            return None, "仅支持中国大陆电话号码"
        digits = digits[2:] if digits[2:3] in ("0", "1") else "0" + digits[2:]
    mobile = digits.startswith("1")
    if mobile and not _MOBILE_RE.fullmatch(digits):
        return None, "手机号码应为1开头的11位数字"
    if not digits.startswith(("0", "1")):
        return None, "固定电话须加区号(如0457)"
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        return None, "电话号码无效"
    national = str(parsed.national_number)
    area_len = 0 if mobile else phonenumbers.length_of_geographical_area_code(parsed)
    valid = phonenumbers.is_valid_number(parsed) and (mobile or area_len > 0)
    if not valid or (not mobile and national[area_len] in "01"):  # 1xx are service numbers
        return None, "手机号码无效" if mobile else "固定电话号码无效"
    return (digits, None) if mobile else (f"0{national[:area_len]}-{national[area_len:]}", None)


def _phone(s: str) -> tuple[str | None, str | None]:
    """A phone number checked: `(normalised number, None)` or `(None, reason)`.

    A landline may carry an extension, written -801, 转801, 分机801, 分机号801, 内线801, ext 801,
    x801, #801, ,801, *801 or in brackets, (801) or (分机801): it is kept as "0457-2812345-801".
    """
    t = unicodedata.normalize("NFKC", strip_invisible(s)).strip()
    t = re.sub(r"[\u2010-\u2015\u2212]", "-", t)  # hyphens and dashes a word processor typed
    number, reason = _main_number(t)
    if number is not None:
        return number, None
    m = _EXTENSION_RE.fullmatch(t)
    if m is None:
        return None, reason
    number, main_reason = _main_number(m.group("main").strip())
    if number is None:
        return None, main_reason
    if not number.startswith("0"):
        return None, "分机号只适用于固定电话"
    return f"{number}-{m.group('ext') or m.group('bracketed')}", None


def normalize_phone(s: str) -> str:
    """A phone number as stored: a mobile as 11 digits, a landline as "0457-2812345".

    A landline's extension is kept ("0457-2812345-801"); an invalid number comes back only
    stripped. Never raises (use `check_phone` to know whether it is valid).
    """
    number, _ = _phone(s)
    return number if number is not None else s.strip()


def check_phone(s: str) -> str | None:
    """Why `s` is not a Chinese mobile or landline number, or None when it is one.

    A landline needs its area code and may add an extension.
    """
    return _phone(s)[1]


# --- months and single fields -----------------------------------------------------------


def _month(s: str) -> Month | str:
    m = _MONTH_RE.fullmatch(_clean(s))
    if not m:
        return "月份格式应为YYYY-MM"
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        return "月份应为1-12"
    if not MIN_YEAR <= year <= MAX_YEAR:
        return f"年份应在{MIN_YEAR}-{MAX_YEAR}之间"
    return Month(year, month)


def _amount(s: str) -> Decimal | str:
    """The amount typed, in yuan, or why it is not one.

    Full-width digits, thousands separators, a ¥ sign or 元 are allowed.
    """
    t = _clean(s).removesuffix("元").removeprefix("¥").removeprefix("￥")
    if _GROUPED_RE.fullmatch(t):
        t = t.replace(",", "")
    if not _AMOUNT_RE.fullmatch(t):
        return "金额应为非负数且最多两位小数"
    return Decimal(t)


def normalize_amount(s: str) -> str:
    """An amount in yuan as stored: "１２,０００.５" -> "12000.5"; an invalid one comes back stripped.

    Never raises.
    """
    amount = _amount(s)
    return s.strip() if isinstance(amount, str) else str(amount)


def check_amount(s: str) -> str | None:
    """Why `s` is not an amount in yuan (at most 12 digits and 2 decimals), or None."""
    amount = _amount(s)
    return amount if isinstance(amount, str) else None


def check_month(s: str) -> str | None:
    """Why `s` is not a month "YYYY-MM" (1990-2100), or None."""
    month = _month(s)
    return month if isinstance(month, str) else None


def check_field(kind: str, value: str) -> str | None:
    """As-you-type check for one form field: kind is id_number, uscc, phone, month or amount.

    Raises:
        KeyError: for any other kind (a programming error).
    """
    checks: dict[str, Callable[[str], str | None]] = {
        "id_number": check_id_number,
        "uscc": check_uscc,
        "phone": check_phone,
        "month": check_month,
        "amount": check_amount,
    }
    return checks[kind](value)


def normalize_field(kind: str, value: str) -> str:
    """One form field's value as the validator stores it; an invalid value comes back only stripped.

    `kind` is one of the kinds `check_field` takes.

    Raises:
        KeyError: an unknown `kind`.
    """
    normalizers: dict[str, Callable[[str], str]] = {
        "id_number": normalize_id_number,
        "uscc": normalize_uscc,
        "phone": normalize_phone,
        "month": _clean,
        "amount": normalize_amount,
    }
    return normalizers[kind](value)


# --- the intake JSON --------------------------------------------------------------------


class _Reader:
    """Reads typed values out of JSON objects, collecting every error under its dotted path.

    `admitted`: the texts were checked when the intake was taken in and are not checked for
    characters again (a case stored under older rules can still be routed).
    """

    def __init__(self, admitted: bool = False) -> None:
        self.errors: dict[str, str] = {}
        self.admitted = admitted

    def fail(self, path: str, reason: str) -> None:
        self.errors.setdefault(path, reason)  # the first reason for a field wins

    def refuse(self, path: str, reason: str, result: _T) -> _T:
        """Record the failure and hand back `result`, what the field yields instead."""
        self.fail(path, reason)
        return result

    def unknown_keys(self, obj: dict[str, object], allowed: frozenset[str], path: str) -> None:
        """Refuse keys of `obj` outside `allowed`, without repeating what may be personal data.

        A key that reads as a field name (a short ASCII identifier: a misspelt field) is named; any
        other is counted on the object's own `path` and never repeated (an ID number or a name
        pasted as a key).
        """
        hidden = 0
        for key in obj:
            if key in allowed:
                continue
            if isinstance(key, str) and FIELD_NAME_RE.fullmatch(key):
                self.fail(f"{path}.{key}" if path else key, UNKNOWN)
            else:
                hidden += 1
        if hidden:
            self.fail(path or "_", f"{UNKNOWN}({hidden}个)")

    def text(
        self,
        obj: dict[str, object],
        key: str,
        path: str,
        *,
        required: bool = False,
        max_len: int = 50,
        code: bool = False,
        multiline: bool = False,
    ) -> str | None:
        """The stripped text at `key`, or None when it is absent or empty and not `required`.

        `code` fields (IDs, phones, codes, dates) are first cleaned of invisible characters; free
        texts are refused when they carry any. Longer than `max_len` characters is refused. Only a
        `multiline` text (a summary, a claim) or a code (whose spaces are removed later) may hold
        line breaks and tabs.
        """
        value = obj.get(key)
        if isinstance(value, str) and code:
            value = strip_invisible(value)
        value = value.strip() if isinstance(value, str) else value
        if value is None or value == "":
            return self.refuse(path, REQUIRED, None) if required else None
        if not isinstance(value, str):
            return self.refuse(path, "应为文本", None)
        if not self.admitted and (problem := (text_problem if multiline or code else line_problem)(value)):
            return self.refuse(path, problem, None)
        if len(value) > max_len:
            return self.refuse(path, f"不能超过{max_len}字", None)
        return value

    def integer(self, obj: dict[str, object], key: str, low: int, high: int) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return self.refuse(key, "应为整数", None)
        if not low <= value <= high:
            return self.refuse(key, f"应在{low}-{high}之间", None)
        return value

    def checked(
        self,
        obj: dict[str, object],
        key: str,
        path: str,
        check: Callable[[str], str | None],
        normalize: Callable[[str], str],
    ) -> str | None:
        value = self.text(obj, key, path, max_len=64, code=True)
        reason = check(value) if value is not None else None
        if reason:
            self.fail(path, reason)
        return normalize(value) if value is not None and not reason else None

    def party(self, value: object, path: str, *, applicant: bool, desk: bool = True) -> Party | None:
        if not isinstance(value, dict):
            return self.refuse(path, "应为对象", None)
        self.unknown_keys(value, _ALL_PARTY_KEYS, path)
        kind = _code(value.get("kind"))
        name = self.text(value, "name", f"{path}.name", required=True)
        if kind not in ("person", "employer"):
            return self.refuse(f"{path}.kind", "当事人类型应为person或employer", None)
        for key in sorted(_ALL_PARTY_KEYS - {"kind", *_PARTY_KEYS[str(kind)]}):
            if value.get(key) not in (None, ""):
                self.fail(f"{path}.{key}", "不适用于此类当事人")
        person = kind == "person"
        id_number = (
            self.checked(value, "id_number", f"{path}.id_number", check_id_number, normalize_id_number)
            if person
            else None
        )
        code = None if person else self.checked(value, "uscc", f"{path}.uscc", check_uscc, normalize_uscc)
        document = self.id_kind(value, f"{path}.id_kind", id_number) if person else None
        phone = self.checked(value, "phone", f"{path}.phone", check_phone, normalize_phone)
        contact = None if person else self.text(value, "contact", f"{path}.contact")
        if applicant and desk:  # 四(一): 联系方式 is registered for every applicant
            if phone is None and f"{path}.phone" not in self.errors:
                self.fail(f"{path}.phone", "请填写联系电话")
            if not person and contact is None and f"{path}.contact" not in self.errors:
                self.fail(f"{path}.contact", "请填写联系人")
        if name is None:
            return None
        return Party(str(kind), name, id_number=id_number, phone=phone, uscc=code, contact=contact, id_kind=document)

    def id_kind(self, value: dict[str, object], path: str, id_number: str | None) -> str | None:
        """The document of a valid ID number; a stated `id_kind` must agree with it."""
        stated = _code(value.get("id_kind"))
        if stated not in (None, "") and (not isinstance(stated, str) or stated not in _ID_KIND_CODES):
            return self.refuse(path, "证件类型无效", None)
        if id_number is None:
            if stated not in (None, ""):
                self.fail(path, "请填写证件号码")
            return None
        kind = valid_id_kind(id_number).value
        if stated not in (None, "", kind):
            return self.refuse(path, "证件类型与号码不符", None)
        return kind

    def received_at(self, data: dict[str, object], rules: IntakeRules) -> datetime | None:
        """When the matter was received, in Beijing time.

        A time with another offset (or `Z`, `z`) is converted; one without an offset is taken as
        Beijing time. Full-width digits are read as digits. Years outside
        `EARLIEST_RECEIVED`..`MAX_YEAR` are refused (a case number carries the year).
        """
        value = self.text(data, "received_at", "received_at", required=True, code=True)
        if value is None:
            return None
        value = unicodedata.normalize("NFKC", value).upper()  # RFC 3339 allows t and z
        try:
            when = datetime.fromisoformat(value if _DATETIME_RE.match(value) else "?")
        except ValueError:
            return self.refuse("received_at", "受理时间应为ISO 8601日期时间", None)
        if not EARLIEST_RECEIVED.year <= when.year <= MAX_YEAR:
            return self.refuse("received_at", f"受理时间应在{EARLIEST_RECEIVED.year}-{MAX_YEAR}年之间", None)
        when = when.astimezone(CHINA_TZ) if when.tzinfo else when.replace(tzinfo=CHINA_TZ)
        if when < EARLIEST_RECEIVED:
            return self.refuse("received_at", f"受理时间应在{EARLIEST_RECEIVED.year}-{MAX_YEAR}年之间", None)
        if not rules.admitted:
            now = rules.now or datetime.now(CHINA_TZ)
            now = now if now.tzinfo else now.replace(tzinfo=CHINA_TZ)  # a naive clock reads Beijing time
            if when > now + rules.future_skew:
                return self.refuse("received_at", "受理时间不能晚于当前时间", None)
        return when

    def proceeding(self, value: object) -> Proceeding | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            return self.refuse("proceeding", "应为对象", None)
        self.unknown_keys(value, _PROCEEDING_KEYS, "proceeding")
        body = self.text(value, "body", "proceeding.body", max_len=100) or ""
        case_no = self.text(value, "case_no", "proceeding.case_no", max_len=64) or ""
        dismissed = value.get("dismissed", False)
        if dismissed is None:
            dismissed = False
        if not isinstance(dismissed, bool):
            self.fail("proceeding.dismissed", "应为true或false")
            dismissed = False
        kind = _code(value.get("kind"))
        if kind in (None, "") and not (body or case_no or dismissed):
            return None  # an empty block: nothing recorded
        if not isinstance(kind, str) or kind not in _PROCEEDING_CODES:
            return self.refuse("proceeding.kind", "请选择仲裁、诉讼或行政复议", None)
        return Proceeding(ProceedingKind(str(kind)), body, case_no, dismissed)

    def insurance_types(self, value: object) -> tuple[InsuranceType, ...]:
        if not isinstance(value, list):
            return () if value is None else self.refuse("insurance_types", "应为列表", ())
        found: dict[InsuranceType, None] = {}  # ordered, duplicates dropped
        for i, item in enumerate(value):
            code = _code(item) if isinstance(item, str) else None
            if code in _INSURANCE_CODES:
                found[InsuranceType(code)] = None
            else:
                self.fail(f"insurance_types[{i}]", "未知险种")
        return tuple(found)

    def periods(self, value: object) -> tuple[Period, ...]:
        if not isinstance(value, list):
            return () if value is None else self.refuse("periods", "应为列表", ())
        periods: list[Period] = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.fail(f"periods[{i}]", "应为对象")
                continue
            self.unknown_keys(item, frozenset({"from", "to"}), f"periods[{i}]")
            ends: list[Month] = []
            for key in ("from", "to"):
                text = self.text(item, key, f"periods[{i}].{key}", required=True, max_len=16, code=True)
                month = _month(text) if text is not None else None
                if isinstance(month, str):
                    self.fail(f"periods[{i}].{key}", month)
                elif month is not None:
                    ends.append(month)
            if len(ends) == 2 and ends[0].index > ends[1].index:
                self.fail(f"periods[{i}].to", "结束月份不能早于开始月份")
            elif len(ends) == 2:
                periods.append(Period(ends[0], ends[1]))
        return tuple(periods)

    def amount(self, value: object) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return self.refuse("amount_claimed", "应为金额", None)
        if isinstance(value, float) and not math.isfinite(value):
            return self.refuse("amount_claimed", "金额应为有限数", None)
        if isinstance(value, str) and (problem := text_problem(strip_invisible(value))):
            return self.refuse("amount_claimed", problem, None)
        amount = _amount(value if isinstance(value, str) else str(value).removesuffix(".0"))
        return self.refuse("amount_claimed", amount, None) if isinstance(amount, str) else amount

    def flags(self, value: object) -> frozenset[Flag]:
        if value is None:
            return frozenset()
        if not isinstance(value, dict):
            return self.refuse("flags", "应为对象", frozenset())
        self.unknown_keys(value, _FLAG_CODES, "flags")
        for key, on in value.items():
            if key in _FLAG_CODES and not isinstance(on, bool):
                self.fail(f"flags.{key}", "应为true或false")
        return frozenset(Flag(k) for k, on in value.items() if k in _FLAG_CODES and on is True)


def parse_intake(data: object, rules: IntakeRules | None = None) -> Intake:
    """Validate an intake JSON object (DESIGN.md "Intake JSON") and build the `Intake`.

    Optional fields may be absent, null or "". Strings are stripped; ID numbers, USCCs and
    phones are stored normalised. 四(一) asks the desk to register 联系方式、事项所在辖区、
    来访时间、反映主要事项: `summary` and the applicant's `phone` (an employer's `contact` too)
    are required, `town_code` must be one of `rules.towns` and `received_at` may not lie in
    the future (`rules.future_skew` allowed). `proceeding` (optional) is
    `{"kind": "arbitration"|"litigation"|"reconsideration", "body": TEXT, "case_no": TEXT,
    "dismissed": BOOL}`. Disputed months after the month received are not refused: see
    `intake_warnings`. `intake_uuid` (optional) names the intake so that a retried `case add`
    finds the case it already made.

    Codes and phones are cleaned of invisible characters (zero-width spaces, BOM, bidi marks)
    and full-width forms; free texts carrying control characters, lone surrogates or bidi
    overrides are refused. `received_at` is converted to Beijing time. A person's ID number
    may be a 居民身份证, 港澳台居民居住证 or 外国人永久居留身份证 number; its document is
    recorded as `id_kind` (see `id_numbers`). Unknown keys are refused on the object that
    holds them, without being repeated.

    Args:
        data: the parsed JSON.
        rules: the station's jurisdiction and clock (default: Mohe's towns, the system clock);
            `ADMITTED` for an intake stored earlier.

    Raises:
        ValidationError: naming every offending field (dotted path) with a Chinese reason.
    """
    if not isinstance(data, dict):
        raise ValidationError({"_": "受理信息应为JSON对象"})
    rules = rules or IntakeRules()
    r = _Reader(admitted=rules.admitted)
    r.unknown_keys(data, _TOP_KEYS, "")
    received_at = r.received_at(data, rules)
    channel = _code(r.text(data, "channel", "channel", required=True, code=True))
    if channel is not None and channel not in _CHANNEL_CODES:
        channel = r.refuse("channel", "受理渠道无效", None)
    town_code = r.text(data, "town_code", "town_code", required=True, code=True)
    if town_code is not None and not _TOWN_RE.fullmatch(town_code):
        town_code = r.refuse("town_code", "乡镇代码应为9位数字", None)
    elif town_code is not None and rules.towns is not None and town_code not in rules.towns:
        town_code = r.refuse("town_code", "不属于本站辖区的乡镇", None)
    applicant = data.get("applicant")
    if applicant is None:
        r.fail("applicant", REQUIRED)
    desk = not rules.admitted
    applicant = None if applicant is None else r.party(applicant, "applicant", applicant=True, desk=desk)
    respondent = data.get("respondent")
    respondent = None if respondent is None else r.party(respondent, "respondent", applicant=False)
    if data.get("category") is None:
        r.fail("category", REQUIRED)
    category = r.integer(data, "category", 1, 9)
    periods = r.periods(data.get("periods"))
    if category in PERIOD_REQUIRED and not periods and not any(path.startswith("periods") for path in r.errors):
        r.fail("periods", "该类争议须填写争议期间")
    insurance_types = r.insurance_types(data.get("insurance_types"))
    amount = r.amount(data.get("amount_claimed"))
    group_size = r.integer(data, "group_size", 1, 1_000_000) or 1
    summary = r.text(data, "summary", "summary", required=desk, max_len=5000, multiline=True) or ""
    claim = r.text(data, "claim", "claim", max_len=2000, multiline=True) or ""
    flags = r.flags(data.get("flags"))
    proceeding = r.proceeding(data.get("proceeding"))
    intake_uuid = r.text(data, "intake_uuid", "intake_uuid", max_len=36, code=True)
    if intake_uuid is not None and not _UUID_RE.fullmatch(intake_uuid.lower()):
        intake_uuid = r.refuse("intake_uuid", "应为UUID", None)
    if r.errors or received_at is None or channel is None or town_code is None or applicant is None or category is None:
        raise ValidationError(r.errors or {"_": "受理信息不完整"})
    return Intake(
        received_at=received_at,
        channel=Channel(channel),
        town_code=town_code,
        applicant=applicant,
        category=Category(category),
        periods=periods,
        respondent=respondent,
        insurance_types=insurance_types,
        amount_claimed=amount,
        group_size=group_size,
        summary=summary,
        claim=claim,
        flags=flags,
        proceeding=proceeding,
        intake_uuid=intake_uuid.lower() if intake_uuid else None,
    )


def received_at_range(now: datetime) -> tuple[datetime, datetime]:
    """The span the desk form offers for 受理时间, as `(earliest, latest)`.

    From `DESK_BACKDATE` before `now` up to `now`: later is refused by `parse_intake`; an older
    record is typed in through the command line, which takes any time since `EARLIEST_RECEIVED`.
    """
    now = now.astimezone(CHINA_TZ) if now.tzinfo else now.replace(tzinfo=CHINA_TZ)
    return max(now - DESK_BACKDATE, EARLIEST_RECEIVED), now


def intake_warnings(intake: Intake) -> tuple[str, ...]:
    """What the desk should double-check but may keep, as Chinese sentences.

    Today: disputed months after the month the matter was received (a typo, or a dispute about
    contributions not yet due).
    """
    received = Month(intake.received_at.year, intake.received_at.month)
    late = [p for p in intake.periods if p.end.index > received.index]
    return tuple(f"争议期间{p.start}至{p.end}晚于受理月份{received},请核实" for p in late)
