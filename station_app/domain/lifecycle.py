"""The case state machine: which action is allowed from which status, for which role."""

from __future__ import annotations

from dataclasses import dataclass

from station_app.domain.enums import CLOSED_STATUSES, Role, Status

S = Status
WORKERS = frozenset({Role.WORKER, Role.HEAD, Role.ADMIN, Role.COORDINATOR})
HEADS = frozenset({Role.HEAD, Role.ADMIN, Role.COORDINATOR})
OPEN_WORK = frozenset({S.ROUTED, S.IN_PROGRESS, S.ESCALATED, S.SUBMITTED})


@dataclass(frozen=True)
class Action:
    name: str
    label: str  # Chinese, shown on buttons and in the timeline
    event: str
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change (or is decided by the service)
    roles: frozenset[Role] = WORKERS


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("route", "确认分流", "case_routed", frozenset({S.REGISTERED, S.RETURNED}), None),
        Action("close_on_spot", "当场办结", "closed_on_spot", frozenset({S.REGISTERED}), S.CLOSED_ON_SPOT),
        Action("sign", "部门签收", "department_signed", frozenset({S.ROUTED, S.IN_PROGRESS}), S.IN_PROGRESS),
        Action(
            "return",
            "部门退回",
            "department_returned",
            frozenset({S.ROUTED, S.IN_PROGRESS, S.SUBMITTED}),
            S.RETURNED,
        ),
        Action("opinion", "录入书面意见", "opinion_recorded", frozenset({S.ROUTED, S.IN_PROGRESS}), S.IN_PROGRESS),
        Action("extend", "申请延期", "extension_granted", OPEN_WORK, None),
        Action(
            "escalate",
            "上报重大疑难",
            "escalation_requested",
            frozenset({S.REGISTERED, S.ROUTED, S.IN_PROGRESS, S.RETURNED}),
            S.ESCALATED,
        ),
        Action("approve", "批准重大疑难", "escalation_approved", frozenset({S.ESCALATED}), S.IN_PROGRESS, HEADS),
        Action("minutes", "录入会议纪要", "minutes_recorded", frozenset({S.IN_PROGRESS}), None),
        Action("reply", "书面答复", "reply_issued", frozenset({S.IN_PROGRESS}), S.REPLIED),
        Action("objection", "登记异议", "objection_recorded", frozenset({S.REPLIED}), S.OBJECTION),
        Action("callback", "回访", "callback_recorded", frozenset({S.REPLIED, S.OBJECTION, S.CLOSED_ON_SPOT}), None),
        Action(
            "archive",
            "归档",
            "case_archived",
            frozenset({S.REPLIED, S.OBJECTION, S.CLOSED_ON_SPOT}),
            S.ARCHIVED,
        ),
        Action(
            "withdraw",
            "撤回",
            "case_withdrawn",
            frozenset({S.REGISTERED, S.ROUTED, S.IN_PROGRESS, S.RETURNED, S.ESCALATED, S.SUBMITTED}),
            S.WITHDRAWN,
        ),
        Action(
            "submit_city",
            "报送市级",
            "submitted_to_city",
            frozenset({S.REGISTERED, S.RETURNED, S.ROUTED}),
            S.SUBMITTED,
        ),
        Action("city_assign", "市级交办", "city_assigned", frozenset({S.SUBMITTED}), S.ROUTED),
        Action(
            "clue_transfer",
            "移送纪委监委",
            "clue_transferred",
            frozenset({S.SUBMITTED, S.ROUTED, S.IN_PROGRESS, S.RETURNED}),
            S.CLUE_TRANSFERRED,
            HEADS,
        ),
        # 五(四): an incident is recorded against a department once the case has reached departments
        # (routed, submitted or escalated) and until it is closed; anyone at the station may record
        # what happened (the event names its author).
        Action(
            "incident",
            "登记责任事件",
            "incident_recorded",
            frozenset(Status) - CLOSED_STATUSES - {S.REGISTERED},
            None,
        ),
    )
}


def allowed_actions(status: Status, role: Role) -> list[Action]:
    """Actions the state and the role allow (the service still checks the data they need)."""
    return [a for a in ACTIONS.values() if status in a.sources and role in a.roles]
