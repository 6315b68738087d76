"""The intake: everything the desk form and `case add` take in, once validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from station_app.domain.enums import Category, Channel, Flag, InsuranceType, ProceedingKind


@dataclass(frozen=True)
class Month:
    """A calendar month (a disputed period is a range of months)."""

    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def index(self) -> int:
        """Months since year 0 (`year * 12 + month - 1`), for arithmetic on months."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        """The month at `index` months since year 0; the inverse of `index`."""
        return cls(index // 12, index % 12 + 1)


@dataclass(frozen=True)
class Period:
    """An inclusive range of months."""

    start: Month
    end: Month

    def to_json(self) -> dict[str, str]:
        """The period as `{"from": "2024-01", "to": "2024-06"}`, both months inclusive."""
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
    id_kind: str | None = None  # the document of `id_number` (id_numbers.IdKind)

    def to_json(self) -> dict[str, str]:
        """The party as a JSON object: `kind` and `name`, then only the identifiers that are set."""
        out = {"kind": self.kind, "name": self.name}
        for key in ("id_number", "id_kind", "phone", "uscc", "contact"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out


# A dismissed claim for 补缴 in these is no bar: 补缴 is not a civil dispute (三(二)6).
CIVIL_PROCEEDINGS = frozenset({ProceedingKind.ARBITRATION, ProceedingKind.LITIGATION})


@dataclass(frozen=True)
class Proceeding:
    """The arbitration, litigation or reconsideration the payer is in (or whose claim was dismissed)."""

    kind: ProceedingKind
    body: str = ""  # the arbitration commission, court or reconsideration authority
    case_no: str = ""  # that body's case number
    dismissed: bool = False  # the claim was dismissed (驳回/不予受理), not pending

    @property
    def bars_intake(self) -> bool:
        """Whether this proceeding keeps the matter out (不予受理).

        True while it is pending, and for a dismissed reconsideration (an administrative matter
        that goes on to litigation); a dismissed civil or arbitration claim no longer bars it.
        """
        return not (self.dismissed and self.kind in CIVIL_PROCEEDINGS)

    def to_json(self) -> dict[str, object]:
        """The proceeding as `{"kind", "body", "case_no", "dismissed"}`."""
        return {"kind": self.kind.value, "body": self.body, "case_no": self.case_no, "dismissed": self.dismissed}


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
    proceeding: Proceeding | None = None
    intake_uuid: str | None = None  # the client's name for this intake (a retry finds its case)

    def has(self, flag: Flag) -> bool:
        """Whether `flag` applies to this intake.

        `in_legal_proceedings` applies while a proceeding is pending: ticked or recorded, unless
        the recorded claim was a dismissed civil or arbitration one (`Proceeding.bars_intake`).
        """
        if flag is Flag.IN_LEGAL_PROCEEDINGS and self.proceeding is not None:
            return self.proceeding.bars_intake
        return flag in self.flags

    @property
    def dismissed_claim(self) -> Proceeding | None:
        """The recorded civil or arbitration claim that was dismissed (no bar, 三(二)6), if any."""
        p = self.proceeding
        return p if p is not None and not p.bars_intake else None

    def to_json(self) -> dict[str, object]:
        """The canonical JSON form (what events carry and bundles ship)."""
        out: dict[str, object] = {
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
            "proceeding": self.proceeding.to_json() if self.proceeding else None,
        }
        if self.intake_uuid:
            out["intake_uuid"] = self.intake_uuid
        return out
