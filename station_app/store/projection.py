"""Projections: the tables the screens read, updated from each event in its transaction.

One dispatcher, `apply`, keyed by (event type, scope) through `HANDLERS`; adding a projection for
a new event type is one `@handles(type, scope)` function here. What every case event does is
common to all: its `set` (with the status from the lifecycle table, `Action.target`) goes to its
`cases` row and it leaves a note, unless it conflicts with a concurrent event (conflicts.py).
Events that start or move departments' opinion deadlines carry `dept_due`, applied by their
handlers. Both were computed by the service when the event was made; replay never recomputes.
A store-local event from another origin is kept for audit and never applied: it would overwrite
this store's identity, users or settings. An event of a type or payload version this app does
not know is kept, flagged and not applied; a rebuild after an upgrade applies it.

`apply` is a pure function of the event and the ledger before it, so `rebuild` reproduces the
same projections, conflicts and flags. It returns what changed, so callers drop only the caches
they must.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from station_app.store.conflicts import close_conflicts, effective_set, find_conflicts, open_conflicts
from station_app.store.db import set_meta
from station_app.store.events import Event, find_event, iter_events, own_origin
from station_app.store.models import PROJECTION_TABLES, TEXT_COLUMNS
from station_app.store.payloads import Scope, payload_class
from station_app.store.search_index import clear_index, index_case, index_cases

CASE_FIELDS = frozenset(
    {
        "status",
        "stage",
        "stage_start",
        "due_date",
        "due_estimated",
        "extended",
        "approved",
        "clue_transferred",
        "track",
        "lead",
        "co",
        "reasons",
        "objection_route",
        "satisfaction",
    }
)
JSON_FIELDS = frozenset({"co", "reasons"})


@dataclass
class Changes:
    """What applying events changed (Anki's OpChanges idea): callers refresh only these."""

    cases: set[str] = field(default_factory=set)
    identity: bool = False
    users: bool = False
    settings: bool = False
    calendar: bool = False
    papers: bool = False
    flagged: list[str] = field(default_factory=list)  # events kept but not applied: unknown here
    held: list[str] = field(default_factory=list)  # events kept but not applied: in conflict
    conflicts_opened: int = 0
    conflicts_closed: int = 0

    def merge(self, other: Changes) -> None:
        """Add `other` into this."""
        self.cases |= other.cases
        self.identity |= other.identity
        self.users |= other.users
        self.settings |= other.settings
        self.calendar |= other.calendar
        self.papers |= other.papers
        self.flagged += other.flagged
        self.held += other.held
        self.conflicts_opened += other.conflicts_opened
        self.conflicts_closed += other.conflicts_closed


Handler = Callable[[Connection, Event, Changes], None]
HANDLERS: dict[tuple[str, Scope], Handler] = {}
"""(event type, scope) -> what the event does to the projections besides the common case part."""


def handles(type_: str, *scopes: Scope) -> Callable[[Handler], Handler]:
    """Register a projection handler for an event type in the given scopes."""

    def register(fn: Handler) -> Handler:
        for scope in scopes:
            HANDLERS[(type_, scope)] = fn
        return fn

    return register


def apply(conn: Connection, ev: Event, origin: str | None = None) -> Changes:
    """Project one stored event (inside the caller's transaction) and say what changed.

    `origin` is this store's origin (read from the store when not given).
    """
    changes = Changes()
    flag = unknown_flag(ev)
    if flag is not None:
        conn.execute(text(FLAG_SQL), flag)
        changes.flagged.append(ev.uuid)
        return changes
    origin = origin if origin is not None else own_origin(conn)
    if ev.scope is Scope.STORE and ev.origin != origin:
        return changes  # another store's own business: kept for audit only
    if ev.scope is not Scope.CASE:
        handler = HANDLERS.get((ev.type, ev.scope))
        if handler is not None:
            handler(conn, ev, changes)
        return changes
    case_uuid = str(ev.case_uuid)
    changes.cases.add(case_uuid)
    clashes = find_conflicts(conn, ev)
    if clashes:
        open_conflicts(conn, ev, clashes)
        changes.held.append(ev.uuid)
        changes.conflicts_opened += len(clashes)
        return changes
    handler = HANDLERS.get((ev.type, ev.scope))
    if handler is not None:
        handler(conn, ev, changes)
    if ev.type != "case_registered":
        _apply_case_set(conn, ev)
        note = note_row(ev, origin)
        if note is not None:
            conn.execute(text(NOTE_SQL), note)
    return changes


FLAG_SQL = "INSERT OR REPLACE INTO event_flags (uuid, flag, type, v) VALUES (:u, :f, :t, :v)"
NOTE_SQL = "INSERT INTO case_notes (case_uuid, kind, body, at, author) VALUES (:c, :k, :b, :at, :a)"


def unknown_flag(ev: Event) -> dict[str, Any] | None:
    """The `event_flags` row of an event this app cannot apply, or None when it knows it.

    An event of a type or payload version this app does not know is kept and flagged, never
    applied (DESIGN.md "Sync": a newer sender); a rebuild after an upgrade applies it.
    """
    cls = payload_class(ev.type)
    if cls is not None and ev.v == cls.V:
        return None
    return {"u": ev.uuid, "f": "unknown_type" if cls is None else "unknown_version", "t": ev.type, "v": ev.v}


def note_row(ev: Event, origin: str) -> dict[str, Any] | None:
    """The `case_notes` row a case event other than a registration leaves (NOTE_SQL's parameters).

    Returns None for the events that leave no note (a reveal, a print).
    """
    if ev.type in _NO_NOTE:
        return None
    return {
        "c": ev.case_uuid,
        "k": ev.type,
        "b": _NOTE_JSON.encode(_note_body(ev.payload)),
        "at": ev.at,
        "a": local_name(ev.author, origin),
    }


def local_name(author: str, origin: str) -> str:
    """An author as this store shows it: the bare user name for its own users, else origin/user."""
    prefix = f"{origin}/"
    return author[len(prefix) :] if author.startswith(prefix) else author


_NO_NOTE = frozenset({"personal_data_revealed", "paper_printed"})
_NOTE_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # as json.dumps with these options, made once


def _note_body(payload: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in payload.items() if k not in ("set", "file")}
    if isinstance(payload.get("file"), dict):
        body["file_name"] = payload["file"].get("name")
    return body


def _apply_department_dues(conn: Connection, ev: Event) -> None:
    """Write the departments' opinion deadlines an event carries (`dept_due`).

    `dept_due`: {dept: {"due_date", "due_estimated", "extended"?}} for departments whose opinion
    deadline the event starts (routing, assignment, approval) or moves (extension, calendar
    import). Called by those events' handlers, after any change to the departments.
    """
    dues = ev.payload.get("dept_due") or {}
    for dept, due in dues.items():
        conn.execute(
            text(
                "UPDATE case_departments SET due_date = :d, due_estimated = :e,"
                " extended = coalesce(:x, extended) WHERE case_uuid = :c AND dept = :dept"
            ),
            {
                "d": due.get("due_date"),
                "e": bool(due.get("due_estimated")),
                "x": due.get("extended"),
                "c": ev.case_uuid,
                "dept": dept,
            },
        )


def case_set_values(ev: Event) -> dict[str, Any]:
    """The `cases` columns a case event other than a registration sets, as stored.

    Its effective `set` (the lifecycle table's status included) restricted to CASE_FIELDS, the
    JSON fields encoded, and `updated_at` = the event's time.
    """
    values: dict[str, Any] = {"updated_at": ev.at}
    for key, value in effective_set(ev.type, ev.payload).items():
        if key in CASE_FIELDS:
            values[key] = json.dumps(value, ensure_ascii=False) if key in JSON_FIELDS else value
    return values


def case_update_sql(columns: Iterable[str]) -> str:
    """UPDATE of the given `cases` columns of the case `:uuid`, one named parameter per column."""
    return f"UPDATE cases SET {', '.join(f'{key} = :{key}' for key in columns)} WHERE uuid = :uuid"


def _apply_case_set(conn: Connection, ev: Event) -> None:
    values = case_set_values(ev)
    conn.execute(text(case_update_sql(values)), {**values, "uuid": ev.case_uuid})


def _employer(intake: dict[str, Any]) -> str | None:
    applicant = intake.get("applicant") or {}
    respondent = intake.get("respondent") or {}
    if applicant.get("kind") == "employer":
        return str(applicant.get("name"))
    if respondent and respondent.get("kind") == "employer":
        return str(respondent.get("name"))
    return None


def case_row(ev: Event, origin: str = "") -> dict[str, Any]:
    """The `cases` row a `case_registered` event makes, with its `case_texts` columns."""
    p = ev.payload
    intake: dict[str, Any] = p["intake"]
    routing: dict[str, Any] = p["routing"]
    applicant = intake["applicant"]
    respondent = intake.get("respondent") or {}
    return {
        "uuid": ev.case_uuid,
        "case_no": p["case_no"],
        "station_code": p["station_code"],
        "received_at": intake["received_at"],
        "channel": intake["channel"],
        "town_code": intake["town_code"],
        "applicant_kind": applicant["kind"],
        "applicant_name": applicant["name"],
        "applicant_id": applicant.get("id_number"),
        "applicant_phone": applicant.get("phone"),
        "applicant_uscc": applicant.get("uscc"),
        "respondent_name": respondent.get("name"),
        "respondent_uscc": respondent.get("uscc"),
        "employer": _employer(intake),
        "category": int(intake["category"]),
        "insurance_types": json.dumps(intake.get("insurance_types") or []),
        "periods": json.dumps(intake.get("periods") or []),
        "amount_claimed": intake.get("amount_claimed"),
        "group_size": int(intake.get("group_size") or 1),
        "flags": json.dumps(sorted(k for k, v in (intake.get("flags") or {}).items() if v)),
        "summary": intake.get("summary") or "",
        "claim": intake.get("claim") or "",
        "intake": json.dumps(intake, ensure_ascii=False, sort_keys=True),
        "track": routing["track"],
        "lead": routing.get("lead"),
        "co": json.dumps(routing.get("co") or []),
        "reasons": json.dumps(routing.get("reasons") or [], ensure_ascii=False),
        "status": p["set"]["status"],
        "stage": p["set"]["stage"],
        "stage_start": p["set"].get("stage_start"),
        "due_date": p["set"].get("due_date"),
        "due_estimated": bool(p["set"].get("due_estimated")),
        "extended": False,
        "approved": False,
        "clue_transferred": False,
        "handler": local_name(ev.author, origin),
        "created_at": ev.at,
        "updated_at": ev.at,
    }


def case_insert_sql(row: dict[str, Any]) -> str:
    """INSERT of the `cases` columns of `row` (its long texts go to `case_texts`)."""
    columns = [k for k in row if k not in TEXT_COLUMNS]
    return f"INSERT INTO cases ({', '.join(columns)}) VALUES ({', '.join(':' + k for k in columns)})"


TEXTS_SQL = "INSERT INTO case_texts (case_id, summary, claim, intake) VALUES (:id, :summary, :claim, :intake)"
_INSERT_TEXTS = text(TEXTS_SQL)


@handles("case_registered", Scope.CASE)
def _case_registered(conn: Connection, ev: Event, changes: Changes) -> None:
    row = case_row(ev, own_origin(conn))
    result = conn.execute(text(case_insert_sql(row)), row)
    case_id = int(result.lastrowid or 0)
    conn.execute(_INSERT_TEXTS, {**row, "id": case_id})
    _set_departments(conn, str(ev.case_uuid), ev.payload["routing"])
    index_case(conn, case_id, row)


def bulk_register(conn: Connection, evs: list[Event]) -> None:
    """Project many new `case_registered` events of this store at once.

    For bulk loads (demo, benchmark): the same rows as `apply` makes one by one.
    """
    if not evs:
        return
    origin = own_origin(conn)
    start = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar_one()) + 1
    rows = []
    depts = []
    for offset, ev in enumerate(evs):
        row = case_row(ev, origin)
        row["id"] = start + offset
        rows.append(row)
        routing = ev.payload["routing"]
        if routing.get("lead"):
            depts.append({"c": ev.case_uuid, "d": routing["lead"], "r": "lead"})
        depts.extend(
            {"c": ev.case_uuid, "d": d, "r": "co"} for d in routing.get("co") or [] if d != routing.get("lead")
        )
    conn.execute(text(case_insert_sql(rows[0])), rows)
    conn.execute(_INSERT_TEXTS, rows)
    if depts:
        conn.execute(text("INSERT INTO case_departments (case_uuid, dept, role) VALUES (:c, :d, :r)"), depts)
    index_cases(conn, [(int(r["id"]), r) for r in rows])


