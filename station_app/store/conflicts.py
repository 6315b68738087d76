"""No silent overwrite (DESIGN.md "Sync", SYNC.md §3.5): which case events may not both stand.

Two events of a case are concurrent when neither's `base` (the version vector its author had
seen) covers the other. Concurrent events conflict when they set the same decision field to
different values, or when either is terminal (its status is withdrawn, archived or not
accepted). Only data both stores hold decides: the two events themselves, never a clock or the
order they arrived in, so both sides find the same pairs. The later arrival is held (stored,
not applied) and a `conflicts` row names both; a `conflict_resolved` event whose base covers
both closes it on every store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, text

from station_app.domain.enums import Status
from station_app.domain.lifecycle import ACTIONS
from station_app.store.events import Event, find_event

DECISION_FIELDS = ("status", "lead", "co", "due_date")
NEW_CASE = "case_registered"  # the first event of every case: nothing is concurrent with it
TERMINAL = frozenset({Status.WITHDRAWN.value, Status.ARCHIVED.value, Status.NOT_ACCEPTED.value})


@cache
def _targets() -> dict[str, str | None]:
    """Event type -> the status the lifecycle table's `Action.target` gives it.

    None where the service decides, or where several actions share the event with different
    targets.
    """
    out: dict[str, str | None] = {}
    for action in ACTIONS.values():
        target = action.target.value if action.target is not None else None
        out[action.event] = target if out.get(action.event, target) == target else None
    return out


def lifecycle_target(type_: str) -> str | None:
    """The status an event of `type_` moves its case to, from `Action.target`, or None."""
    return _targets().get(type_)


def effective_set(type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The case fields an event changes.

    Its payload's `set`, with the status the lifecycle table gives its action (the builders'
    own `status` is used only where the table has none).
    """
    changes = dict(payload.get("set") or {})
    target = lifecycle_target(type_)
    if target is not None:
        changes["status"] = target
    return changes


def covers(base: dict[str, int] | None, ev: Event) -> bool:
    """Whether a version vector includes event `ev`."""
    return base is not None and base.get(ev.origin, 0) >= ev.origin_seq


def clash(a: Event, b: Event) -> list[str]:
    """The fields on which two concurrent events may not both stand ([] when they merge).

    Symmetric: clash(a, b) == clash(b, a).
    """
    if "set" not in a.payload or "set" not in b.payload:
        return []  # events that change no case field (a print, a reveal) always merge
    sa, sb = effective_set(a.type, a.payload), effective_set(b.type, b.payload)
    fields = sorted(k for k in DECISION_FIELDS if k in sa and k in sb and sa[k] != sb[k])
    if not fields and (sa.get("status") in TERMINAL or sb.get("status") in TERMINAL):
        fields = ["status"]
    return fields


def find_conflicts(conn: Connection, ev: Event) -> list[tuple[Event, list[str]]]:
    """The earlier events of ev's case (in this ledger) that are concurrent with it and clash.

    Only the events ev's base does not cover are read in full: for an event written here (its
    base covers the whole case) that is none, however large the case's payloads.
    """
    if ev.case_uuid is None or ev.base is None or ev.type == NEW_CASE:
        return []
    base = ev.base
    rows = conn.execute(
        text("SELECT uuid, origin, origin_seq, base FROM events WHERE case_uuid = :c AND seq < :s ORDER BY seq"),
        {"c": ev.case_uuid, "s": ev.seq},
    ).all()
    out: list[tuple[Event, list[str]]] = []
    for uuid, origin, origin_seq, other_base in rows:
        if base.get(origin, 0) >= origin_seq or other_base is None:
            continue
        if json.loads(other_base).get(ev.origin, 0) >= ev.origin_seq:
            continue  # the other event had seen this one: not concurrent
        other = find_event(conn, uuid)
        assert other is not None
        fields = clash(ev, other)
        if fields:
            out.append((other, fields))
    return out


def open_conflicts(conn: Connection, ev: Event, clashes: list[tuple[Event, list[str]]]) -> None:
    """Record one `conflicts` row per clashing pair; `ev` is the one held here."""
    for other, fields in clashes:
        a, b = sorted((ev.uuid, other.uuid))
        conn.execute(
            text(
                "INSERT INTO conflicts (case_uuid, a_uuid, b_uuid, held, fields, state)"
                " VALUES (:c, :a, :b, :h, :f, 'open')"
            ),
            {"c": ev.case_uuid, "a": a, "b": b, "h": ev.uuid, "f": json.dumps(fields)},
        )


def close_conflicts(conn: Connection, ev: Event) -> int:
    """Mark resolved every open conflict of ev's case whose two events ev's base covers."""
    rows = conn.execute(
        text(
            "SELECT k.id, a.origin, a.origin_seq, b.origin, b.origin_seq FROM conflicts k"
            " JOIN events a ON a.uuid = k.a_uuid JOIN events b ON b.uuid = k.b_uuid"
            " WHERE k.case_uuid = :c AND k.state = 'open'"
        ),
        {"c": ev.case_uuid},
    ).all()
    base = ev.base or {}
    ids = [r[0] for r in rows if base.get(r[1], 0) >= r[2] and base.get(r[3], 0) >= r[4]]
    for conflict_id in ids:
        conn.execute(
            text("UPDATE conflicts SET state = 'resolved', resolved_by = :u WHERE id = :i"),
            {"u": ev.uuid, "i": conflict_id},
        )
    return len(ids)


@dataclass(frozen=True)
class ConflictRecord:
    """One conflict as stored: the two events, which is held here, the clashing fields."""

    id: int
    case_uuid: str
    a_uuid: str
    b_uuid: str
    held: str
    fields: tuple[str, ...]
    state: str
    resolved_by: str | None


def list_conflicts(conn: Connection, case_uuid: str | None = None, state: str | None = None) -> list[ConflictRecord]:
    """Conflicts held here, oldest first; optionally one case's, optionally open or resolved only."""
    sql = "SELECT id, case_uuid, a_uuid, b_uuid, held, fields, state, resolved_by FROM conflicts WHERE 1 = 1"
    params: dict[str, Any] = {}
    if case_uuid is not None:
        sql += " AND case_uuid = :c"
        params["c"] = case_uuid
    if state is not None:
        sql += " AND state = :s"
        params["s"] = state
    rows = conn.execute(text(sql + " ORDER BY id"), params)
    return [ConflictRecord(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], r[7]) for r in rows]
