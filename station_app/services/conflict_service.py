"""Conflicts between concurrent case events, and their resolution by a head.

DESIGN.md "No silent overwrite": list them with both versions; settle a case's open conflicts
with one `conflict_resolved` event, which syncs like any other and closes them on every
store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station_app.domain.enums import Department, Status
from station_app.domain.safe_input import text_problem
from station_app.errors import InvalidTransition, NotFound, ValidationError
from station_app.services.permissions import Act, may, require
from station_app.services.query_service import EVENT_LABELS, load_row, station_choices
from station_app.services.session import Session
from station_app.store.conflicts import effective_set, list_conflicts
from station_app.store.db import read, write
from station_app.store.events import find_event
from station_app.store.projection import case_fields, local_name
from station_app.store.read_model.station import display_names

FIELD_LABELS = {"status": "状态", "lead": "牵头部门", "co": "协办部门", "due_date": "办理期限"}
"""The decision fields (`store.conflicts.DECISION_FIELDS`) by their Chinese names."""


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


@dataclass(frozen=True)
class ConflictSide:
    """One version of a conflict as the case screen shows it.

    `source` is 本站 (this store), 市级 or the station's name; `changes` are lines such as
    "状态:已归档" for the decision fields the version sets; `held` is True for the version this
    store stored without applying it.
    """

    uuid: str
    action: str
    source: str
    author: str
    at: str
    changes: tuple[str, ...]
    held: bool


@dataclass(frozen=True)
class ConflictPanel:
    """A case's open conflicts for its screen: the clashing fields, both versions, who may settle.

    `why_not` says why this user may not choose (None when `may_resolve`).
    """

    fields: tuple[str, ...]
    sides: tuple[ConflictSide, ConflictSide]
    may_resolve: bool
    why_not: str | None


def conflict_panel(session: Session, case_ref: str) -> ConflictPanel | None:
    """The first open conflict of a case, ready to show; None when the case has none open.

    Resolving it (`resolve` with one side's `uuid`) settles every open conflict of the case
    (DESIGN.md "No silent overwrite": shown with both versions until a head or a coordinator
    resolves it). Raises NotFound for an unknown case.
    """
    open_ = conflicts(session, case_ref, open_only=True)
    if not open_:
        return None
    first = open_[0]
    with read(session.store.engine) as conn:
        names = display_names(conn)
    own = session.origin or session.station_code
    stations = station_choices(session)

    def source(origin: str) -> str:
        if origin == own:
            return "本站" if not session.is_city else "市级"
        return "市级" if origin.startswith("city:") else stations.get(origin, f"调解站{origin}")

    def author(v: ConflictVersion) -> str:
        name = local_name(v.author, own)
        return str(names.get(name) or name) if "/" not in name else name.rsplit("/", 1)[1]

    sides = tuple(
        ConflictSide(
            v.uuid,
            EVENT_LABELS.get(v.type) or v.type,
            source(v.origin),
            author(v),
            v.at[:16].replace("T", " "),
            tuple(_change_line(k, v.set[k]) for k in FIELD_LABELS if k in v.set),
            v.uuid == first.held,
        )
        for v in first.versions
    )
    allowed = may(session, Act.RESOLVE_CONFLICTS)
    return ConflictPanel(
        fields=tuple(FIELD_LABELS.get(f, f) for f in first.fields),
        sides=(sides[0], sides[1]),
        may_resolve=allowed,
        why_not=None if allowed else "同步冲突由站长、管理员或市级协调员处理",
    )


def _change_line(field: str, value: Any) -> str:
    """One decision field a version sets, as a line: 状态:已归档, 牵头部门:市税务局, 协办部门:无."""
    label = FIELD_LABELS[field]
    if field == "status":
        shown = _label(Status, value)
    elif field == "lead":
        shown = _department(value)
    elif field == "co":
        shown = "、".join(_department(d) for d in value or []) or "无"
    else:
        shown = str(value or "无")
    return f"{label}:{shown}"


def _label(kind: type[Status], value: Any) -> str:
    try:
        return kind(str(value)).label
    except ValueError:
        return str(value)


def _department(value: Any) -> str:
    try:
        return Department(str(value)).full_name
    except ValueError:
        return str(value or "无")
