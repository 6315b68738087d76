"""Validation of what the desk takes in: ID numbers, USCC, phones and the intake JSON.

The desk form, `station-app route`, `case add` and bundle import all use `parse_intake`.
Messages are short Chinese reasons and never repeat the value they refuse.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TypeVar

import phonenumbers
from stdnum.cn import ric, uscc

from station_app.domain.enums import TOWNS, Category, Channel, Flag, InsuranceType, ProceedingKind
from station_app.domain.intake import Intake, Month, Party, Period, Proceeding
from station_app.errors import ValidationError

_T = TypeVar("_T")
CHINA_TZ = timezone(timedelta(hours=8))
# GB/T 2260 province-level codes; old county codes (232723, valid until 2018) are not looked up.
PROVINCE_CODES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                            44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82})
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
PERIOD_REQUIRED = frozenset({Category(3), Category(4), Category(6), Category(8)})
MIN_YEAR, MAX_YEAR = 1990, 2100

_ID_RE = re.compile(r"\d{17}[\dX]", re.ASCII)
_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)
_AMOUNT_RE = re.compile(r"\d{1,12}(\.\d{1,2})?", re.ASCII)
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", re.ASCII)
_PHONE_CHARS_RE = re.compile(r"[\d\s()+\-]+", re.ASCII)
_MOBILE_RE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_TOP_KEYS = frozenset({"received_at", "channel", "town_code", "applicant", "respondent",
                       "category", "insurance_types", "periods", "amount_claimed",
                       "group_size", "summary", "claim", "flags", "proceeding"})
_PROCEEDING_KEYS = frozenset({"kind", "body", "case_no", "dismissed"})
_PROCEEDING_CODES = frozenset(k.value for k in ProceedingKind)
FUTURE_SKEW = timedelta(minutes=5)
_PARTY_KEYS = {"person": ("name", "id_number", "phone"),
               "employer": ("name", "uscc", "contact", "phone")}
_ALL_PARTY_KEYS = frozenset({"kind", "name", "id_number", "phone", "uscc", "contact"})
REQUIRED = "必填"
UNKNOWN = "未知字段"
_TOWN_RE = re.compile(r"[0-9]{9}")
_CHANNEL_CODES = frozenset(c.value for c in Channel)
_INSURANCE_CODES = frozenset(t.value for t in InsuranceType)
_FLAG_CODES = frozenset(f.value for f in Flag)


@dataclass(frozen=True)
class IntakeRules:
    """What an intake is checked against besides its own shape (四(一) 受理登记).

    Attributes:
        towns: the town codes of the station's jurisdiction (a setting; Mohe's six towns by
            default); None accepts any 9-digit code.
        now: the station's clock; None reads the system clock. `received_at` may be at most
            `future_skew` later than this.
        admitted: the intake was accepted before (re-routing a stored case): only its shape is
            checked, not the desk's requirements (summary, phone, contact, town, time).
    """

    towns: frozenset[str] | None = frozenset(TOWNS)
    now: datetime | None = None
    future_skew: timedelta = FUTURE_SKEW
    admitted: bool = False


ADMITTED = IntakeRules(towns=None, admitted=True)


def _clean(s: str) -> str:
    """Full-width to half-width (Chinese input methods), whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


# --- resident ID (GB 11643) -------------------------------------------------------------

def normalize_id_number(s: str) -> str:
    """Strip spaces, fold full-width characters and upper-case x. Never raises."""
    return _clean(s).upper()


def check_id_number(s: str, *, today: date | None = None) -> str | None:
    """Why `s` is not a valid 18-digit resident ID number, or None if it is."""
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
    if born is None or born.year < 1900 or born > (today or date.today()):
        return "身份证号码出生日期无效"
    if int(n[:2]) not in PROVINCE_CODES:
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


# --- unified social credit code (GB 32100) ----------------------------------------------

def normalize_uscc(s: str) -> str:
    """Strip spaces and dashes, fold full-width characters, upper-case. Never raises."""
    return _clean(s).replace("-", "").upper()


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

def _phone(s: str) -> tuple[str | None, str | None]:
    """(normalised number, None) or (None, reason)."""
    t = unicodedata.normalize("NFKC", s).strip()
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


