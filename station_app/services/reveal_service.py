"""Full identifiers on request.

Every output (screen, command line, export) masks ID and phone numbers unless the user asks to see
them, the role may (`domain.masking.may_reveal`), and the reveal is recorded: one
`personal_data_revealed` event per case and field shown in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection

from station_app.domain.masking import may_reveal
from station_app.errors import PermissionDenied
from station_app.services.dto import CaseSummary
from station_app.services.query_service import CaseQuery, get_case, list_cases
from station_app.services.session import Session
from station_app.store.db import write

REVEALABLE = ("applicant_id", "applicant_phone")


def require_reveal(session: Session) -> None:
    """Raise PermissionDenied unless the session's role may see full identifiers."""
    if not may_reveal(session.role):
        raise PermissionDenied("当前账户无权查看完整的身份证号和电话")


def record_reveals(session: Session, conn: Connection, cases: Iterable[CaseSummary]) -> int:
    """Record, in the caller's transaction, one reveal per case and identifier it carries.

    An empty field shows nothing and is not recorded. Returns the number of events.
    """
    count = 0
    for case in cases:
        for field in REVEALABLE:
            if getattr(case, field):
                session.record(conn, "personal_data_revealed", {"field": field}, case.uuid)
                count += 1
    return count


def case_json(session: Session, ref: str, reveal: bool = False) -> dict[str, Any]:
    """One case as `case show --json` prints it.

    ID and phone masked, or with `reveal` in full after recording the reveal. Raises NotFound,
    PermissionDenied (role may not reveal).
    """
    if reveal:
        require_reveal(session)
    detail = get_case(session, ref)
    if reveal:
        with write(session.store.engine) as conn:
            record_reveals(session, conn, [detail.summary])
        detail = get_case(session, ref)  # the timeline now shows the reveal
    return detail.to_json(reveal)


def list_json(session: Session, query: CaseQuery, limit: int, reveal: bool = False) -> list[dict[str, Any]]:
    """The case list as `case list --json` prints it (see `case_json`).

    With `reveal` every listed case's identifiers are recorded as revealed. Raises PermissionDenied.
    """
    if reveal:
        require_reveal(session)
    rows = list_cases(session, query, limit=limit)
    if reveal and rows:
        with write(session.store.engine) as conn:
            record_reveals(session, conn, rows)
    return [r.to_json(reveal) for r in rows]
