"""Read-only queries behind the station's sync screen and the per-case sync states (SYNC.md §3.9).

Nothing here writes: the sync bookkeeping itself (acks, bundles written and uploaded) is kept
by `station_app.store.sync_state`; this module reads it together with the event log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from station_app.store.db import table_exists

_BATCH = 500


def _batches(values: Iterable[str]) -> Iterable[list[str]]:
    items = list(dict.fromkeys(values))
    for start in range(0, len(items), _BATCH):
        yield items[start : start + _BATCH]


def oldest_after(conn: Connection, origin: str, stream: str, after_seq: int) -> str | None:
    """When the first event after `after_seq` of chain (origin, stream) was written (ISO), or None."""
    row = conn.execute(
        text("SELECT at FROM events WHERE origin = :o AND stream = :s AND origin_seq > :n ORDER BY origin_seq LIMIT 1"),
        {"o": origin, "s": stream, "n": after_seq},
    ).first()
    return str(row[0]) if row else None


def case_heads(conn: Connection, origin: str, stream: str, case_uuids: Iterable[str]) -> dict[str, int]:
    """For each case, the highest place in chain (origin, stream) of its events written there.

    Cases without such an event are left out.
    """
    out: dict[str, int] = {}
    for batch in _batches(case_uuids):
        marks = ", ".join(f":c{i}" for i in range(len(batch)))
        params: dict[str, Any] = {f"c{i}": u for i, u in enumerate(batch)}
        rows = conn.execute(
            text(
                "SELECT case_uuid, max(origin_seq) FROM events WHERE origin = :o AND stream = :s"
                f" AND case_uuid IN ({marks}) GROUP BY case_uuid"
            ),
            {**params, "o": origin, "s": stream},
        )
        out.update({str(r[0]): int(r[1]) for r in rows if r[1] is not None})
    return out


def case_numbers(conn: Connection, case_uuids: Iterable[str]) -> dict[str, str]:
    """Case number by case uuid, for the cases held here."""
    out: dict[str, str] = {}
    for batch in _batches(case_uuids):
        marks = ", ".join(f":c{i}" for i in range(len(batch)))
        params = {f"c{i}": u for i, u in enumerate(batch)}
        rows = conn.execute(text(f"SELECT uuid, case_no FROM cases WHERE uuid IN ({marks})"), params)
        out.update({str(r[0]): str(r[1]) for r in rows})
    return out


_FLAGGED = "SELECT f.uuid, f.type, e.case_uuid FROM event_flags f LEFT JOIN events e ON e.uuid = f.uuid ORDER BY f.uuid"


def flagged_events(conn: Connection) -> list[tuple[str, str, str | None]]:
    """Events kept but not projected (unknown type or payload version): (uuid, type, case uuid)."""
    rows = conn.execute(text(_FLAGGED))
    return [(str(r[0]), str(r[1]), None if r[2] is None else str(r[2])) for r in rows]


def sent_through(conn: Connection, peer: str, origin: str, stream: str) -> tuple[int, int]:
    """How far chain (origin, stream) went out to `peer`.

    Returns:
        `(highest place in any bundle written and verified, highest place in a bundle the relay
        confirmed)`; 0 where none.
    """
    if not table_exists(conn, "sent_bundles"):
        return 0, 0
    exported = uploaded = 0
    rows = conn.execute(text("SELECT chains, uploaded_at FROM sent_bundles WHERE peer = :p"), {"p": peer})
    for chains_json, uploaded_at in rows:
        for chain in json.loads(chains_json or "[]"):
            if not isinstance(chain, dict) or chain.get("origin") != origin or chain.get("stream") != stream:
                continue
            high = _chain_high(chain)
            exported = max(exported, high)
            if uploaded_at:
                uploaded = max(uploaded, high)
    return exported, uploaded


def _chain_high(chain: dict[str, Any]) -> int:
    for key in ("through", "through_seq", "to", "to_seq", "last", "high"):
        value = chain.get(key)
        if isinstance(value, int):
            return value
    return 0
