"""Conflicts between concurrent case events, and their resolution by a head.

DESIGN.md "No silent overwrite": list them with both versions; settle a case's open conflicts
with one `conflict_resolved` event, which syncs like any other and closes them on every
store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station_app.domain.safe_input import text_problem
from station_app.errors import InvalidTransition, NotFound, ValidationError
from station_app.services.permissions import Act, require
from station_app.services.query_service import load_row
from station_app.services.session import Session
from station_app.store.conflicts import effective_set, list_conflicts
from station_app.store.db import read, write
from station_app.store.events import find_event
from station_app.store.projection import case_fields


@dataclass(frozen=True)
class ConflictVersion:
    """One side of a conflict: the event and the case fields it would set."""

    uuid: str
    type: str
    author: str
    at: str
    origin: str
    set: dict[str, Any]


@dataclass(frozen=True)
class ConflictInfo:
    """A conflict as the case screen shows it: both versions, the fields, whether still open."""

    id: int
    case_uuid: str
    fields: tuple[str, ...]
    state: str
    held: str  # the version not applied at this store
    versions: tuple[ConflictVersion, ConflictVersion]
    resolved_by: str | None


def conflicts(session: Session, case_ref: str | None = None, open_only: bool = False) -> list[ConflictInfo]:
    """The conflicts at this store (of one case, by number or uuid, when given).

    Raises NotFound for an unknown case.
    """
    with read(session.store.engine) as conn:
        case_uuid = None
        if case_ref is not None:
            row = load_row(conn, case_ref)
            if row is None:
                raise NotFound("未找到该案件")
            case_uuid = str(row["uuid"])
        out = []
        for c in list_conflicts(conn, case_uuid, "open" if open_only else None):
            sides = []
            for uuid in (c.a_uuid, c.b_uuid):
                ev = find_event(conn, uuid)
                assert ev is not None  # a conflict names stored events only
                sides.append(ConflictVersion(ev.uuid, ev.type, ev.author, ev.at, ev.origin,
                                             effective_set(ev.type, ev.payload)))  # fmt: skip
            out.append(ConflictInfo(c.id, c.case_uuid, c.fields, c.state, c.held, (sides[0], sides[1]),
                                    c.resolved_by))  # fmt: skip
    return out


def resolve(session: Session, case_ref: str, chosen: str, reason: str) -> list[ConflictInfo]:
    """Settle every open conflict of a case: the event `chosen` (uuid of one side) stands.

    Head, admin or coordinator only (PermissionDenied). Raises NotFound for an unknown case,
    InvalidTransition when the case has no open conflict, ValidationError (`chosen`, `reason`)
    when the choice is not one of the versions or the reason is empty. Returns the case's
    conflicts after the resolution.
    """
    require(session, Act.RESOLVE_CONFLICTS)
    if not reason.strip():
        raise ValidationError({"reason": "请填写处理理由"})
    if problem := text_problem(reason):
        raise ValidationError({"reason": f"处理理由{problem}"})
    with write(session.store.engine) as conn:
        row = load_row(conn, case_ref)
        if row is None:
            raise NotFound("未找到该案件")
        pending = list_conflicts(conn, str(row["uuid"]), "open")
        if not pending:
            raise InvalidTransition("本案没有待处理的冲突")
        uuids = sorted({u for c in pending for u in (c.a_uuid, c.b_uuid)})
        if chosen not in uuids:
            raise ValidationError({"chosen": "只能选择冲突双方之一"})
        losers = {u for u in uuids if u != chosen}
        payload = {"events": uuids, "chosen": chosen, "reason": reason.strip(),
                   "set": case_fields(conn, str(row["uuid"]), losers)}  # fmt: skip
        session.record(conn, "conflict_resolved", payload, str(row["uuid"]))
    return conflicts(session, case_ref)