def routing_departments(routing: dict[str, Any]) -> dict[str, str]:
    """The departments a routing names and their roles (lead first, then the co-handlers), in order."""
    wanted: dict[str, str] = {}
    if routing.get("lead"):
        wanted[str(routing["lead"])] = "lead"
    for dept in routing.get("co") or []:
        wanted.setdefault(str(dept), "co")
    return wanted


def _set_departments(conn: Connection, case_uuid: str, routing: dict[str, Any]) -> None:
    wanted = routing_departments(routing)
    existing = {
        r[0] for r in conn.execute(text("SELECT dept FROM case_departments WHERE case_uuid = :c"), {"c": case_uuid})
    }
    for dept in existing - set(wanted):
        conn.execute(
            text("DELETE FROM case_departments WHERE case_uuid = :c AND dept = :d"), {"c": case_uuid, "d": dept}
        )
    for dept, role in wanted.items():
        if dept in existing:
            conn.execute(
                text(
                    "UPDATE case_departments SET role = :r, returned_at = NULL, return_reason = NULL"
                    " WHERE case_uuid = :c AND dept = :d"
                ),
                {"c": case_uuid, "d": dept, "r": role},
            )
        else:
            conn.execute(
                text("INSERT INTO case_departments (case_uuid, dept, role) VALUES (:c, :d, :r)"),
                {"c": case_uuid, "d": dept, "r": role},
            )


