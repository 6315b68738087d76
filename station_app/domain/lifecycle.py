"""The case state machine: which action is allowed from which status, for which role and track.

One table (`ACTIONS`) that the services check and the buttons read. Rules that need the case's
data (an opinion from every department, the first receiver, a refusal on record) live in the
services; `allowed_actions` applies those that decide whether an action is offered at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from station_app.domain.enums import CLOSED_STATUSES, Department, Role, Status, Track

S = Status
T = Track
WORKERS = frozenset({Role.WORKER, Role.HEAD, Role.ADMIN, Role.COORDINATOR})
HEADS = frozenset({Role.HEAD, Role.ADMIN, Role.COORDINATOR})
OPEN_WORK = frozenset({S.ROUTED, S.IN_PROGRESS, S.ESCALATED, S.SUBMITTED})
OPINION_WORK = frozenset({S.ROUTED, S.IN_PROGRESS})
ANSWERED = frozenset({S.REPLIED, S.OBJECTION})

# 四(二)2(2): "会同市政府、司法局、人力资源和社会保障局、医保局、信访局、税务局、网信办各镇成立的工作领导小组"
DEFAULT_TASK_GROUP: tuple[Department, ...] = (
    Department.CITY_GOV,
    Department.JUSTICE,
    Department.HRSS,
    Department.MEDICAL,
    Department.PETITION,
    Department.TAX,
    Department.CYBERSPACE,
    Department.TOWN,
)


@dataclass(frozen=True)
class Action:
    """One lifecycle action: the row of `ACTIONS` that the services check and the buttons read.

    Attributes:
        name: the stable code (`opinion`, `reply`), used by `case act` and in events.
        label: the Chinese wording on buttons and in the timeline.
        event: the event type recorded when the action is taken.
        sources: the statuses the action may be taken from.
        target: the status after it; None when the status stays or the service decides it.
        roles: the roles that may take it.
        tracks: the tracks it applies to; None for every track.
        needs: an event type that must already be on the case (the city's assignment), or None.
    """

    name: str
    label: str  # Chinese, shown on buttons and in the timeline
    event: str
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change (or is decided by the service)
    roles: frozenset[Role] = WORKERS
    tracks: frozenset[Track] | None = None  # None: every track
    needs: str | None = None  # an event that must be on record on the case (e.g. the city's assignment)


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("route", "确认分流", "case_routed", frozenset({S.REGISTERED, S.RETURNED}), None),
        Action("close_on_spot", "当场办结", "closed_on_spot", frozenset({S.REGISTERED}), S.CLOSED_ON_SPOT),
        Action("sign", "部门签收", "department_signed", OPINION_WORK, S.IN_PROGRESS),
        Action(
            "return",
            "部门退回",
            "department_returned",
            frozenset({S.ROUTED, S.IN_PROGRESS, S.SUBMITTED}),
            S.RETURNED,
        ),
        Action("opinion", "录入书面意见", "opinion_recorded", OPINION_WORK, S.IN_PROGRESS),
        Action("extend", "批准部门延期", "extension_granted", OPEN_WORK, None, HEADS),
        Action(
            "escalate",
            "上报重大疑难",
            "escalation_requested",
            frozenset({S.REGISTERED, S.ROUTED, S.IN_PROGRESS, S.RETURNED}),
            S.ESCALATED,
        ),
        Action("approve", "录入领导小组同意", "escalation_approved", frozenset({S.ESCALATED}), S.IN_PROGRESS, HEADS),
        Action("decline", "录入领导小组不同意", "escalation_declined", frozenset({S.ESCALATED}), S.ROUTED, HEADS),
        Action(
            "minutes", "录入会议纪要", "minutes_recorded", frozenset({S.IN_PROGRESS}), None, tracks=frozenset({T.MAJOR})
        ),
        Action("consult", "录入会商记录", "consultation_recorded", OPINION_WORK, None, tracks=frozenset({T.JOINT})),
        Action(
            "reply",
            "书面答复",
            "reply_issued",
            frozenset({S.IN_PROGRESS}),
            S.REPLIED,
            tracks=frozenset({T.JOINT, T.MAJOR}),
        ),
        Action("deliver", "登记答复送达", "reply_delivered", ANSWERED, None, tracks=frozenset({T.JOINT, T.MAJOR})),
        Action("handled", "部门反馈已办结", "department_handled", OPINION_WORK, S.REPLIED, tracks=frozenset({T.REFER})),
        Action("confirm", "回访确认已办结", "payer_confirmed", OPINION_WORK, S.REPLIED, tracks=frozenset({T.REFER})),
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
        Action("city_assign", "录入市级交办", "city_assigned", frozenset({S.SUBMITTED}), S.ROUTED, HEADS),
        Action(
            "feedback_12345",
            "登记承办部门反馈",
            "city_feedback_recorded",
            OPINION_WORK | ANSWERED,
            None,
            needs="city_assigned",  # 四(五): feedback of the department the city assigned
        ),
        Action(
            "clue_transfer",
            "移送纪委监委",
            "clue_transferred",
            OPEN_WORK | ANSWERED | frozenset({S.RETURNED}),
            None,  # a flag beside the case, which still goes on to its reply and archive
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

# Actions a worker may take only on a case that worker registered (首问责任制, 四(一)); anyone
# else needs the head role and a recorded reason.
FIRST_RECEIVER_ACTIONS = frozenset({"route"})


def action_applies(action: Action, status: Status, track: Track | None) -> bool:
    """Whether the case's status and track allow the action at all."""
    if status not in action.sources:
        return False
    return action.tracks is None or track is None or track in action.tracks


def may_take(action: Action, role: Role, first_receiver: bool) -> bool:
    """Whether this user may take the action: its roles, and 首问责任制 for routing."""
    if role not in action.roles:
        return False
    return first_receiver or action.name not in FIRST_RECEIVER_ACTIONS or role in HEADS


def allowed_actions(
    status: Status,
    role: Role,
    track: Track | None = None,
    first_receiver: bool = True,
    recorded: frozenset[str] | None = None,
) -> list[Action]:
    """Actions the state, the track and the role allow (the service still checks the data they need).

    `first_receiver`: whether the user registered the case (四(一) 首问责任制). `recorded`: the
    event types on record for the case; an action that `needs` one is offered only when it is
    there (None: not known, not filtered).
    """
    return [
        a
        for a in ACTIONS.values()
        if action_applies(a, status, track)
        and may_take(a, role, first_receiver)
        and (a.needs is None or recorded is None or a.needs in recorded)
    ]
