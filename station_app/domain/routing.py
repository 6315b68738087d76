"""The routing decision: which track, which department leads, who co-handles, and why."""

from __future__ import annotations

from dataclasses import dataclass

from station_app.domain.enums import Department, Track


@dataclass(frozen=True)
class RoutingDecision:
    """The routing of one intake: which track, which department leads, who co-handles, and why.

    Attributes:
        track: the handling track.
        lead: the leading department; None for `not_accepted`.
        co: the co-handling departments, sorted by code.
        reasons: human-readable Chinese reasons, in the order the engine applied them.
    """

    track: Track
    lead: Department | None
    co: tuple[Department, ...]  # sorted by code
    reasons: tuple[str, ...]  # human-readable, Chinese

    @property
    def departments(self) -> tuple[Department, ...]:
        """Every department involved: the lead first (when there is one), then the co-handlers."""
        return ((self.lead,) if self.lead else ()) + self.co

    def to_json(self) -> dict[str, object]:
        """The decision as `{"track", "lead", "co", "reasons"}` with codes as text (lead may be null)."""
        return {
            "track": self.track.value,
            "lead": self.lead.value if self.lead else None,
            "co": [d.value for d in self.co],
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> RoutingDecision:
        """The decision stored by `to_json`.

        Raises:
            ValueError: an unknown track or department code.
            KeyError: no `track`.
        """
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
