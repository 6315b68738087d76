"""Changing a station setting: checked against its SettingSpec, recorded as an event."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from station_app.domain.enums import DEPARTMENT_NAMES, Department
from station_app.errors import ValidationError
from station_app.services.permissions import Act, require
from station_app.services.session import Session
from station_app.services.settings_schema import SPECS, SettingSpec, contact_confirmed, contact_digest
from station_app.services.user_service import set_lockout
from station_app.store.db import write
from station_app.store.keystore import LockoutPolicy
from station_app.store.read_model.station import stored_setting

LOCKOUT_KEYS = frozenset({"lockout_max_failures", "lockout_minutes"})
MAX_TEXT = 200
MAX_JSON = 100_000


def _range(spec: SettingSpec, number: float) -> str | None:
    if spec.minimum is not None and number < spec.minimum:
        return f"{spec.label}不能小于{_plain(spec.minimum)}"
    if spec.maximum is not None and number > spec.maximum:
        return f"{spec.label}不能大于{_plain(spec.maximum)}"
    return None


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _check_contacts(value: dict[str, Any]) -> str | None:
    for dept, entry in value.items():
        try:
            Department(str(dept))
        except ValueError:
            return "部门代码无效"
        if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
            return "每个部门应有地址、电话和办公时间文字"
    return None


def _check_towns(value: dict[str, Any]) -> str | None:
    if not value:
        return "至少应有一个乡镇"
    for code, name in value.items():
        if not (isinstance(code, str) and len(code) == 9 and code.isdigit()):
            return "乡镇代码应为9位数字"
        if not isinstance(name, str) or not name.strip():
            return "每个乡镇应有名称"
    return None


def coerce_setting(spec: SettingSpec, value: Any) -> Any:
    """The stored form of `value` for `spec`, or ValidationError naming the key."""
    key = spec.key
    why: str | None = None
    if spec.kind == "int":
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None:
            raise ValidationError({key: f"{spec.label}应为整数"})
        why = _range(spec, number)
        result: Any = number
    elif spec.kind == "float":
        try:
            real = float(str(value).strip()) if not isinstance(value, bool) else math.nan
        except ValueError:
            real = math.nan
        if math.isnan(real) or math.isinf(real):
            raise ValidationError({key: f"{spec.label}应为数字"})
        why = _range(spec, real)
        result = real
    elif spec.kind == "money":
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError({key: f"{spec.label}应为金额"}) from None
        exponent = amount.as_tuple().exponent
        if not isinstance(exponent, int) or exponent < -2 or amount < 0:
            raise ValidationError({key: f"{spec.label}应为金额(最多两位小数)"})
        why = _range(spec, float(amount))
        result = str(amount)
    elif spec.kind == "date":
        try:
            result = date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError({key: f"{spec.label}格式应为YYYY-MM-DD"}) from None
    elif spec.kind == "str":
        if not isinstance(value, str):
            raise ValidationError({key: f"{spec.label}应为文字"})
        result = value.strip()
        if len(result) > MAX_TEXT:
            why = f"{spec.label}不能超过{MAX_TEXT}字"
    else:  # json
        if not isinstance(value, (dict, list)) or type(value) is not type(spec.default):
            raise ValidationError({key: f"{spec.label}格式错误"})
        if len(json.dumps(value, ensure_ascii=False)) > MAX_JSON:
            raise ValidationError({key: f"{spec.label}内容过长"})
        if key == "department_contacts" and isinstance(value, dict):
            why = _check_contacts(value)
        if key == "jurisdiction_towns" and isinstance(value, dict):
            why = _check_towns(value)
        result = value
    if why:
        raise ValidationError({key: why})
    return result


def set_setting(session: Session, key: str, value: Any) -> Any:
    """Change one setting (head or admin; lockout settings admin only) and return its stored form.

    The change is a `setting_changed` event; lockout settings are mirrored into the keystore,
    which must be readable before login.
    """
    require(session, Act.EDIT_SETTINGS)
    spec = SPECS.get(key)
    if spec is None:
        raise ValidationError({key: "未知设置项"})
    if not spec.editable:
        raise ValidationError({key: f"{spec.label}不能直接修改"})
    if key in LOCKOUT_KEYS:
        require(session, Act.MANAGE_USERS)
    stored = coerce_setting(spec, value)
    if session.settings().get(key) == stored:
        return stored
    session.record_one("setting_changed", {"key": key, "value": stored})
    if key in LOCKOUT_KEYS:
        settings = session.settings()
        set_lockout(session, LockoutPolicy(int(settings["lockout_max_failures"]), int(settings["lockout_minutes"])))
    return stored


# -- confirming department contacts (printed on citizen papers) --------------------------------


@dataclass(frozen=True)
class ContactStatus:
    """One department's contact entry and whether it is confirmed or still a sample (示例)."""

    dept: str
    label: str
    address: str
    phone: str
    hours: str
    confirmed: bool
    confirmed_by: str | None
    confirmed_at: str | None

    def to_json(self) -> dict[str, Any]:
        """The entry as `settings contacts --json` prints it."""
        return {
            "dept": self.dept,
            "label": self.label,
            "address": self.address,
            "phone": self.phone,
            "hours": self.hours,
            "confirmed": self.confirmed,
            "confirmed_by": self.confirmed_by,
            "confirmed_at": self.confirmed_at,
        }


