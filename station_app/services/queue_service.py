"""The desk's work queues: which lists a user's dashboard offers, and what each one holds.

The dashboard draws these; who sees which queue (a head approves escalations) is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from station_app.domain.enums import Department, Status
from station_app.domain.lifecycle import ACTIONS
from station_app.services.permissions import Act, may
from station_app.services.query_service import CaseQuery, count_cases, late_departments
from station_app.services.session import Session


def _by_deadline(**filters: Any) -> CaseQuery:
    """A list filter that shows the most urgent deadline first."""
    return replace(CaseQuery(order_by="due_date", descending=False), **filters)


@dataclass(frozen=True)
class WorkQueue:
    """One tile of the dashboard: a name, a label and the list filter it opens."""

    name: str
    label: str
    query: CaseQuery


@dataclass(frozen=True)
class QueueCount:
    """One dashboard queue and the number of cases in it."""

    queue: WorkQueue
    count: int


@dataclass(frozen=True)
class DeskOverview:
    """What the dashboard shows: each queue's count and the departments that are late."""

    queues: tuple[QueueCount, ...]
    late_departments: tuple[tuple[Department, int], ...]

    def count(self, name: str) -> int:
        """The count of the queue called `name` (StopIteration when the dashboard has no such queue)."""
        return next(q.count for q in self.queues if q.queue.name == name)


def work_queues(session: Session) -> tuple[WorkQueue, ...]:
    """The queues of this user's dashboard.

    A head or admin also approves escalations. At the city (DESIGN.md "City console"): what waits on
    the city, 报送 cases to assign (四(五)), 重大疑难 for the leading group's decision (四(二)2), departments'
    opinions, the overdue, assigned 报送 matters whose feedback to the 12345 office is not on record
    yet (四(五)). Where the store syncs (the city, a station bound to it), whoever may resolve sync
    conflicts (a head, an admin, a coordinator) has them as a queue too (DESIGN.md "No silent
    overwrite").
    """
    conflicts = WorkQueue("conflicts", "同步冲突待处理", _by_deadline(conflicted=True))
    resolves = may(session, Act.RESOLVE_CONFLICTS) and (session.is_city or session.bound_city() is not None)
    if session.is_city:
        return (
            WorkQueue("submitted", "报送待交办", _by_deadline(status=Status.SUBMITTED.value)),
            WorkQueue("approval", "重大疑难待领导小组决定", _by_deadline(status=Status.ESCALATED.value)),
            WorkQueue("waiting", "待部门书面意见", _by_deadline(waiting_opinions=True)),
            WorkQueue("overdue", "已超期", _by_deadline(overdue=True)),
            WorkQueue("assigned", "已交办待12345反馈", _by_deadline(awaiting_feedback=True)),
            *((conflicts,) if resolves else ()),
        )
    queues = [
        WorkQueue("due_today", "今日到期", _by_deadline(due_today=True)),
        WorkQueue("overdue", "已超期", _by_deadline(overdue=True)),
        WorkQueue("waiting", "待部门意见", _by_deadline(waiting_opinions=True)),
        WorkQueue("mine", "我经办的未办结", _by_deadline(mine=True)),
    ]
    if session.role in ACTIONS["approve"].roles:
        queues.append(WorkQueue("approval", "待领导小组审批", _by_deadline(status=Status.ESCALATED.value)))
    if resolves:
        queues.append(conflicts)
    return tuple(queues)


def desk_overview(session: Session) -> DeskOverview:
    """Counts of every queue of this user and the late departments (open cases each owes)."""
    return DeskOverview(
        tuple(QueueCount(q, count_cases(session, q.query)) for q in work_queues(session)),
        tuple(late_departments(session)),
    )
