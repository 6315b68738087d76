"""The Chinese working-day calendar: statutory holidays and adjusted working days (调休).

A day is a working day when the schedule says so; otherwise when it is Monday to Friday. Years
no schedule covers fall back to Monday-Friday less the festival days 《全国年节及纪念日放假办法》
fixes (`rules.festivals`), and results that relied on that are *estimated*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from station_app.errors import StationError, ValidationError
from station_app.resources import resource_path
from station_app.rules.festivals import festival_days
from station_app.rules.schedule import Schedule, parse_schedule, read_schedule

__all__ = [
    "CalendarFileError",
    "WorkCalendar",
    "load_calendar",
    "load_default_calendar",
    "parse_schedule",
]

ONE_DAY = timedelta(days=1)


class CalendarFileError(StationError):
    """A calendar file could not be read or is malformed."""


class WorkCalendar:
    """Working days from a table of exceptions to Monday-Friday, for the years it covers.

    Built from `days` (a day -> True for an adjusted working day 调休, False for a holiday) and
    `years`, the years whose schedule the table holds in full.
    """

    def __init__(self, days: Mapping[date, bool], years: Iterable[int]) -> None:
        self._days = dict(days)
        self.years = frozenset(years)

    def covers(self, year: int) -> bool:
        """Whether a holiday schedule covers `year` (otherwise its days are estimated, Mon-Fri less festivals)."""
        return year in self.years

    def is_working_day(self, day: date) -> bool:
        """The schedule's answer for a covered year; else Monday-Friday less the festivals."""
        if day.year in self.years:
            return self._days.get(day, day.weekday() < 5)
        return day.weekday() < 5 and day not in festival_days(day.year)

    def add_working_days(self, start: date, n: int) -> tuple[date, bool]:
        """The n-th working day after `start` (not counted) and whether it is estimated."""
        if n < 0:
            raise ValueError("n must not be negative")
        day, estimated = start, False
        while n > 0:
            day += ONE_DAY
            estimated = estimated or day.year not in self.years
            n -= self.is_working_day(day)
        return day, estimated

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count

    def merged(self, schedule: Schedule) -> WorkCalendar:
        """This calendar with `schedule` replacing whatever it had for the years it covers."""
        kept = {d: w for d, w in self._days.items() if d.year not in schedule.years}
        return WorkCalendar(kept | schedule.days, self.years | schedule.years)


def load_calendar(paths: Iterable[Path]) -> WorkCalendar:
    """Merge schedule files (JSON or CSV) in order; a later file replaces earlier years."""
    calendar = WorkCalendar({}, ())
    for path in paths:
        try:
            schedule = read_schedule(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CalendarFileError(f"无法读取日历文件 {path}: {exc.strerror}") from exc
        except ValidationError as exc:
            first = next(iter(exc.fields.items()), ("", ""))
            raise CalendarFileError(f"日历文件 {path} 格式有误: {first[0]} {first[1]}") from exc
        calendar = calendar.merged(schedule)
    return calendar


@cache
def load_default_calendar(imported_dir: Path | None = None) -> WorkCalendar:
    """The bundled seed (`resources/calendar/*.json`) merged with `imported_dir`'s files.

    Imported files (`*.json`, `*.csv`, in name order) come last, so a year an admin imports
    replaces the seed's data for that year. Cached: call `load_default_calendar.cache_clear()`
    after an import.
    """
    files = sorted(resource_path("calendar").glob("*.json"))
    if imported_dir is not None and imported_dir.is_dir():
        files += sorted(p for p in imported_dir.iterdir() if p.suffix in (".json", ".csv"))
    return load_calendar(files)
