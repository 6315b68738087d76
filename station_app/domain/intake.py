"""The intake: everything the desk form and `case add` take in, once validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from station_app.domain.enums import Category, Channel, Flag, InsuranceType


@dataclass(frozen=True)
class Month:
    """A calendar month (a disputed period is a range of months)."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)


@dataclass(frozen=True)
class Period:
    """An inclusive range of months."""

    start: Month
    end: Month

    def to_json(self) -> dict[str, str]:
        return {"from": str(self.start), "to": str(self.end)}


@dataclass(frozen=True)
class Party:
    """An applicant or respondent: a person or an employer."""

    kind: str  # "person" | "employer"
    name: str
    id_number: str | None = None
    phone: str | None = None
    uscc: str | None = None
    contact: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"kind": self.kind, "name": self.name}
        for key in ("id_number", "phone", "uscc", "contact"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out


@dataclass(frozen=True)
class Intake:
    """A validated intake (see `station_app.domain.validation.parse_intake`)."""

    received_at: datetime
    channel: Channel
    town_code: str
    applicant: Party
    category: Category
    insurance_types: tuple[InsuranceType, ...] = ()
    periods: tuple[Period, ...] = ()
    respondent: Party | None = None
    amount_claimed: Decimal | None = None
    group_size: int = 1
    summary: str = ""
    claim: str = ""
    flags: frozenset[Flag] = field(default_factory=frozenset)

    def has(self, flag: Flag) -> bool:
        return flag in self.flags

    def to_json(self) -> dict[str, object]:
        """The canonical JSON form (what events carry and bundles ship)."""
        return {
            "received_at": self.received_at.isoformat(),
            "channel": self.channel.value,
            "town_code": self.town_code,
            "applicant": self.applicant.to_json(),
            "respondent": self.respondent.to_json() if self.respondent else None,
            "category": int(self.category),
            "insurance_types": [t.value for t in self.insurance_types],
            "periods": [p.to_json() for p in self.periods],
            "amount_claimed": str(self.amount_claimed) if self.amount_claimed is not None else None,
            "group_size": self.group_size,
            "summary": self.summary,
            "claim": self.claim,
            "flags": {f.value: (f in self.flags) for f in Flag},
        }
