"""Incidents for accountability (五(四) 严格责任追究).

"对责任履行不到位,出现工作失误、引发舆情、造成严重后果的,依法依规追责". An incident is the `incident`
lifecycle action: an `incident_recorded` event on a case, naming the kind, the department
responsible and what happened; statistics count them per department beside the other
per-department figures (stats_service).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station_app.domain.enums import INCIDENT_LABELS, Department, IncidentKind
from station_app.errors import ValidationError
from station_app.services.action_data import ActionCase
from station_app.services.session import Session

MAX_TEXT = 2000


@dataclass(frozen=True)
class IncidentInput:
    """An incident as the `incident` action gives it.

    Attributes:
        kind: work_error 工作失误 | public_opinion 引发舆情 | serious_consequence 造成严重后果.
        dept: The department responsible (any department).
        text: What happened (stripped, up to 2,000 characters).
    """

    kind: IncidentKind
    dept: Department
    text: str


def parse_incident(session: Session, case: ActionCase, data: dict[str, Any]) -> IncidentInput:
    """`incident`: `{"kind", "dept", "text"}`.

    Raises:
        ValidationError: on `kind`, `dept` or `text`, the first bad one in that order.
    """
    try:
        kind = IncidentKind(str(data.get("kind")))
    except ValueError:
        names = "、".join(f"{k.value}({label})" for k, label in INCIDENT_LABELS.items())
        raise ValidationError({"kind": f"事件类别应为:{names}"}) from None
    try:
        dept = Department(str(data.get("dept")))
    except ValueError:
        raise ValidationError({"dept": "请指定责任部门(部门代码)"}) from None
    body = data.get("text")
    if not isinstance(body, str) or not body.strip():
        raise ValidationError({"text": "请填写事件经过"})
    if len(body) > MAX_TEXT:
        raise ValidationError({"text": f"事件经过不能超过{MAX_TEXT}字"})
    return IncidentInput(kind, dept, body.strip())


def incident_payload(incident: IncidentInput) -> dict[str, Any]:
    """The `incident_recorded` payload: `{"incident_kind", "dept", "text", "set": {}}`.

    The case's state does not change.
    """
    # `incident_kind`, not `kind`: a case note already has a `kind` (its event type).
    return {"incident_kind": incident.kind.value, "dept": incident.dept.value, "text": incident.text, "set": {}}
