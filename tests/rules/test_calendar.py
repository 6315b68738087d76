"""The working-day calendar: seed data, holidays and 调休, uncovered years, imports."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from station_app.errors import ValidationError
from station_app.resources import resource_path
from station_app.rules.calendar import (
    CalendarFileError,
    WorkCalendar,
    load_calendar,
    load_default_calendar,
    parse_schedule,
)
from station_app.rules.calendar_seed import CORRECTIONS, seed_from_chinesecalendar, supported_years
from station_app.rules.schedule import read_schedule

SEED = resource_path("calendar", "cn_2004_2026.json")


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_default_calendar()


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(n) for n in range((last - first).days + 1)]


def test_seed_covers_every_year_of_the_package_and_is_up_to_date() -> None:
    assert supported_years() == list(range(2004, 2027))
    assert json.loads(SEED.read_text("utf-8")) == seed_from_chinesecalendar(range(2004, 2027))


def test_seed_agrees_with_the_package_on_every_day_but_the_notices_corrections(cal: WorkCalendar) -> None:
    for day in days(date(2004, 1, 1), date(2026, 12, 31)):
        expected = CORRECTIONS[day][0] if day in CORRECTIONS else chinese_calendar.is_workday(day)
        assert cal.is_working_day(day) == expected, day


def test_national_day_2025(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2025, 9, 26), 5) == (date(2025, 10, 10), False)
    assert cal.is_working_day(date(2025, 9, 28))  # Sunday, adjusted working day
    assert cal.is_working_day(date(2025, 10, 11))  # Saturday, adjusted working day
    assert not any(cal.is_working_day(d) for d in days(date(2025, 10, 1), date(2025, 10, 8)))
    assert cal.working_days_between(date(2025, 9, 26), date(2025, 10, 10)) == 5


def test_spring_festival_2026(cal: WorkCalendar) -> None:
    holidays = days(date(2026, 2, 15), date(2026, 2, 23))
    for adjusted in (date(2026, 2, 14), date(2026, 2, 28)):
        assert adjusted.weekday() == 5 and chinese_calendar.is_workday(adjusted)
        assert cal.is_working_day(adjusted)
    assert all(chinese_calendar.is_holiday(d) for d in holidays)
    assert not any(cal.is_working_day(d) for d in holidays)
    # Fri 13th: Sat 14th (adjusted) is day 1, then the holiday, then Tue 24th ...
    assert cal.add_working_days(date(2026, 2, 13), 3) == (date(2026, 2, 25), False)


def test_uncovered_year_counts_monday_to_friday_less_festivals_and_is_estimated(cal: WorkCalendar) -> None:
    """DESIGN.md "Deadlines": a year with no data falls back to Mon-Fri less the festival days
    《全国年节及纪念日放假办法》 fixes, marked estimated."""
    assert not cal.covers(2031)
    assert not cal.is_working_day(date(2031, 10, 1))  # a Wednesday, but 国庆节
    assert cal.is_working_day(date(2031, 10, 6))  # no guessed 调休: Monday after is working
    assert cal.add_working_days(date(2031, 9, 26), 5) == (date(2031, 10, 8), True)
    # counting from a covered year into an uncovered one is estimated too
    assert cal.add_working_days(date(2026, 12, 30), 3) == (date(2027, 1, 5), True)
    assert cal.add_working_days(date(2026, 12, 28), 3) == (date(2026, 12, 31), False)


def test_add_zero_and_negative(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2025, 10, 1), 0) == (date(2025, 10, 1), False)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2025, 10, 1), -1)
    assert cal.working_days_between(date(2025, 10, 10), date(2025, 9, 26)) == 0


CSV_2027 = """# 2027 (example)
date,kind
2027-10-01,holiday
2027-10-04,holiday
2027-09-26,workday
"""


def test_parse_csv_and_json() -> None:
    parsed = parse_schedule(CSV_2027)
    assert parsed == {date(2027, 10, 1): False, date(2027, 10, 4): False, date(2027, 9, 26): True}
    text = json.dumps({"source": "test", "years": [2027], "days": {"2027-10-01": "holiday", "2027-09-26": "workday"}})
    assert parse_schedule(text) == {date(2027, 10, 1): False, date(2027, 9, 26): True}
    assert parse_schedule("2027-10-01,休\n2027-09-26,班") == {date(2027, 10, 1): False, date(2027, 9, 26): True}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("2027-10-01,holiday\n2027-10-02", "line[2]"),
        ("2027-10-01,holiday\n2027-13-01,holiday", "line[2]"),
        ("2027-10-01,vacation", "line[1]"),
        ("2027-10-01,holiday\n2027-10-01,workday", "line[2]"),
        ("20271001,holiday", "line[1]"),
        ("# nothing\n", "schedule"),
        ("{not json", "schedule"),
        ('{"years": [2027]}', "days"),
        ('{"years": [2027], "days": {"2026-10-01": "holiday"}}', "days[2026-10-01]"),
        ('{"years": "2027", "days": {}}', "years"),
        ('{"days": {"2027-10-01": ["holiday"]}}', "days[2027-10-01]"),
    ],
)
def test_bad_schedules_are_refused_naming_the_line(text: str, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_schedule(text)
    assert field in info.value.fields


def test_import_replaces_the_years_it_covers(tmp_path: Path) -> None:
    (tmp_path / "2026-fix.csv").write_text("2026-10-09,holiday\n", encoding="utf-8")
    (tmp_path / "2027.csv").write_text(CSV_2027, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    cal = load_default_calendar(tmp_path)
    assert cal.covers(2027) and cal.covers(2004)
    assert cal.add_working_days(date(2027, 9, 30), 1) == (date(2027, 10, 5), False)
    assert not cal.is_working_day(date(2026, 10, 9))
    assert not cal.is_working_day(date(2026, 10, 10))  # the seed's 2026 data was replaced
    assert cal.is_working_day(date(2026, 10, 5))


def test_round_trip_and_bad_file(tmp_path: Path) -> None:
    schedule = read_schedule(CSV_2027)
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(schedule.to_json()), encoding="utf-8")
    assert read_schedule(path.read_text("utf-8")) == schedule
    assert load_calendar([path]).years == {2027}
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-10-01;holiday\n", encoding="utf-8")
    with pytest.raises(CalendarFileError, match="line"):
        load_calendar([path, bad])
    with pytest.raises(CalendarFileError, match="无法读取"):
        load_calendar([tmp_path / "missing.json"])