@handles("case_routed", Scope.CASE)
@handles("city_assigned", Scope.CASE)
@handles("escalation_requested", Scope.CASE)  # adds justice (legal review)
@handles("escalation_declined", Scope.CASE)  # back to ordinary handling
def _case_routed(conn: Connection, ev: Event, changes: Changes) -> None:
    _set_departments(conn, str(ev.case_uuid), ev.payload["routing"])
    _apply_department_dues(conn, ev)


@handles("escalation_approved", Scope.CASE)  # the task group's opinion deadlines
@handles("extension_granted", Scope.CASE)  # one department's deadline moved
@handles("deadline_recomputed", Scope.CASE)  # a calendar import re-counted estimated deadlines
def _department_dues(conn: Connection, ev: Event, changes: Changes) -> None:
    _apply_department_dues(conn, ev)


@handles("department_signed", Scope.CASE)
def _dept_signed(conn: Connection, ev: Event, changes: Changes) -> None:
    conn.execute(
        text("UPDATE case_departments SET signed_at = :at WHERE case_uuid = :c AND dept = :d"),
        {"at": ev.payload.get("signed_at") or ev.at, "c": ev.case_uuid, "d": ev.payload["dept"]},
    )


@handles("department_returned", Scope.CASE)
def _dept_returned(conn: Connection, ev: Event, changes: Changes) -> None:
    conn.execute(
        text("UPDATE case_departments SET returned_at = :at, return_reason = :r WHERE case_uuid = :c AND dept = :d"),
        {"at": ev.at, "r": ev.payload.get("reason"), "c": ev.case_uuid, "d": ev.payload["dept"]},
    )


