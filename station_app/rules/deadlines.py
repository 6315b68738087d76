"""Deadlines in Chinese working days, and whether one is due soon or overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from station_app.rules.calendar import WorkCalendar

DeadlineState = Literal["ok", "warn", "overdue"]


@dataclass(frozen=True)
class DeadlineSettings:
    """Time limits in working days (DESIGN.md, "Deadlines"); all are settings."""

    routing_days: int = 1
    opinion_days: int = 5
    opinion_extension_max: int = 10
    major_days: int = 15
    major_extension_max: int = 15
    reply_days: int = 1
    archive_days: int = 5
    warn_ratio: float = 0.8


@dataclass(frozen=True)
class Deadline:
    start: date
    due: date
    estimated: bool  # some day counted fell in a year without holiday data (Mon-Fri used)
    working_days: int


def due(calendar: WorkCalendar, start: date, days: int) -> Deadline:
    """The deadline `days` working days from `start` (the start day itself is not counted)."""
    day, estimated = calendar.add_working_days(start, days)
    return Deadline(start, day, estimated, days)


def deadline_state(
    calendar: WorkCalendar,
    start: date,
    due: date,
    today: date,
    settings: DeadlineSettings | None = None,
) -> DeadlineState:
    """Overdue after the due day; warn once `warn_ratio` of the working days has elapsed."""
    if today > due:
        return "overdue"
    ratio = Decimal(str((settings or DeadlineSettings()).warn_ratio))
    total = calendar.working_days_between(start, due)
    elapsed = calendar.working_days_between(start, today)
    return "warn" if today >= due or elapsed >= ratio * total else "ok"
