"""Time, injectable (tests and the lockout use a fixed clock)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol

CHINA_TZ = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    """Anything that tells the time: the system clock in the app, a `FixedClock` in tests."""

    def now(self) -> datetime:
        """The current time, timezone-aware (Beijing time for the clocks here)."""
        ...


class SystemClock:
    """The computer's clock, read in Beijing time (UTC+8) whatever the PC's own zone."""

    def now(self) -> datetime:
        """The current time in Beijing time (`CHINA_TZ`)."""
        return datetime.now(CHINA_TZ)


class FixedClock:
    """A clock that only moves when told (for tests and the benchmark).

    Built from `at`, the time it shows; a naive `at` is taken as Beijing time.
    """

    def __init__(self, at: datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)

    def now(self) -> datetime:
        """The time set last, unchanged until `advance` or `set`."""
        return self._at

    def advance(self, **kwargs: float) -> None:
        """Move the clock forward by `timedelta` keyword arguments (`days=1`, `minutes=30`)."""
        self._at += timedelta(**kwargs)

    def set(self, at: datetime) -> None:
        """Show `at` from now on; a naive `at` is taken as Beijing time."""
        self._at = at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)