@handles("opinion_recorded", Scope.CASE)
def _opinion(conn: Connection, ev: Event, changes: Changes) -> None:
    file = ev.payload.get("file")
    conn.execute(
        text(
            "UPDATE case_departments SET opinion = :o, opinion_at = :at, opinion_file = :f,"
            " opinion_on = :on, on_time = :t WHERE case_uuid = :c AND dept = :d"
        ),
        {
            "o": ev.payload["text"],
            "at": ev.at,
            "on": ev.payload.get("received_on"),
            "t": ev.payload.get("on_time"),
            "f": json.dumps({k: file[k] for k in ("name", "sha256", "size")}) if isinstance(file, dict) else None,
            "c": ev.case_uuid,
            "d": ev.payload["dept"],
        },
    )


@handles("paper_printed", Scope.CASE, Scope.STORE)
def _paper_printed(conn: Connection, ev: Event, changes: Changes) -> None:
    p = ev.payload
    conn.execute(
        text(
            "INSERT OR REPLACE INTO papers (paper_no, kind, case_uuid, issued_at, author, reprint, digest)"
            " VALUES (:n, :k, :c, :at, :a, :r, :d)"
        ),
        {
            "n": p["paper_no"],
            "k": p["kind"],
            "c": ev.case_uuid,
            "at": ev.at,
            "a": local_name(ev.author, own_origin(conn)),
            "r": int(p.get("reprint", 0)),
            "d": p.get("digest", ""),
        },
    )
    changes.papers = True


