"""The statistics DTOs: counts by category, town, department, track and status, each
department's work for 五(四), and the incidents. Definitions of the figures are in
`station_app.services.stats_service`, which computes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from station_app.domain.enums import IncidentKind


@dataclass(frozen=True)
class CountRow:
    code: str
    label: str
    count: int


@dataclass(frozen=True)
class DeptWorkRow:
    """One department's figures for 五(四): what it handled, and what went wrong."""

    code: str
    label: str
    cases: int = 0
    returns: int = 0
    extensions: int = 0
    clue_transfers: int = 0
    work_errors: int = 0
    public_opinion: int = 0
    serious: int = 0

    @property
    def incidents(self) -> int:
        return self.work_errors + self.public_opinion + self.serious

    FIGURES = ("cases", "returns", "extensions", "clue_transfers", "work_errors", "public_opinion", "serious")

    def cells(self) -> list[str]:
        """The department's name and its figures as text, in `FIGURES` order (the monthly
        report's section 七 and the stats screen's table share it)."""
        return [self.label, *(str(getattr(self, f)) for f in self.FIGURES)]

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "cases": self.cases,
            "returns": self.returns,
            "extensions": self.extensions,
            "clue_transfers": self.clue_transfers,
            "incidents": {
                IncidentKind.WORK_ERROR.value: self.work_errors,
                IncidentKind.PUBLIC_OPINION.value: self.public_opinion,
                IncidentKind.SERIOUS_CONSEQUENCE.value: self.serious,
            },
            "incidents_total": self.incidents,
        }


@dataclass(frozen=True)
class IncidentRow:
    """One recorded incident (no text: it may name people)."""

    at: str
    case_no: str
    dept: str
    kind: IncidentKind

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "case_no": self.case_no, "dept": self.dept, "kind": self.kind.value}


@dataclass(frozen=True)
class Stats:
    date_from: date
    date_to: date
    total: int
    accepted: int
    resolved: int
    concluded: int
    on_time: int
    overdue_open: int
    by_category: tuple[CountRow, ...]
    by_town: tuple[CountRow, ...]
    by_department: tuple[CountRow, ...]
    by_track: tuple[CountRow, ...]
    by_status: tuple[CountRow, ...]
    by_department_work: tuple[DeptWorkRow, ...] = ()
    incidents: tuple[IncidentRow, ...] = ()

    @property
    def incident_count(self) -> int:
        return len(self.incidents)

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.accepted if self.accepted else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.concluded if self.concluded else None

    def work_totals(self) -> list[str]:
        """ "合计" and the sums of `by_department_work`'s figures, as text (report section 七)."""
        return ["合计", *(str(sum(getattr(r, f) for r in self.by_department_work)) for f in DeptWorkRow.FIGURES)]

    def to_json(self) -> dict[str, Any]:
        def rows(items: tuple[CountRow, ...]) -> list[dict[str, Any]]:
            return [{"code": r.code, "label": r.label, "count": r.count} for r in items]

        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "total": self.total,
            "accepted": self.accepted,
            "resolved": self.resolved,
            "concluded": self.concluded,
            "on_time": self.on_time,
            "overdue_open": self.overdue_open,
            "resolution_rate": self.resolution_rate,
            "on_time_rate": self.on_time_rate,
            "by_category": rows(self.by_category),
            "by_town": rows(self.by_town),
            "by_department": rows(self.by_department),
            "by_track": rows(self.by_track),
            "by_status": rows(self.by_status),
            "by_department_work": [r.to_json() for r in self.by_department_work],
            "incidents": [r.to_json() for r in self.incidents],
        }
