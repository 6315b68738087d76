"""Intakes built directly (no validator), for the rules tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from station_app.domain.enums import Category, Channel, Flag, InsuranceType
from station_app.domain.intake import Intake, Month, Party, Period

CST = timezone(timedelta(hours=8))


def period(start: str, end: str) -> Period:
    """A period from "YYYY-MM" texts."""
    y1, m1 = map(int, start.split("-"))
    y2, m2 = map(int, end.split("-"))
    return Period(Month(y1, m1), Month(y2, m2))


def make_intake(
    category: int,
    types: Iterable[str] = ("pension",),
    periods: Iterable[tuple[str, str]] = (("2024-06", "2024-12"),),
    flags: Iterable[str] = (),
    group_size: int = 1,
    amount: str | None = None,
) -> Intake:
    return Intake(
        received_at=datetime(2025, 11, 20, 9, 30, tzinfo=CST),
        channel=Channel.VISIT,
        town_code="232701100",
        applicant=Party(kind="person", name="张三"),
        category=Category(category),
        insurance_types=tuple(InsuranceType(t) for t in types),
        periods=tuple(period(a, b) for a, b in periods),
        amount_claimed=Decimal(amount) if amount is not None else None,
        group_size=group_size,
        flags=frozenset(Flag(f) for f in flags),
    )