@handles("station_initialised", Scope.STORE)
def _station_initialised(conn: Connection, ev: Event, changes: Changes) -> None:
    for key in ("station_code", "station_name", "town_code"):
        set_meta(conn, key, str(ev.payload[key]))
    changes.identity = True


@handles("user_added", Scope.STORE)
def _user_added(conn: Connection, ev: Event, changes: Changes) -> None:
    p = ev.payload
    conn.execute(
        text(
            "INSERT INTO users (name, role, display_name, active, created_at, sign_key)"
            " VALUES (:n, :r, :d, 1, :at, :k)"
        ),
        {"n": p["name"], "r": p["role"], "d": p.get("display_name") or p["name"], "at": ev.at,
         "k": p.get("sign_key")},
    )  # fmt: skip
    changes.users = True


@handles("store_recovered", Scope.STORE)
def _store_recovered(conn: Connection, ev: Event, changes: Changes) -> None:
    p = ev.payload
    conn.execute(
        text(
            "INSERT INTO users (name, role, display_name, active, created_at, sign_key)"
            " VALUES (:n, :r, :n, 1, :at, :k)"
            " ON CONFLICT (name) DO UPDATE SET role = :r, active = 1, sign_key = :k"
        ),
        {"n": p["name"], "r": p["role"], "at": ev.at, "k": p["sign_key"]},
    )
    changes.users = True


@handles("password_changed", Scope.STORE)
@handles("user_key_set", Scope.STORE)
def _user_key(conn: Connection, ev: Event, changes: Changes) -> None:
    if ev.payload.get("sign_key"):
        conn.execute(
            text("UPDATE users SET sign_key = :k WHERE name = :n"),
            {"k": ev.payload["sign_key"], "n": ev.payload["name"]},
        )
        changes.users = True


@handles("user_changed", Scope.STORE)
def _user_changed(conn: Connection, ev: Event, changes: Changes) -> None:
    p = ev.payload
    if "role" in p:
        conn.execute(text("UPDATE users SET role = :r WHERE name = :n"), {"r": p["role"], "n": p["name"]})
    if "active" in p:
        conn.execute(text("UPDATE users SET active = :a WHERE name = :n"), {"a": bool(p["active"]), "n": p["name"]})
    changes.users = True


@handles("setting_changed", Scope.STORE)
def _setting_changed(conn: Connection, ev: Event, changes: Changes) -> None:
    conn.execute(
        text("INSERT INTO settings (key, value) VALUES (:k, :v) ON CONFLICT(key) DO UPDATE SET value = :v"),
        {"k": ev.payload["key"], "v": json.dumps(ev.payload["value"], ensure_ascii=False, sort_keys=True)},
    )
    changes.settings = True


