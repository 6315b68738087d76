"""Reading an action's data (texts, departments, dates) and the deadlines the actions start.

Shared by the lifecycle builders; every refusal is a `ValidationError` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import Connection

from station_app.domain.enums import Department, Status, Track
from station_app.domain.ids import CaseNo, CaseUuid
from station_app.domain.safe_input import line_problem, text_problem
from station_app.domain.stage import StageKey
from station_app.domain.validation import EARLIEST_RECEIVED, MAX_YEAR
from station_app.errors import ValidationError
from station_app.services.session import Session
from station_app.store.read_model.cases import CaseDepartment, case_departments
from station_app.store.read_model.cases import has_note as read_model_has_note


def text_field(
    data: dict[str, Any], key: str, label: str, required: bool = True, limit: int = 10000, *, one_line: bool = False
) -> str:
    """The stripped text at `key` ("" when optional and absent).

    Refused when missing, not a string, longer than `limit`, or carrying control characters, lone
    surrogates or bidi controls (`safe_input.text_problem`); a `one_line` text (a name, a document
    number) also when it holds a line break or a tab.
    """
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({key: f"请填写{label}"})
        return ""
    if not isinstance(value, str):
        raise ValidationError({key: f"{label}应为文字"})
    if problem := text_problem(value) or (line_problem(value.strip()) if one_line else None):
        raise ValidationError({key: f"{label}{problem}"})
    if len(value) > limit:
        raise ValidationError({key: f"{label}不能超过{limit}字"})
    return value.strip()


def dept_field(data: dict[str, Any], key: str, allowed: set[str] | None = None) -> str:
    """A department code at `key`, optionally one of `allowed` (the case's departments)."""
    value = data.get(key)
    try:
        dept = Department(str(value))
    except ValueError:
        raise ValidationError({key: "部门代码无效"}) from None
    if allowed is not None and dept.value not in allowed:
        raise ValidationError({key: "该部门不是本案承办部门"})
    return dept.value


def dept_list(data: dict[str, Any], key: str) -> list[str]:
    """A list of department codes at `key` (sorted, no repeats; [] when absent)."""
    raw = data.get(key) or []
    if not isinstance(raw, list):
        raise ValidationError({key: "部门应为列表"})
    return sorted({dept_field({key: c}, key) for c in raw})


def date_field(
    session: Session, data: dict[str, Any], key: str, label: str, required: bool = True, earliest: date | None = None
) -> date:
    """A YYYY-MM-DD date at `key`, today when optional and absent.

    Never after today, not before `earliest` (the day the case was received, for instance) and
    never before `validation.EARLIEST_RECEIVED` (year 1 or 9999 is a typo, not a date).
    """
    raw = data.get(key)
    if raw in (None, ""):
        if required:
            raise ValidationError({key: f"请填写{label}"})
        return session.today()
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({key: f"{label}格式应为YYYY-MM-DD"}) from None
    if not EARLIEST_RECEIVED.year <= day.year <= MAX_YEAR:
        raise ValidationError({key: f"{label}应在{EARLIEST_RECEIVED.year}-{MAX_YEAR}年之间"})
    if day > session.today():
        raise ValidationError({key: f"{label}不能晚于今天"})
    if earliest is not None and day < earliest:
        raise ValidationError({key: f"{label}不能早于{earliest.isoformat()}"})
    return day


@dataclass(frozen=True)
class ActionCase:
    """A case as a lifecycle action reads it, from its projected row (`load_row`).

    Attributes:
        uuid: The case's UUID.
        case_no: Its number (`232701100001-2025-000001`).
        status: Where it stands in the lifecycle.
        track: How it is handled (routing's outcome).
        stage: The stage whose deadline runs.
        handler: The first receiver's account (首问责任制 四(一)).
        lead: The lead department's code, or None (a matter not accepted).
        co: The co-handling departments' codes.
        reasons: Routing's reasons, in order, with every adjustment appended.
        intake: The stored intake (its JSON object, as registered).
        received_at: When it was received (ISO date-time, Beijing time).
        due_date: The running stage's due date (`YYYY-MM-DD`), or None.
        due_estimated: Whether that date was counted past the imported holiday table.
        approved: Whether the leading group approved handling it as a major matter.
    """

    uuid: CaseUuid
    case_no: CaseNo
    status: Status
    track: Track
    stage: StageKey
    handler: str
    lead: str | None
    co: list[str]
    reasons: list[str]
    intake: dict[str, Any]
    received_at: str
    due_date: str | None
    due_estimated: bool
    approved: bool

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> ActionCase:
        """The case of a row as `query_service.load_row` returns it."""
        return cls(
            uuid=CaseUuid(str(row["uuid"])),
            case_no=CaseNo(str(row["case_no"])),
            status=Status(row["status"]),
            track=Track(row["track"]),
            stage=StageKey(row["stage"]),
            handler=str(row["handler"]),
            lead=row["lead"],
            co=list(row["co_list"]),
            reasons=list(row["reasons_list"]),
            intake=dict(row["intake_json"]),
            received_at=str(row["received_at"]),
            due_date=row["due_date"],
            due_estimated=bool(row["due_estimated"]),
            approved=bool(row["approved"]),
        )


def received_on(case: ActionCase) -> date:
    """The day the case was received (the earliest date any of its acts can carry)."""
    return date.fromisoformat(case.received_at[:10])


def deadline(session: Session, start: date, days: int) -> dict[str, Any]:
    """`set` fields of a stage that starts on `start` and lasts `days` working days."""
    due, estimated = session.calendar().add_working_days(start, days)
    return {"stage_start": start.isoformat(), "due_date": due.isoformat(), "due_estimated": estimated}


def departments(conn: Connection, case_uuid: str) -> dict[str, CaseDepartment]:
    """The case's departments by code: role, signature, opinion, own deadline and extension."""
    return case_departments(conn, case_uuid)


def has_note(conn: Connection, case_uuid: str, kind: str) -> bool:
    """Whether the case has an event of this type (`minutes_recorded`...) on record."""
    return read_model_has_note(conn, case_uuid, kind)


@dataclass(frozen=True)
class DeptDue:
    """One department's opinion deadline as an action sets it (an entry of `dept_due`).

    Attributes:
        due_date: The last day for its written opinion (`YYYY-MM-DD`).
        due_estimated: Whether the count ran past the imported holiday table.
        extended: Whether this deadline is an extension (once per department).
    """

    due_date: str
    due_estimated: bool
    extended: bool = False

    def to_json(self) -> dict[str, Any]:
        """The entry as the event payload carries it."""
        return {"due_date": self.due_date, "due_estimated": self.due_estimated, "extended": self.extended}


class _Due(Protocol):
    """Anything with a deadline: a `DeptDue` or a `CaseDepartment`."""

    @property
    def due_date(self) -> str | None: ...

    @property
    def due_estimated(self) -> bool: ...


def dues_json(dues: Mapping[str, DeptDue]) -> dict[str, dict[str, Any]]:
    """`dept_due` as the event payload carries it: department code -> its deadline's fields."""
    return {dept: due.to_json() for dept, due in dues.items()}


def opinion_dues(session: Session, depts: list[str], start: date, cap: date | None = None) -> dict[str, DeptDue]:
    """The opinion deadlines of departments whose opinion stage starts on `start`.

    Each gets the opinion time limit (the `opinion_days` setting, working days; 四(二)1(3)
    and 2(3): each department answers within its own limit), never later than `cap` (a major
    case's 15-day term, 四(二)2).
    """
    due, estimated = session.calendar().add_working_days(start, session.deadline_settings().opinion_days)
    if cap is not None and due > cap:
        due = cap
    return {d: DeptDue(due.isoformat(), estimated) for d in depts}


def latest_due(dues: Mapping[str, _Due]) -> dict[str, Any]:
    """`set` fields for the case's own deadline while departments give opinions.

    Returns:
        The latest of the departments' deadlines as `due_date`, estimated when any of them is;
        {} when no department has one.
    """
    if not dues:
        return {}
    last = max(dues.values(), key=lambda d: str(d.due_date))
    return {"due_date": last.due_date, "due_estimated": any(d.due_estimated for d in dues.values())}
