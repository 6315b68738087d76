"""Where a case stands against its clock.

The stage whose deadline is running, and how close that deadline is. Both are stored and
printed as their text value (`StrEnum`).
"""

from __future__ import annotations

from enum import StrEnum


class StageKey(StrEnum):
    """The key of the stage whose deadline is running on a case.

    Stored in the `stage` column; a track's stage plan (`rules.deadlines.stage_plan`) uses the
    same keys.
    """

    ROUTING = "routing"  # 分类流转 (首问责任制 四(一))
    APPROVAL = "approval"  # the leading group's decision on a major matter
    OPINION = "opinion"  # departments' written opinions (a refer matter: the department's handling)
    DEPARTMENT = "department"  # a department's handling (refer, submit_city)
    CITY = "city"  # the city's assignment of a submitted matter
    MAJOR = "major"  # the major matter's 15-day term 四(二)2
    MINUTES = "minutes"  # the leading group's minutes
    REPLY = "reply"  # the written answer to the payer
    ARCHIVE = "archive"  # answered, to be archived
    CLOSED = "closed"  # no deadline runs

    @classmethod
    def _missing_(cls, value: object) -> StageKey | None:
        """Keep a stage written by a newer version (an event imported by sync) as its text.

        It is shown and printed as it came, with no deadline meaning (`stage_due` gives None).
        """
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member


class DeadlineState(StrEnum):
    """How close a case's current deadline is (DESIGN.md "Deadlines")."""

    OK = "ok"
    WARN = "warn"  # 80 % of the working days gone, or the due day itself
    OVERDUE = "overdue"  # after the due day
    NONE = "none"  # closed, or no due date