@handles("contacts_confirmed", Scope.STORE)
def _contacts_confirmed(conn: Connection, ev: Event, changes: Changes) -> None:
    """Merge the confirmed departments (digest, who, when) into `department_contacts_confirmed`."""
    key = "department_contacts_confirmed"
    raw = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": key}).scalar()
    value = json.loads(raw) if raw else {}
    by = local_name(ev.author, own_origin(conn))
    for dept, entry_digest in ev.payload["depts"].items():
        value[dept] = {"digest": entry_digest, "by": by, "at": ev.at}
    conn.execute(
        text("INSERT INTO settings (key, value) VALUES (:k, :v) ON CONFLICT(key) DO UPDATE SET value = :v"),
        {"k": key, "v": json.dumps(value, ensure_ascii=False, sort_keys=True)},
    )
    changes.settings = True


@handles("calendar_imported", Scope.STORE, Scope.BROADCAST)
def _calendar_imported(conn: Connection, ev: Event, changes: Changes) -> None:
    p = ev.payload
    years = [int(y) for y in p["years"]]
    for year in years:
        conn.execute(
            text("DELETE FROM calendar_days WHERE day >= :a AND day <= :b"),
            {"a": f"{year:04d}-01-01", "b": f"{year:04d}-12-31"},
        )
        conn.execute(
            text("INSERT OR REPLACE INTO calendar_years (year, source) VALUES (:y, :s)"),
            {"y": year, "s": str(p.get("source", ""))},
        )
    conn.execute(
        text("INSERT OR REPLACE INTO calendar_days (day, kind) VALUES (:d, :k)"),
        [{"d": d, "k": k} for d, k in sorted(p["days"].items())] or [{"d": "0000-00-00", "k": "none"}],
    )
    conn.execute(text("DELETE FROM calendar_days WHERE day = '0000-00-00'"))
    changes.calendar = True


@handles("conflict_resolved", Scope.CASE)
def _conflict_resolved(conn: Connection, ev: Event, changes: Changes) -> None:
    """Close the conflicts the resolution's base covers.

    The chosen event's own projection (departments, opinion...) is applied too, since the store
    that held it never applied it. The resolution's `set` then goes to the case row like any
    case event's.
    """
    changes.conflicts_closed += close_conflicts(conn, ev)
    chosen = ev.payload.get("chosen")
    other = find_event(conn, str(chosen)) if chosen else None
    if other is not None and other.case_uuid == ev.case_uuid and other.type != "case_registered":
        handler = HANDLERS.get((other.type, Scope.CASE))
        if handler is not None:
            handler(conn, other, changes)


def rebuild(conn: Connection) -> int:
    """Empty every projection and replay the whole ledger (inside the caller's transaction).

    The same fold as the appends made, so projections, conflicts and flags come out the same;
    an event flagged earlier is applied if this app now knows its type. The pending list is
    not a projection and stays as it is. Returns the number of events replayed.
    """
    clear_index(conn)
    for table in PROJECTION_TABLES:
        conn.execute(text(f"DELETE FROM {table}"))
    origin = own_origin(conn)
    count = 0
    for ev in iter_events(conn):
        apply(conn, ev, origin)
        count += 1
    return count


def case_fields(conn: Connection, case_uuid: str, without: set[str]) -> dict[str, Any]:
    """The case-row fields (CASE_FIELDS) a case would have from its events here.

    The events `without` (the losing side of a conflict) are left out: a full snapshot for a
    resolution's `set`, so that every store holding the same events ends with the same case row.
    """
    out: dict[str, Any] = {}
    for ev in iter_events(conn, case_uuid):
        if ev.uuid in without:
            continue
        if ev.type == "case_registered":
            routing = ev.payload["routing"]
            out = {key: None for key in CASE_FIELDS}
            out.update(
                extended=False,
                approved=False,
                due_estimated=False,
                clue_transferred=False,
                track=routing["track"],
                lead=routing.get("lead"),
                co=routing.get("co") or [],
                reasons=routing.get("reasons") or [],
            )
            out.update({k: v for k, v in ev.payload["set"].items() if k in CASE_FIELDS})
        else:
            out.update({k: v for k, v in effective_set(ev.type, ev.payload).items() if k in CASE_FIELDS})
    return out
