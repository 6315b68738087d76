"""Holiday schedules as text: the calendar JSON format and a simple CSV for yearly imports.

JSON: `{"source": "...", "years": [2027], "days": {"2027-10-01": "holiday", "2027-09-26":
"workday"}}` — only statutory holidays and adjusted working days (调休) are listed; every other
day of a listed year is a working day exactly when it is Monday to Friday.

CSV: one `YYYY-MM-DD,holiday|workday` a line (also `休`/`班`); blank lines, `#` comments and a
`date,kind` header are ignored. The years covered are the years of the dates listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from station_app.domain.safe_input import load_json
from station_app.errors import ValidationError

FIRST_YEAR, LAST_YEAR = 2000, 2100  # a schedule of year 1 or 9999 is a typo
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

KINDS = {"holiday": False, "workday": True, "休": False, "班": True}


@dataclass(frozen=True)
class Schedule:
    """Holidays (False) and adjusted working days (True) for the years covered."""

    days: dict[date, bool]
    years: frozenset[int]
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        """The schedule in the calendar JSON format: `{"source", "years", "days": {iso date: "holiday"|"workday"}}`."""
        return {
            "source": self.source,
            "years": sorted(self.years),
            "days": {d.isoformat(): "workday" if self.days[d] else "holiday" for d in sorted(self.days)},
        }


def parse_schedule(text: str) -> dict[date, bool]:
    """The days of a schedule (JSON or CSV); `ValidationError` names each bad line or key."""
    return read_schedule(text).days


def read_schedule(text: str) -> Schedule:
    """Parse a schedule in the JSON or the CSV format (told apart by a leading `{`)."""
    if text.lstrip().startswith("{"):
        return _read_json(text)
    return _read_csv(text)


def _read_json(text: str) -> Schedule:
    data = load_json(text.encode("utf-8", "surrogatepass"), "schedule")  # depth, NaN, controls
    errors: dict[str, str] = {}
    raw_days = data.get("days") if isinstance(data, dict) else None
    if not isinstance(raw_days, dict):
        raise ValidationError({"days": "缺少 days 对象"}, "日历格式有误")
    days: dict[date, bool] = {}
    for key, kind in raw_days.items():
        _add(days, errors, f"days[{key}]" if _DAY_RE.fullmatch(key) else "days", str(key), kind)
    raw_years = data.get("years")
    if raw_years is None:
        years = frozenset(d.year for d in days)
    elif isinstance(raw_years, list) and all(type(y) is int and FIRST_YEAR <= y <= LAST_YEAR for y in raw_years):
        years = frozenset(raw_years)
        for d in days:
            if d.year not in years:
                errors[f"days[{d.isoformat()}]"] = f"{d.year}年不在 years 中"
    else:
        errors["years"] = f"应为{FIRST_YEAR}-{LAST_YEAR}之间的年份(整数)列表"
        years = frozenset()
    if errors:
        raise ValidationError(errors, "日历格式有误")
    return Schedule(days, years, str(data.get("source", "")))


def _read_csv(text: str) -> Schedule:
    errors: dict[str, str] = {}
    days: dict[date, bool] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line or line.replace(" ", "").lower() == "date,kind":
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 2:
            errors[f"line[{number}]"] = f"第{number}行: 应为「日期,holiday|workday」"
            continue
        _add(days, errors, f"line[{number}]", parts[0], parts[1], f"第{number}行: ")
    if not days and not errors:
        errors["schedule"] = "没有任何日期"
    if errors:
        raise ValidationError(errors, "日历格式有误")
    return Schedule(days, frozenset(d.year for d in days))


def _add(
    days: dict[date, bool],
    errors: dict[str, str],
    field: str,
    text: str,
    kind: object,
    prefix: str = "",
) -> None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[field] = f"{prefix}日期应为有效的 YYYY-MM-DD"
        return
    if len(text) != 10 or not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[field] = f"{prefix}日期应为 {FIRST_YEAR}-{LAST_YEAR} 年间的 YYYY-MM-DD"
    elif not isinstance(kind, str) or kind not in KINDS:
        errors[field] = f"{prefix}类型应为 holiday 或 workday"
    elif day in days:
        errors[field] = f"{prefix}日期重复: {text}"
    else:
        days[day] = KINDS[kind]
