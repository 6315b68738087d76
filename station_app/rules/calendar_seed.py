"""Build the bundled holiday table from the `chinesecalendar` package.

Run `python -m station_app.rules.calendar_seed` after upgrading chinesecalendar; it writes
`resources/calendar/cn_<first>_<last>.json` (committed, so the app needs no chinesecalendar at
run time). Only days that differ from Monday-Friday or that belong to a named holiday are listed.

The package files each year's days under that year's notice, so a make-up working day that a
notice puts in the *previous* December can be missing. `CORRECTIONS` restores those from the
State Council notices (checked for every year the seed covers: each 元旦 arrangement that
moves a weekend across the year end); the tests pin them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import chinese_calendar

from station_app.resources import resource_path
from station_app.rules.schedule import Schedule

# day -> (working?, the notice that says so)
CORRECTIONS: dict[date, tuple[bool, str]] = {
    date(2005, 12, 31): (True, "国办发明电〔2005〕35号:元旦……12月31日(星期六)上班"),
}


def supported_years() -> list[int]:
    """The years chinesecalendar has data for."""
    years = []
    for year in range(1990, 2101):
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            continue
        years.append(year)
    return years


def seed_from_chinesecalendar(years: Iterable[int]) -> dict[str, Any]:
    """The calendar JSON (holidays and adjusted working days) for `years`."""
    years = sorted(set(years))
    days: dict[date, bool] = {}
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            working = bool(chinese_calendar.is_workday(day))
            _, name = chinese_calendar.get_holiday_detail(day)
            if working != (day.weekday() < 5) or (name is not None and not working):
                days[day] = working
            day += timedelta(days=1)
    for day, (working, _notice) in CORRECTIONS.items():
        if day.year in years:
            days[day] = working
    days = dict(sorted(days.items()))
    version = getattr(chinese_calendar, "__version__", "")
    source = f"chinesecalendar {version}".strip() + " (国务院办公厅节假日安排)"
    return Schedule(days, frozenset(years), source).to_json()


def main() -> None:
    """Write the bundled holiday table for the supported years and print its path."""
    years = supported_years()
    path = resource_path("calendar", f"cn_{years[0]}_{years[-1]}.json")
    path.write_text(_format(seed_from_chinesecalendar(years)), encoding="utf-8")
    sys.stdout.write(f"{path}\n")


def _format(data: dict[str, Any]) -> str:
    """JSON with one day a line (readable diffs when a year is added)."""
    head = [f'"{key}": {json.dumps(data[key], ensure_ascii=False)},' for key in ("source", "years")]
    days = [f'  "{day}": "{kind}"' for day, kind in data["days"].items()]
    return "{\n" + "\n".join(head) + '\n"days": {\n' + ",\n".join(days) + "\n}}\n"


if __name__ == "__main__":
    main()
