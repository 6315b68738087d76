"""Projections: the tables the screens read, updated from each event in its transaction.

`apply` is a pure function of the event, so `rebuild` can replay the log into empty tables.
Case events carry a `set` object with the case-row fields they change (status, stage,
deadline...), and `dept_due` with each department's opinion deadline that the event starts or
moves, both computed by the service when the event was made; replay never recomputes.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text

from station_app.store.db import set_meta
from station_app.store.events import Event, iter_events
from station_app.store.models import PROJECTION_TABLES, TEXT_COLUMNS
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


def apply(conn: Connection, ev: Event) -> None:
    handler = _HANDLERS.get(ev.type)
    if handler is not None:
        handler(conn, ev)
    if ev.case_uuid and ev.type != "case_registered":
        _apply_department_dues(conn, ev)
        _apply_case_set(conn, ev)
        if ev.type not in _NO_NOTE:
            conn.execute(
                text("INSERT INTO case_notes (case_uuid, kind, body, at, author) VALUES (:c, :k, :b, :at, :a)"),
                {
                    "c": ev.case_uuid,
                    "k": ev.type,
                    "b": json.dumps(_note_body(ev.payload), ensure_ascii=False, sort_keys=True),
                    "at": ev.at,
                    "a": ev.author,
                },
            )


_NO_NOTE = frozenset({"personal_data_revealed", "paper_printed"})


def _note_body(payload: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in payload.items() if k not in ("set", "file")}
    if isinstance(payload.get("file"), dict):
        body["file_name"] = payload["file"].get("name")
    return body


def _apply_department_dues(conn: Connection, ev: Event) -> None:
    """`dept_due`: {dept: {"due_date", "due_estimated", "extended"?}} for departments whose
    opinion deadline the event starts (routing, assignment, approval) or moves (extension)."""
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


def _apply_case_set(conn: Connection, ev: Event) -> None:
    changes = ev.payload.get("set") or {}
    assigns: list[str] = ["updated_at = :updated_at"]
    params: dict[str, Any] = {"uuid": ev.case_uuid, "updated_at": ev.at}
    for key, value in changes.items():
        if key not in CASE_FIELDS:
            continue
        assigns.append(f"{key} = :{key}")
        params[key] = json.dumps(value, ensure_ascii=False) if key in JSON_FIELDS else value
    conn.execute(text(f"UPDATE cases SET {', '.join(assigns)} WHERE uuid = :uuid"), params)


def _employer(intake: dict[str, Any]) -> str | None:
    applicant = intake.get("applicant") or {}
    respondent = intake.get("respondent") or {}
    if applicant.get("kind") == "employer":
        return str(applicant.get("name"))
    if respondent and respondent.get("kind") == "employer":
        return str(respondent.get("name"))
    return None


def case_row(ev: Event) -> dict[str, Any]:
    """The `cases` row a `case_registered` event makes, with its `case_texts` columns."""
    p = ev.payload
    intake: dict[str, Any] = p["intake"]
    routing: dict[str, Any] = p["routing"]
    applicant = intake["applicant"]
    respondent = intake.get("respondent") or {}
    row = {
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
        "handler": ev.author,
        "created_at": ev.at,
        "updated_at": ev.at,
    }
    return row


def _insert_sql(row: dict[str, Any]) -> str:
    """INSERT of the `cases` columns of `row` (its long texts go to `case_texts`)."""
    columns = [k for k in row if k not in TEXT_COLUMNS]
    return f"INSERT INTO cases ({', '.join(columns)}) VALUES ({', '.join(':' + k for k in columns)})"


_INSERT_TEXTS = text(
    "INSERT INTO case_texts (case_id, summary, claim, intake) VALUES (:id, :summary, :claim, :intake)"
)


def _case_registered(conn: Connection, ev: Event) -> None:
    row = case_row(ev)
    result = conn.execute(text(_insert_sql(row)), row)
    case_id = int(result.lastrowid or 0)
    conn.execute(_INSERT_TEXTS, {**row, "id": case_id})
    _set_departments(conn, str(ev.case_uuid), ev.payload["routing"])
    index_case(conn, case_id, row)


def bulk_register(conn: Connection, evs: list[Event]) -> None:
    """Project many `case_registered` events at once (bulk loads: demo, benchmark, import)."""
    if not evs:
        return
    start = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar_one()) + 1
    rows = []
    depts = []
    for offset, ev in enumerate(evs):
        row = case_row(ev)
        row["id"] = start + offset
        rows.append(row)
        routing = ev.payload["routing"]
        if routing.get("lead"):
            depts.append({"c": ev.case_uuid, "d": routing["lead"], "r": "lead"})
        depts.extend(
            {"c": ev.case_uuid, "d": d, "r": "co"} for d in routing.get("co") or [] if d != routing.get("lead")
        )
    conn.execute(text(_insert_sql(rows[0])), rows)
    conn.execute(_INSERT_TEXTS, rows)
    if depts:
        conn.execute(text("INSERT INTO case_departments (case_uuid, dept, role) VALUES (:c, :d, :r)"), depts)
    index_cases(conn, [(int(r["id"]), r) for r in rows])


def _set_departments(conn: Connection, case_uuid: str, routing: dict[str, Any]) -> None:
    wanted: dict[str, str] = {}
    if routing.get("lead"):
        wanted[str(routing["lead"])] = "lead"
    for dept in routing.get("co") or []:
        wanted.setdefault(str(dept), "co")
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


def _case_routed(conn: Connection, ev: Event) -> None:
    _set_departments(conn, str(ev.case_uuid), ev.payload["routing"])


def _dept_signed(conn: Connection, ev: Event) -> None:
    conn.execute(
        text("UPDATE case_departments SET signed_at = :at WHERE case_uuid = :c AND dept = :d"),
        {"at": ev.payload.get("signed_at") or ev.at, "c": ev.case_uuid, "d": ev.payload["dept"]},
    )


def _dept_returned(conn: Connection, ev: Event) -> None:
    conn.execute(
        text("UPDATE case_departments SET returned_at = :at, return_reason = :r WHERE case_uuid = :c AND dept = :d"),
        {"at": ev.at, "r": ev.payload.get("reason"), "c": ev.case_uuid, "d": ev.payload["dept"]},
    )


def _opinion(conn: Connection, ev: Event) -> None:
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


def _paper_printed(conn: Connection, ev: Event) -> None:
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
            "a": ev.author,
            "r": int(p.get("reprint", 0)),
            "d": p.get("digest", ""),
        },
    )


def _station_initialised(conn: Connection, ev: Event) -> None:
    for key in ("station_code", "station_name", "town_code"):
        set_meta(conn, key, str(ev.payload[key]))


def _user_added(conn: Connection, ev: Event) -> None:
    p = ev.payload
    conn.execute(
        text("INSERT INTO users (name, role, display_name, active, created_at) VALUES (:n, :r, :d, 1, :at)"),
        {"n": p["name"], "r": p["role"], "d": p.get("display_name") or p["name"], "at": ev.at},
    )


def _user_changed(conn: Connection, ev: Event) -> None:
    p = ev.payload
    if "role" in p:
        conn.execute(text("UPDATE users SET role = :r WHERE name = :n"), {"r": p["role"], "n": p["name"]})
    if "active" in p:
        conn.execute(text("UPDATE users SET active = :a WHERE name = :n"), {"a": bool(p["active"]), "n": p["name"]})


def _setting_changed(conn: Connection, ev: Event) -> None:
    conn.execute(
        text("INSERT INTO settings (key, value) VALUES (:k, :v) ON CONFLICT(key) DO UPDATE SET value = :v"),
        {"k": ev.payload["key"], "v": json.dumps(ev.payload["value"], ensure_ascii=False, sort_keys=True)},
    )


def _contacts_confirmed(conn: Connection, ev: Event) -> None:
    """Merge the confirmed departments (digest, who, when) into `department_contacts_confirmed`."""
    key = "department_contacts_confirmed"
    raw = conn.execute(text("SELECT value FROM settings WHERE key = :k"), {"k": key}).scalar()
    value = json.loads(raw) if raw else {}
    for dept, entry_digest in ev.payload["depts"].items():
        value[dept] = {"digest": entry_digest, "by": ev.author, "at": ev.at}
    conn.execute(
        text("INSERT INTO settings (key, value) VALUES (:k, :v) ON CONFLICT(key) DO UPDATE SET value = :v"),
        {"k": key, "v": json.dumps(value, ensure_ascii=False, sort_keys=True)},
    )


def _calendar_imported(conn: Connection, ev: Event) -> None:
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


_HANDLERS = {
    "case_registered": _case_registered,
    "case_routed": _case_routed,
    "city_assigned": _case_routed,
    "escalation_requested": _case_routed,  # adds justice (legal review)
    "escalation_declined": _case_routed,  # back to ordinary handling
    "department_signed": _dept_signed,
    "department_returned": _dept_returned,
    "opinion_recorded": _opinion,
    "paper_printed": _paper_printed,
    "station_initialised": _station_initialised,
    "user_added": _user_added,
    "user_changed": _user_changed,
    "setting_changed": _setting_changed,
    "contacts_confirmed": _contacts_confirmed,
    "calendar_imported": _calendar_imported,
}


def rebuild(conn: Connection) -> int:
    """Empty every projection and replay the whole log (inside the caller's transaction)."""
    clear_index(conn)
    for table in PROJECTION_TABLES:
        conn.execute(text(f"DELETE FROM {table}"))
    count = 0
    for ev in iter_events(conn):
        apply(conn, ev)
        count += 1
    return count
