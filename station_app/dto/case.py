"""The case DTOs: a list row, a case with its routing, departments and timeline, an intake's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from station_app.domain.enums import Category, Department, Status, Track
from station_app.domain.ids import CaseNo, CaseUuid
from station_app.domain.masking import mask_id, mask_identifiers, mask_phone
from station_app.domain.routing import RoutingDecision
from station_app.domain.stage import DeadlineState, StageKey


@dataclass(frozen=True)
class IntakeResult:
    """What registering an intake gave: the case's number and uuid, its routing and first deadline.

    Attributes:
        case_no: the case number printed on the receipt.
        uuid: the case's uuid.
        routing: the routing decision recorded with it.
        due_date: the running stage's due day (ISO date), None when no stage runs.
        due_estimated: True when a year counted had no holiday schedule (Mon-Fri assumed).
        warnings: kept, but worth a second look (四(一)): late disputed months.
    """

    case_no: CaseNo
    uuid: CaseUuid
    routing: RoutingDecision
    due_date: str | None
    due_estimated: bool
    warnings: tuple[str, ...] = ()  # kept, but worth a second look (四(一)): late disputed months

    def to_json(self) -> dict[str, Any]:
        """The result as `case add` prints it: `case_no`, `uuid`, `routing`, and `warnings` when there are any."""
        out: dict[str, Any] = {"case_no": self.case_no, "uuid": self.uuid, "routing": self.routing.to_json()}
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class CaseSummary:
    """One row of the case list (full identifiers: the screen masks them)."""

    id: int
    uuid: CaseUuid
    case_no: CaseNo
    received_at: str
    town_code: str
    applicant_kind: str
    applicant_name: str
    applicant_id: str | None
    applicant_phone: str | None
    employer: str | None
    category: Category
    track: Track
    lead: Department | None
    status: Status
    stage: StageKey
    stage_start: str | None
    due_date: str | None
    due_estimated: bool
    extended: bool
    handler: str
    deadline_state: DeadlineState
    due_for: str = ""  # what the due date is for and who owes it, e.g. "部门书面意见(承办部门)"
    station_code: str = ""  # the station whose case it is

    def to_json(self, reveal: bool = False) -> dict[str, Any]:
        """The row as the command line prints it.

        ID and phone are masked as on screen, and in full only with `reveal` (the caller has
        recorded the reveal: `reveal_service`).
        """
        return {
            "case_no": self.case_no,
            "uuid": self.uuid,
            "station_code": self.station_code,
            "received_at": self.received_at,
            "town_code": self.town_code,
            "applicant": self.applicant_name,
            "applicant_id": (self.applicant_id or "") if reveal else mask_id(self.applicant_id),
            "applicant_phone": (self.applicant_phone or "") if reveal else mask_phone(self.applicant_phone),
            "employer": self.employer,
            "category": int(self.category),
            "track": self.track.value,
            "lead": self.lead.value if self.lead else None,
            "status": self.status.value,
            "stage": self.stage.value,
            "due_date": self.due_date,
            "due_estimated": self.due_estimated,
            "deadline_state": self.deadline_state.value,
            "due_for": self.due_for,
            "handler": self.handler,
        }


@dataclass(frozen=True)
class DepartmentProgress:
    """One department on a case: signature, return, opinion, and its own opinion deadline.

    `due_date` is the opinion's due day (`extended` once by a head); `on_time` says whether the
    opinion came within it once it is in, else None; `overdue` holds while an opinion is missing
    after its due date (四(二)1(3): each department's written opinion within the time limit).
    """

    dept: Department
    role: str  # lead | co
    signed_at: str | None
    returned_at: str | None
    return_reason: str | None
    opinion: str | None
    opinion_at: str | None
    opinion_file: dict[str, Any] | None
    due_date: str | None = None
    due_estimated: bool = False
    extended: bool = False
    opinion_on: str | None = None
    on_time: bool | None = None
    overdue: bool = False


@dataclass(frozen=True)
class TimelineEntry:
    """One event on a case's timeline: its ledger place `seq`, time, author, event type, Chinese label, payload."""

    seq: int
    at: str
    author: str
    type: str
    label: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class CaseDetail:
    """A case as the detail screen, `case show --json` and the papers read it.

    The list row (`summary`), the intake as JSON, the routing, each department's progress, the
    notes (opinions, replies, minutes...), the timeline, the actions this user may take now
    (`allowed_actions`, with `blocked` saying why some offered ones cannot be taken yet) and the
    facts beside the status (approval, objection route, satisfaction, papers, clue transfer).
    """

    summary: CaseSummary
    intake: dict[str, Any]
    routing: RoutingDecision
    departments: tuple[DepartmentProgress, ...]
    notes: tuple[dict[str, Any], ...]
    timeline: tuple[TimelineEntry, ...]
    allowed_actions: tuple[str, ...]
    approved: bool = False
    objection_route: str | None = None
    satisfaction: str | None = None
    papers: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    clue_transferred: bool = False  # 线索移送纪委监委 (a flag beside the case, not a status)
    task_group: tuple[Department, ...] = ()  # named by the leading group's approval
    blocked: tuple[tuple[str, str], ...] = ()  # (offered action, why it cannot be taken yet)

    def why_not(self, action: str) -> str | None:
        """Why an offered action cannot be taken yet (the service would refuse it), or None."""
        return next((why for name, why in self.blocked if name == action), None)

    def note(self, kind: str) -> dict[str, Any] | None:
        """The latest note of a kind (e.g. `reply_issued`, `minutes_recorded`)."""
        for n in reversed(self.notes):
            if n["kind"] == kind:
                return dict(n)
        return None

    def to_json(self, reveal: bool = False) -> dict[str, Any]:
        """The case as `case show --json` prints it; identifiers masked unless `reveal`.

        See `CaseSummary.to_json` for the masking.
        """
        out = self.summary.to_json(reveal)
        out.update(
            {
                "intake": self.intake if reveal else mask_identifiers(self.intake),
                "routing": self.routing.to_json(),
                "departments": [
                    {
                        "dept": d.dept.value,
                        "role": d.role,
                        "signed_at": d.signed_at,
                        "returned_at": d.returned_at,
                        "opinion": d.opinion,
                        "opinion_at": d.opinion_at,
                        "due_date": d.due_date,
                        "due_estimated": d.due_estimated,
                        "extended": d.extended,
                        "opinion_on": d.opinion_on,
                        "on_time": d.on_time,
                        "overdue": d.overdue,
                    }
                    for d in self.departments
                ],
                "timeline": [
                    {"seq": t.seq, "at": t.at, "author": t.author, "type": t.type, "label": t.label}
                    for t in self.timeline
                ],
                "allowed_actions": list(self.allowed_actions),
                "blocked_actions": dict(self.blocked),
                "approved": self.approved,
                "objection_route": self.objection_route,
                "satisfaction": self.satisfaction,
                "clue_transferred": self.clue_transferred,
                "task_group": [d.value for d in self.task_group],
                "notes": [dict(n) for n in self.notes],
            }
        )
        return out
