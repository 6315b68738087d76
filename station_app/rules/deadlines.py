"""Deadlines in Chinese working days, and whether one is due soon or overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from station_app.domain.enums import Track
from station_app.domain.stage import DeadlineState, StageKey
from station_app.rules.calendar import WorkCalendar


@dataclass(frozen=True)
class DeadlineSettings:
    """Time limits in working days (DESIGN.md, "Deadlines"); all are settings."""

    routing_days: int = 1
    opinion_days: int = 5
    opinion_extension_max: int = 10
    major_days: int = 15
    major_extension_max: int = 15
    reply_days: int = 1
    archive_days: int = 5
    warn_ratio: float = 0.8


@dataclass(frozen=True)
class Deadline:
    """A deadline counted in working days.

    Attributes:
        start: the day the count starts from.
        due: the last day allowed.
        estimated: True when some day counted fell in a year without holiday data (Mon-Fri used).
        working_days: the term, in working days.
    """

    start: date
    due: date
    estimated: bool  # some day counted fell in a year without holiday data (Mon-Fri used)
    working_days: int


def due(calendar: WorkCalendar, start: date, days: int) -> Deadline:
    """The deadline `days` working days from `start` (the start day itself is not counted)."""
    day, estimated = calendar.add_working_days(start, days)
    return Deadline(start, day, estimated, days)


def deadline_state(
    calendar: WorkCalendar,
    start: date | None,
    due: date,
    today: date,
    settings: DeadlineSettings | None = None,
) -> DeadlineState:
    """How close `due` is: "overdue", "warn" or "ok" on `today`.

    "overdue" after the due day; "warn" once `warn_ratio` of the stage's working days from
    `start` to `due` has elapsed, or on the due day itself; else "ok". Without a `start` only
    overdue is known. The one rule for every screen, list and paper (DESIGN.md "Deadlines":
    warn at 80 % of the time and when overdue).
    """
    if today > due:
        return DeadlineState.OVERDUE
    if today >= due:
        return DeadlineState.WARN
    if start is None:
        return DeadlineState.OK
    ratio = Decimal(str((settings or DeadlineSettings()).warn_ratio))
    total = max(calendar.working_days_between(start, due), 1)
    elapsed = calendar.working_days_between(start, today) if today > start else 0
    return DeadlineState.WARN if elapsed >= ratio * total else DeadlineState.OK


@dataclass(frozen=True)
class Stage:
    """One stage of a matter's plan: what is due, by when, counted from the previous stage."""

    key: StageKey  # routing | approval | opinion | city | department | major | reply
    label: str  # Chinese, shown in the routing panel and printed
    due: date
    working_days: int
    estimated: bool  # this or an earlier stage counted days of a year without holiday data


@dataclass(frozen=True)
class StagePlan:
    """The stages a matter goes through, each due a number of working days after the one before."""

    start: date
    stages: tuple[Stage, ...]

    def stage(self, key: str) -> Stage | None:
        """The stage named `key`, or None when the track has no such stage."""
        return next((s for s in self.stages if s.key == key), None)

    @property
    def answer(self) -> Stage | None:
        """The last stage: when the payer can expect the answer (what the receipt promises)."""
        return self.stages[-1] if self.stages else None


def _track_stages(track: Track, d: DeadlineSettings) -> list[tuple[StageKey, str, int]]:
    """(key, label, working days) of each stage after routing, per track (四(一)-(五))."""
    return {
        Track.REFER: [(StageKey.DEPARTMENT, "部门办理", d.opinion_days), (StageKey.REPLY, "答复反馈", d.reply_days)],
        Track.JOINT: [(StageKey.OPINION, "部门书面意见", d.opinion_days), (StageKey.REPLY, "书面答复", d.reply_days)],
        Track.MAJOR: [
            (StageKey.APPROVAL, "领导小组批复", d.routing_days),
            (StageKey.MAJOR, "重大疑难办结", d.major_days),
            (StageKey.REPLY, "书面答复", d.reply_days),
        ],
        Track.SUBMIT_CITY: [
            (StageKey.CITY, "市级交办", d.opinion_days),
            (StageKey.DEPARTMENT, "承办部门办理", d.opinion_days),
            (StageKey.REPLY, "答复反馈", d.reply_days),
        ],
    }.get(track, [])


def stage_plan(
    calendar: WorkCalendar, track: Track, start: date, settings: DeadlineSettings | None = None
) -> StagePlan:
    """The plan of a matter of `track` taken in on `start`: its stages and their due days.

    分类流转 comes first (routing_days, 首问责任制 四(一)), then the track's stages (joint:
    opinions 四(二)1, then the reply; major: the leading group's decision, the 15-day term
    四(二)2, the reply; submit_city: the city's assignment and the department's handling 四(五);
    refer: the department's handling and the answer). Each stage is due its working days after
    the previous one. `not_accepted` has no stages.

    The routing panel, the case service and every paper that prints a date take it from here.
    """
    d = settings or DeadlineSettings()
    if track is Track.NOT_ACCEPTED:
        return StagePlan(start, ())
    stages: list[Stage] = []
    day, estimated = start, False
    for key, label, days in [(StageKey.ROUTING, "分类流转", d.routing_days), *_track_stages(track, d)]:
        day, est = calendar.add_working_days(day, days)
        estimated = estimated or est
        stages.append(Stage(key, label, day, days, estimated))
    return StagePlan(start, tuple(stages))


# What the current deadline of a case is for, and who owes it: the case header and the lists
# say this beside the date, so a worker never has to guess what a due date means.
_STAGE_DUE: dict[StageKey, tuple[str, str]] = {
    StageKey.ROUTING: ("分类流转", "受理站"),
    StageKey.OPINION: ("部门书面意见", "承办部门"),
    StageKey.DEPARTMENT: ("部门办理", "承办部门"),
    StageKey.APPROVAL: ("领导小组批复", "领导小组"),
    StageKey.CITY: ("市级交办", "市领导小组办公室"),
    StageKey.MAJOR: ("重大疑难办结", "工作领导小组"),
    StageKey.MINUTES: ("会议纪要", "工作领导小组"),
    StageKey.REPLY: ("书面答复", "受理站"),
    StageKey.ARCHIVE: ("归档", "受理站"),
}


def stage_due(stage: StageKey, track: Track) -> tuple[str, str] | None:
    """(what is due, who owes it) for a case's current `stage`; None once it is closed.

    A refer matter's opinion stage is the department's handling (四(一)), not a written opinion.
    """
    if stage is StageKey.OPINION and track is Track.REFER:
        stage = StageKey.DEPARTMENT
    return _STAGE_DUE.get(stage)
