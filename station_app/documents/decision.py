"""The leading group's decision on a major matter, as the 批复 prints it.

No reportlab here: the paper rules ask it before any PDF is built.
"""

from __future__ import annotations

from typing import Any

from station_app.dto.case import CaseDetail


def decision_note(case: CaseDetail) -> tuple[bool, dict[str, Any]] | None:
    """(approved, the decision's record) of the latest leading-group decision, or None."""
    approved = case.note("escalation_approved")
    declined = case.note("escalation_declined")
    if approved and declined:  # a decision recorded again after a return: the later one stands
        later = str(approved.get("at") or "") >= str(declined.get("at") or "")
        return (True, approved) if later else (False, declined)
    if approved:
        return True, approved
    if declined:
        return False, declined
    return None
