"""The routing decision: which track, which department leads, who co-handles, and why."""

from __future__ import annotations

from dataclasses import dataclass

from station_app.domain.enums import Department, Track


@dataclass(frozen=True)
class RoutingDecision:
    track: Track
    lead: Department | None
    co: tuple[Department, ...]  # sorted by code
    reasons: tuple[str, ...]  # human-readable, Chinese

    @property
    def departments(self) -> tuple[Department, ...]:
        return ((self.lead,) if self.lead else ()) + self.co

    def to_json(self) -> dict[str, object]:
        return {
            "track": self.track.value,
            "lead": self.lead.value if self.lead else None,
            "co": [d.value for d in self.co],
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> RoutingDecision:
        lead = data.get("lead")
        co = data.get("co") or []
        reasons = data.get("reasons") or []
        assert isinstance(co, list) and isinstance(reasons, list)
        return cls(
            track=Track(str(data["track"])),
            lead=Department(str(lead)) if lead else None,
            co=tuple(Department(str(c)) for c in co),
            reasons=tuple(str(r) for r in reasons),
        )