def contacts_status(session: Session) -> list[ContactStatus]:
    """Every department's contact entry, in department order, with its confirmation state.

    An unconfirmed entry prints as a sample (示例,未经确认) on citizen papers.
    """
    settings = session.settings()
    contacts = settings.get("department_contacts") or {}
    records = settings.get("department_contacts_confirmed") or {}
    out = []
    for dept in Department:
        entry = contacts.get(dept.value) or {}
        ok = contact_confirmed(settings, dept.value)
        record = records.get(dept.value) or {}
        out.append(
            ContactStatus(
                dept.value,
                DEPARTMENT_NAMES[dept],
                str(entry.get("address") or ""),
                str(entry.get("phone") or ""),
                str(entry.get("hours") or ""),
                ok,
                str(record["by"]) if ok and record.get("by") else None,
                str(record["at"]) if ok and record.get("at") else None,
            )
        )
    return out


def confirm_department_contacts(session: Session, depts: list[str] | None = None) -> list[ContactStatus]:
    """Confirm the current contact entries of `depts`.

    Default: every department with an address or phone. An admin has checked them against the
    departments' published details, and papers stop marking them as samples. One
    `contacts_confirmed` event (codes and digests only).

    Raises PermissionDenied unless admin; ValidationError on `dept` for an unknown code or an
    entry with neither address nor phone. Returns `contacts_status` afterwards.
    """
    require(session, Act.CONFIRM_CONTACTS)
    with write(session.store.engine) as conn:  # what is stored now, not what this session last read
        raw = stored_setting(conn, "department_contacts")
        contacts = json.loads(raw) if raw else SPECS["department_contacts"].default
        codes: list[str] = []
        for code in depts or [d.value for d in Department if _has_details(contacts.get(d.value))]:
            try:
                dept = Department(str(code))
            except ValueError:
                raise ValidationError({"dept": "部门代码无效"}) from None
            if not _has_details(contacts.get(dept.value)):
                raise ValidationError({"dept": f"{DEPARTMENT_NAMES[dept]}尚无地址和电话,无法确认"})
            codes.append(dept.value)
        if codes:
            session.record(conn, "contacts_confirmed", {"depts": {c: contact_digest(contacts[c]) for c in codes}})
    return contacts_status(session)


def _has_details(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    return bool(str(entry.get("address") or "").strip() or str(entry.get("phone") or "").strip())
