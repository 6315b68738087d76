"""The append-only, hash-chained event log: the audit trail and what sync ships."""

from __future__ import annotations

import hashlib
import json
import uuid as uuid_mod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from station_app.store.db import get_meta, set_meta

GENESIS = "0" * 64


def canonical_json(value: object) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Event:
    seq: int
    uuid: str
    case_uuid: str | None
    type: str
    payload: dict[str, Any]
    author: str
    origin: str
    at: str
    prev_hash: str
    hash: str


def event_hash(
    prev_hash: str,
    uuid: str,
    case_uuid: str | None,
    type_: str,
    payload_json: str,
    author: str,
    origin: str,
    at: str,
) -> str:
    body = canonical_json([prev_hash, uuid, case_uuid, type_, payload_json, author, origin, at])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(
    conn: Connection,
    type_: str,
    payload: dict[str, Any],
    *,
    author: str,
    origin: str,
    at: str,
    case_uuid: str | None = None,
    event_uuid: str | None = None,
) -> Event:
    """Append one event inside the caller's write transaction and return it."""
    row = conn.execute(text("SELECT hash FROM events ORDER BY seq DESC LIMIT 1")).first()
    prev = row[0] if row else GENESIS
    uid = event_uuid or str(uuid_mod.uuid4())
    payload_json = canonical_json(payload)
    digest = event_hash(prev, uid, case_uuid, type_, payload_json, author, origin, at)
    result = conn.execute(
        text(
            "INSERT INTO events (uuid, case_uuid, type, payload, author, origin, at, prev_hash, hash)"
            " VALUES (:u, :c, :t, :p, :a, :o, :at, :prev, :h)"
        ),
        {
            "u": uid,
            "c": case_uuid,
            "t": type_,
            "p": payload_json,
            "a": author,
            "o": origin,
            "at": at,
            "prev": prev,
            "h": digest,
        },
    )
    seq = int(result.lastrowid or 0)
    set_meta(conn, "event_head", f"{seq}:{digest}")
    return Event(seq, uid, case_uuid, type_, payload, author, origin, at, prev, digest)


def append_many(conn: Connection, items: list[dict[str, Any]]) -> list[Event]:
    """Append many events in order (bulk loads). Each item: type, payload, author, origin,
    at, case_uuid; the chain is computed as by `append`."""
    row = conn.execute(text("SELECT hash FROM events ORDER BY seq DESC LIMIT 1")).first()
    prev = row[0] if row else GENESIS
    start = int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM events")).scalar_one()) + 1
    out: list[Event] = []
    rows: list[dict[str, Any]] = []
    for offset, it in enumerate(items):
        uid = str(uuid_mod.uuid4())
        payload_json = canonical_json(it["payload"])
        digest = event_hash(prev, uid, it["case_uuid"], it["type"], payload_json, it["author"], it["origin"], it["at"])
        rows.append({"s": start + offset, "u": uid, "c": it["case_uuid"], "t": it["type"], "p": payload_json,
                     "a": it["author"], "o": it["origin"], "at": it["at"], "prev": prev, "h": digest})
        out.append(Event(start + offset, uid, it["case_uuid"], it["type"], it["payload"], it["author"], it["origin"],
                         it["at"], prev, digest))
        prev = digest
    if rows:
        conn.execute(
            text(
                "INSERT INTO events (seq, uuid, case_uuid, type, payload, author, origin, at, prev_hash, hash)"
                " VALUES (:s, :u, :c, :t, :p, :a, :o, :at, :prev, :h)"
            ),
            rows,
        )
        set_meta(conn, "event_head", f"{out[-1].seq}:{out[-1].hash}")
    return out


def iter_events(conn: Connection, case_uuid: str | None = None) -> Iterator[Event]:
    sql = "SELECT seq, uuid, case_uuid, type, payload, author, origin, at, prev_hash, hash FROM events"
    params: dict[str, Any] = {}
    if case_uuid is not None:
        sql += " WHERE case_uuid = :c"
        params["c"] = case_uuid
    sql += " ORDER BY seq"
    for r in conn.execute(text(sql), params):
        yield Event(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7], r[8], r[9])


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    count: int
    bad_seq: int | None = None
    bad_uuid: str | None = None
    reason: str | None = None


def verify_chain(conn: Connection) -> ChainReport:
    """Recompute every hash in order; report the first event that does not match."""
    prev = GENESIS
    count = 0
    last_seq = 0
    rows = conn.execute(
        text("SELECT seq, uuid, case_uuid, type, payload, author, origin, at, prev_hash, hash FROM events ORDER BY seq")
    )
    for r in rows:
        count += 1
        if r[8] != prev:
            return ChainReport(False, count, r[0], r[1], "前一事件哈希不符(事件被删除或插入)")
        expected = event_hash(r[8], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
        if expected != r[9]:
            return ChainReport(False, count, r[0], r[1], "事件内容与哈希不符(事件被修改)")
        prev = r[9]
        last_seq = int(r[0])
    if count and get_meta(conn, "event_head") != f"{last_seq}:{prev}":
        return ChainReport(False, count, last_seq, None, "事件日志末尾被截断或改写")
    return ChainReport(True, count)
