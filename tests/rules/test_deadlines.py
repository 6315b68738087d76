"""Deadlines in working days and the ok / warn / overdue state."""

from __future__ import annotations

from datetime import date

import pytest

from station_app.rules.calendar import load_default_calendar
from station_app.rules.deadlines import Deadline, DeadlineSettings, deadline_state, due

CAL = load_default_calendar()


def test_settings_defaults() -> None:
    s = DeadlineSettings()
    assert (s.routing_days, s.opinion_days, s.opinion_extension_max) == (1, 5, 10)
    assert (s.major_days, s.major_extension_max, s.reply_days, s.archive_days) == (15, 15, 1, 5)
    assert s.warn_ratio == 0.8


def test_due_over_national_day() -> None:
    assert due(CAL, date(2025, 9, 26), 5) == Deadline(date(2025, 9, 26), date(2025, 10, 10), False, 5)
    # one working day from Friday 26th is the adjusted working Sunday 28th
    assert due(CAL, date(2025, 9, 26), 1).due == date(2025, 9, 28)
    assert due(CAL, date(2031, 3, 3), 15).estimated


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2025, 9, 26), "ok"),
        (date(2025, 9, 30), "ok"),  # 3 of 5 working days elapsed
        (date(2025, 10, 8), "ok"),  # still 3: Oct 1-8 are holidays
        (date(2025, 10, 9), "warn"),  # 4 of 5 = 80 %
        (date(2025, 10, 10), "warn"),
        (date(2025, 10, 11), "overdue"),
    ],
)
def test_deadline_state(today: date, state: str) -> None:
    assert deadline_state(CAL, date(2025, 9, 26), date(2025, 10, 10), today) == state


def test_warn_ratio_is_a_setting() -> None:
    early = DeadlineSettings(warn_ratio=0.5)
    start, end = date(2025, 9, 26), date(2025, 10, 10)
    assert deadline_state(CAL, start, end, date(2025, 9, 29), early) == "ok"  # 2 of 5
    assert deadline_state(CAL, start, end, date(2025, 9, 30), early) == "warn"  # 3 of 5


def test_one_day_deadline_warns_on_its_day() -> None:
    d = due(CAL, date(2025, 11, 20), 1)
    assert deadline_state(CAL, d.start, d.due, d.start) == "ok"
    assert deadline_state(CAL, d.start, d.due, d.due) == "warn"