def normalize_phone(s: str) -> str:
    """Mobile as 11 digits, landline as "0457-2812345"; an invalid number comes back
    only stripped. Never raises (use `check_phone` to know whether it is valid)."""
    number, _ = _phone(s)
    return number if number is not None else s.strip()


def check_phone(s: str) -> str | None:
    """Why `s` is not a Chinese mobile or landline number (area code needed), or None."""
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


def check_month(s: str) -> str | None:
    """Why `s` is not a month "YYYY-MM" (1990-2100), or None."""
    month = _month(s)
    return month if isinstance(month, str) else None


def check_field(kind: str, value: str) -> str | None:
    """As-you-type check for one form field: kind is id_number, uscc, phone or month.

    Raises:
        KeyError: for any other kind (a programming error).
    """
    checks: dict[str, Callable[[str], str | None]] = {
        "id_number": check_id_number, "uscc": check_uscc, "phone": check_phone,
        "month": check_month}
    return checks[kind](value)


# --- the intake JSON --------------------------------------------------------------------

class _Reader:
    """Reads typed values out of JSON objects, collecting every error under its dotted path."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, path: str, reason: str) -> None:
        self.errors.setdefault(path, reason)  # the first reason for a field wins

    def refuse(self, path: str, reason: str, result: _T) -> _T:
        """Record the failure and hand back `result`, what the field yields instead."""
        self.fail(path, reason)
        return result

    def unknown_keys(self, obj: dict[str, object], allowed: frozenset[str], prefix: str) -> None:
        for key in obj:
            if key not in allowed:
                self.fail(f"{prefix}{str(key)[:64]}", UNKNOWN)

    def text(self, obj: dict[str, object], key: str, path: str, *, required: bool = False,
             max_len: int = 50) -> str | None:
        value = obj.get(key)
        value = value.strip() if isinstance(value, str) else value
        if value is None or value == "":
            return self.refuse(path, REQUIRED, None) if required else None
        if not isinstance(value, str):
            return self.refuse(path, "应为文本", None)
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

    def checked(self, obj: dict[str, object], key: str, path: str,
                check: Callable[[str], str | None], normalize: Callable[[str], str]) -> str | None:
        value = self.text(obj, key, path, max_len=64)
        reason = check(value) if value is not None else None
        if reason:
            self.fail(path, reason)
        return normalize(value) if value is not None and not reason else None

    def party(self, value: object, path: str, *, applicant: bool, desk: bool = True) -> Party | None:
        if not isinstance(value, dict):
            return self.refuse(path, "应为对象", None)
        self.unknown_keys(value, _ALL_PARTY_KEYS, f"{path}.")
        kind = value.get("kind")
        name = self.text(value, "name", f"{path}.name", required=True)
        if kind not in ("person", "employer"):
            return self.refuse(f"{path}.kind", "当事人类型应为person或employer", None)
        for key in sorted(_ALL_PARTY_KEYS - {"kind", *_PARTY_KEYS[str(kind)]}):
            if value.get(key) not in (None, ""):
                self.fail(f"{path}.{key}", "不适用于此类当事人")
        person = kind == "person"
        id_number = self.checked(value, "id_number", f"{path}.id_number", check_id_number,
                                 normalize_id_number) if person else None
        code = None if person else self.checked(value, "uscc", f"{path}.uscc", check_uscc,
                                                 normalize_uscc)
        phone = self.checked(value, "phone", f"{path}.phone", check_phone, normalize_phone)
        contact = None if person else self.text(value, "contact", f"{path}.contact")
        if applicant and desk:  # 四(一): 联系方式 is registered for every applicant
            if phone is None and f"{path}.phone" not in self.errors:
                self.fail(f"{path}.phone", "请填写联系电话")
            if not person and contact is None and f"{path}.contact" not in self.errors:
                self.fail(f"{path}.contact", "请填写联系人")
        if name is None:
            return None
        return Party(str(kind), name, id_number=id_number, phone=phone, uscc=code,
                     contact=contact)

    def received_at(self, data: dict[str, object], rules: IntakeRules) -> datetime | None:
        value = self.text(data, "received_at", "received_at", required=True)
        if value is None:
            return None
        try:
            when = datetime.fromisoformat(value if _DATETIME_RE.match(value) else "?")
        except ValueError:
            return self.refuse("received_at", "受理时间应为ISO 8601日期时间", None)
        when = when if when.tzinfo else when.replace(tzinfo=CHINA_TZ)
        if not rules.admitted:
            now = rules.now or datetime.now(CHINA_TZ)
            if when > now + rules.future_skew:
                return self.refuse("received_at", "受理时间不能晚于当前时间", None)
        return when

    def proceeding(self, value: object) -> Proceeding | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            return self.refuse("proceeding", "应为对象", None)
        self.unknown_keys(value, _PROCEEDING_KEYS, "proceeding.")
        body = self.text(value, "body", "proceeding.body", max_len=100) or ""
        case_no = self.text(value, "case_no", "proceeding.case_no", max_len=64) or ""
        dismissed = value.get("dismissed", False)
        if dismissed is None:
            dismissed = False
        if not isinstance(dismissed, bool):
            self.fail("proceeding.dismissed", "应为true或false")
            dismissed = False
        kind = value.get("kind")
        if kind in (None, "") and not (body or case_no or dismissed):
            return None  # an empty block: nothing recorded
        if kind not in _PROCEEDING_CODES:
            return self.refuse("proceeding.kind", "请选择仲裁、诉讼或行政复议", None)
        return Proceeding(ProceedingKind(str(kind)), body, case_no, dismissed)

    def insurance_types(self, value: object) -> tuple[InsuranceType, ...]:
        if not isinstance(value, list):
            return () if value is None else self.refuse("insurance_types", "应为列表", ())
        found: dict[InsuranceType, None] = {}  # ordered, duplicates dropped
        for i, item in enumerate(value):
            if isinstance(item, str) and item.strip() in _INSURANCE_CODES:
                found[InsuranceType(item.strip())] = None
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
            self.unknown_keys(item, frozenset({"from", "to"}), f"periods[{i}].")
            ends: list[Month] = []
            for key in ("from", "to"):
                text = self.text(item, key, f"periods[{i}].{key}", required=True, max_len=10)
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
        text = value.strip() if isinstance(value, str) else str(value).removesuffix(".0")
        if not _AMOUNT_RE.fullmatch(text):
            return self.refuse("amount_claimed", "金额应为非负数且最多两位小数", None)
        return Decimal(text)

    def flags(self, value: object) -> frozenset[Flag]:
        if value is None:
            return frozenset()
        if not isinstance(value, dict):
            return self.refuse("flags", "应为对象", frozenset())
        self.unknown_keys(value, _FLAG_CODES, "flags.")
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
    `intake_warnings`.

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
    r = _Reader()
    r.unknown_keys(data, _TOP_KEYS, "")
    received_at = r.received_at(data, rules)
    channel = r.text(data, "channel", "channel", required=True)
    if channel is not None and channel not in _CHANNEL_CODES:
        channel = r.refuse("channel", "受理渠道无效", None)
    town_code = r.text(data, "town_code", "town_code", required=True)
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
    if category in PERIOD_REQUIRED and not periods and not any(
            path.startswith("periods") for path in r.errors):
        r.fail("periods", "该类争议须填写争议期间")
    insurance_types = r.insurance_types(data.get("insurance_types"))
    amount = r.amount(data.get("amount_claimed"))
    group_size = r.integer(data, "group_size", 1, 1_000_000) or 1
    summary = r.text(data, "summary", "summary", required=desk, max_len=5000) or ""
    claim = r.text(data, "claim", "claim", max_len=2000) or ""
    flags = r.flags(data.get("flags"))
    proceeding = r.proceeding(data.get("proceeding"))
    if (r.errors or received_at is None or channel is None or town_code is None
            or applicant is None or category is None):
        raise ValidationError(r.errors or {"_": "受理信息不完整"})
    return Intake(received_at=received_at, channel=Channel(channel), town_code=town_code,
                  applicant=applicant, category=Category(category), periods=periods,
                  respondent=respondent, insurance_types=insurance_types,
                  amount_claimed=amount, group_size=group_size, summary=summary, claim=claim,
                  flags=flags, proceeding=proceeding)


def intake_warnings(intake: Intake) -> tuple[str, ...]:
    """What the desk should double-check but may keep: disputed months after the month the
    matter was received (a typo, or a dispute about contributions not yet due)."""
    received = Month(intake.received_at.year, intake.received_at.month)
    late = [p for p in intake.periods if p.end.index > received.index]
    return tuple(f"争议期间{p.start}至{p.end}晚于受理月份{received},请核实" for p in late)
