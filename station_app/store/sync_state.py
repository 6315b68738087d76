"""What a store knows about sync (DESIGN.md "Sync"; docs/sync.md).

Its profile and keys in `meta`, its peers, the acks they sent, the bundles it wrote and
received, and the forks it saw. None of this is a projection of the event log: it is the
store's transport bookkeeping, kept in the same database so that an import commits its
events, the acks it carries and the fact that it was received in one transaction. The bundle
format itself lives in `sync/`; this module only stores and queries.

Tables (migration 8):
- `sync_peers`: one row per peer. At a station, the city it is bound to (`kind` = city); at the
  city, each provisioned or enrolled station (`kind` = station) with its public identity,
  fingerprint and status (active | revoked). Also the per-peer send counter (`send_seq`), the
  last export and upload, the acks last sent (`acks_sent`, JSON), and from the receiving side
  the sender's store epoch, highest sender sequence and time of its last bundle.
- `sync_acks`: per (peer, origin, stream), the highest place of our chains the peer confirmed
  holding, with the hash there (checked against ours before it is stored; monotone).
- `sent_bundles`: every bundle written (read back and verified): its peer, sequence, size,
  event count, chain ranges (JSON) and when it was uploaded to the relay, if it was.
- `received_bundles`: every bundle imported (SYNC.md §2.6): id, sender, key id, sequence,
  SHA-256, result and counts. A known id is "already imported".
- `sync_forks`: a refused bundle whose sender's history disagrees with ours (a new store epoch
  or another event at a known place): reported in `sync status` until reconciled.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, text

from station_app.store.db import get_meta, set_meta

SYNC_DDL = (
    "CREATE TABLE IF NOT EXISTS sync_peers ("
    " peer TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT, town_code TEXT, identity TEXT,"
    " fingerprint TEXT, status TEXT NOT NULL DEFAULT 'active', revoked_at TEXT, reason TEXT,"
    " provisioned_at TEXT, enrolled_at TEXT, store_epoch TEXT, high_seq INTEGER, last_bundle_at TEXT,"
    " send_seq INTEGER NOT NULL DEFAULT 0, last_export_at TEXT, last_upload_at TEXT, acks_sent TEXT)",
    "CREATE TABLE IF NOT EXISTS sync_acks ("
    " peer TEXT NOT NULL, origin TEXT NOT NULL, stream TEXT NOT NULL, through_seq INTEGER NOT NULL,"
    " hash TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (peer, origin, stream))",
    "CREATE TABLE IF NOT EXISTS sent_bundles ("
    " bundle_id TEXT PRIMARY KEY, peer TEXT NOT NULL, sender_seq INTEGER NOT NULL, file TEXT NOT NULL,"
    " events INTEGER NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, chains TEXT NOT NULL,"
    " created_at TEXT NOT NULL, uploaded_at TEXT)",
    "CREATE INDEX IF NOT EXISTS ix_sent_bundles_peer ON sent_bundles (peer, sender_seq)",
    "CREATE TABLE IF NOT EXISTS received_bundles ("
    " bundle_id TEXT PRIMARY KEY, sender TEXT NOT NULL, sender_kid TEXT NOT NULL, sender_seq INTEGER NOT NULL,"
    " digest TEXT NOT NULL, result TEXT NOT NULL, new INTEGER NOT NULL, dup INTEGER NOT NULL, at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sync_forks ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, peer TEXT NOT NULL, kind TEXT NOT NULL, origin TEXT, stream TEXT,"
    " origin_seq INTEGER, detail TEXT NOT NULL, at TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'open')",
)

PROFILE_STATION = "station"
PROFILE_CITY = "city"


def _new_ed25519() -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return private.hex(), public.hex()


def ensure_sync_keys(conn: Connection) -> None:
    """Give a store what sync needs and an older store lacks. Idempotent.

    An Ed25519 transport key (relay requests; apart from the bundle signing key), a random
    `store_epoch` (32 hex digits) and its profile (station unless set).
    """
    if get_meta(conn, "transport_private") is None and get_meta(conn, "ed25519_private") is not None:
        private, public = _new_ed25519()
        set_meta(conn, "transport_private", private)
        set_meta(conn, "transport_public", public)
    if get_meta(conn, "store_epoch") is None:
        set_meta(conn, "store_epoch", os.urandom(16).hex())
    if get_meta(conn, "profile") is None:
        set_meta(conn, "profile", PROFILE_STATION)


def profile(conn: Connection) -> str:
    """`station` or `city`."""
    return get_meta(conn, "profile") or PROFILE_STATION


def bound_city(conn: Connection) -> str | None:
    """The code of the city a station is bound to (None: standalone, or a city store)."""
    if profile(conn) != PROFILE_STATION:
        return None
    return get_meta(conn, "city_code")


# -- peers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    """One row of `sync_peers` (see the module docstring).

    `identity` is the peer's public identity document as JSON text (keys in hex), or None before
    enrolment.
    """

    peer: str
    kind: str
    name: str | None
    town_code: str | None
    identity: str | None
    fingerprint: str | None
    status: str
    revoked_at: str | None
    reason: str | None
    provisioned_at: str | None
    enrolled_at: str | None
    store_epoch: str | None
    high_seq: int | None
    last_bundle_at: str | None
    send_seq: int
    last_export_at: str | None
    last_upload_at: str | None
    acks_sent: str | None


_PEER_COLUMNS = (
    "peer, kind, name, town_code, identity, fingerprint, status, revoked_at, reason, provisioned_at, enrolled_at,"
    " store_epoch, high_seq, last_bundle_at, send_seq, last_export_at, last_upload_at, acks_sent"
)


def _peer(r: Any) -> Peer:
    return Peer(
        peer=r[0], kind=r[1], name=r[2], town_code=r[3], identity=r[4], fingerprint=r[5], status=r[6],
        revoked_at=r[7], reason=r[8], provisioned_at=r[9], enrolled_at=r[10], store_epoch=r[11],
        high_seq=None if r[12] is None else int(r[12]), last_bundle_at=r[13], send_seq=int(r[14]),
        last_export_at=r[15], last_upload_at=r[16], acks_sent=r[17],
    )  # fmt: skip


def get_peer(conn: Connection, peer: str) -> Peer | None:
    """The peer row, or None."""
    row = conn.execute(text(f"SELECT {_PEER_COLUMNS} FROM sync_peers WHERE peer = :p"), {"p": peer}).first()
    return _peer(row) if row else None


def list_peers(conn: Connection, kind: str | None = None) -> list[Peer]:
    """Every peer (or every peer of one kind), by code."""
    sql = f"SELECT {_PEER_COLUMNS} FROM sync_peers"
    params: dict[str, Any] = {}
    if kind is not None:
        sql += " WHERE kind = :k"
        params["k"] = kind
    return [_peer(r) for r in conn.execute(text(sql + " ORDER BY peer"), params)]


def put_peer(conn: Connection, peer: str, kind: str, **values: Any) -> None:
    """Create the peer row if missing, then set the given columns (names of `Peer` fields)."""
    conn.execute(
        text("INSERT INTO sync_peers (peer, kind) VALUES (:p, :k) ON CONFLICT(peer) DO NOTHING"),
        {"p": peer, "k": kind},
    )
    allowed = set(Peer.__dataclass_fields__) - {"peer", "kind"}
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"unknown peer columns {sorted(unknown)}")
    if values:
        sets = ", ".join(f"{k} = :{k}" for k in values)
        conn.execute(text(f"UPDATE sync_peers SET {sets} WHERE peer = :p"), {**values, "p": peer})


def next_send_seq(conn: Connection, peer: str) -> int:
    """Reserve the next sender sequence for bundles to `peer` (1, 2, 3 ...)."""
    conn.execute(text("UPDATE sync_peers SET send_seq = send_seq + 1 WHERE peer = :p"), {"p": peer})
    return int(conn.execute(text("SELECT send_seq FROM sync_peers WHERE peer = :p"), {"p": peer}).scalar_one())


# -- acks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AckRow:
    """What `peer` confirmed holding of chain (origin, stream): through `through_seq`, hash there."""

    peer: str
    origin: str
    stream: str
    through_seq: int
    hash: str
    at: str


def acks_from(conn: Connection, peer: str) -> dict[tuple[str, str], AckRow]:
    """The acks `peer` sent us, by (origin, stream)."""
    rows = conn.execute(
        text("SELECT peer, origin, stream, through_seq, hash, at FROM sync_acks WHERE peer = :p"), {"p": peer}
    )
    return {(r[1], r[2]): AckRow(r[0], r[1], r[2], int(r[3]), r[4], r[5]) for r in rows}


def record_ack(conn: Connection, ack: AckRow) -> bool:
    """Store an ack if it moves forward (acks are monotone); True when it did."""
    held = conn.execute(
        text("SELECT through_seq FROM sync_acks WHERE peer = :p AND origin = :o AND stream = :s"),
        {"p": ack.peer, "o": ack.origin, "s": ack.stream},
    ).first()
    if held is not None and int(held[0]) >= ack.through_seq:
        return False
    conn.execute(
        text(
            "INSERT INTO sync_acks (peer, origin, stream, through_seq, hash, at) VALUES (:p, :o, :s, :n, :h, :at)"
            " ON CONFLICT(peer, origin, stream) DO UPDATE SET through_seq = :n, hash = :h, at = :at"
        ),
        {"p": ack.peer, "o": ack.origin, "s": ack.stream, "n": ack.through_seq, "h": ack.hash, "at": ack.at},
    )
    return True


def hash_at(conn: Connection, origin: str, stream: str, origin_seq: int) -> str | None:
    """The hash of the event at a place of a chain held here, or None."""
    row = conn.execute(
        text("SELECT hash FROM events WHERE origin = :o AND stream = :s AND origin_seq = :n"),
        {"o": origin, "s": stream, "n": origin_seq},
    ).first()
    return str(row[0]) if row else None


def heads_where(conn: Connection, origins: Iterable[str] | None, streams: Iterable[str] | None, *,
                origin_prefix: str | None = None) -> dict[tuple[str, str], tuple[int, str]]:  # fmt: skip
    """Chain heads held here, filtered by origin (exact, or by prefix such as `city:`) and stream."""
    origin_set = None if origins is None else set(origins)
    stream_set = None if streams is None else set(streams)
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for o, s, n, h in conn.execute(text("SELECT origin, stream, seq, hash FROM chain_heads")):
        if origin_set is not None and o not in origin_set:
            continue
        if origin_prefix is not None and not str(o).startswith(origin_prefix):
            continue
        if stream_set is not None and s not in stream_set:
            continue
        out[(str(o), str(s))] = (int(n), str(h))
    return out


def count_after(conn: Connection, ranges: Iterable[tuple[str, str, int]]) -> int:
    """How many events lie after `after_seq` in each (origin, stream, after_seq) chain."""
    total = 0
    for origin, stream, after in ranges:
        total += int(
            conn.execute(
                text("SELECT count(*) FROM events WHERE origin = :o AND stream = :s AND origin_seq > :a"),
                {"o": origin, "s": stream, "a": after},
            ).scalar_one()
        )
    return total


# -- bundles ----------------------------------------------------------------------------------


def record_sent(
    conn: Connection, bundle_id: str, peer: str, sender_seq: int, file: str, events: int, size: int, sha256: str,
    chains: list[dict[str, Any]], at: str,
) -> None:  # fmt: skip
    """A bundle written and verified: it counts as exported (已导出) from now on."""
    conn.execute(
        text(
            "INSERT OR REPLACE INTO sent_bundles (bundle_id, peer, sender_seq, file, events, bytes, sha256, chains,"
            " created_at, uploaded_at) VALUES (:b, :p, :n, :f, :e, :by, :sh, :c, :at, NULL)"
        ),
        {"b": bundle_id, "p": peer, "n": sender_seq, "f": file, "e": events, "by": size, "sh": sha256,
         "c": json.dumps(chains, sort_keys=True), "at": at},
    )  # fmt: skip


def mark_sent_uploaded(conn: Connection, bundle_id: str, at: str) -> str | None:
    """Record that the relay confirmed a bundle (已上传中转); returns its peer, None if unknown."""
    row = conn.execute(text("SELECT peer FROM sent_bundles WHERE bundle_id = :b"), {"b": bundle_id}).first()
    if row is None:
        return None
    conn.execute(text("UPDATE sent_bundles SET uploaded_at = :at WHERE bundle_id = :b"), {"b": bundle_id, "at": at})
    conn.execute(text("UPDATE sync_peers SET last_upload_at = :at WHERE peer = :p"), {"p": row[0], "at": at})
    return str(row[0])


def sent_bundle(conn: Connection, bundle_id: str) -> dict[str, Any] | None:
    """A written bundle's row as a dict, or None."""
    row = conn.execute(
        text("SELECT bundle_id, peer, sender_seq, file, events, bytes, sha256, chains, created_at, uploaded_at"
             " FROM sent_bundles WHERE bundle_id = :b"), {"b": bundle_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def received_bundle(conn: Connection, bundle_id: str) -> dict[str, Any] | None:
    """A received bundle's row as a dict, or None when this id was never imported."""
    row = conn.execute(
        text("SELECT bundle_id, sender, sender_kid, sender_seq, digest, result, new, dup, at"
             " FROM received_bundles WHERE bundle_id = :b"), {"b": bundle_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def received_ids(conn: Connection, sender: str) -> set[str]:
    """The ids of every bundle imported from `sender`."""
    rows = conn.execute(text("SELECT bundle_id FROM received_bundles WHERE sender = :s"), {"s": sender})
    return {str(r[0]) for r in rows}


def record_received(
    conn: Connection, bundle_id: str, sender: str, sender_kid: str, sender_seq: int, digest: str, result: str,
    new: int, dup: int, at: str,
) -> None:  # fmt: skip
    """A bundle imported (in the import's own transaction)."""
    conn.execute(
        text(
            "INSERT INTO received_bundles (bundle_id, sender, sender_kid, sender_seq, digest, result, new, dup, at)"
            " VALUES (:b, :s, :k, :n, :d, :r, :new, :dup, :at)"
        ),
        {"b": bundle_id, "s": sender, "k": sender_kid, "n": sender_seq, "d": digest, "r": result, "new": new,
         "dup": dup, "at": at},
    )  # fmt: skip


# -- forks, pending, conflicts per peer ---------------------------------------------------------


def record_fork(conn: Connection, peer: str, kind: str, detail: str, at: str, origin: str | None = None,
                stream: str | None = None, origin_seq: int | None = None) -> None:  # fmt: skip
    """Report a refused bundle whose sender's history disagrees with ours.

    `kind` is epoch | fork | ack. `detail` names places and hashes only, never event content.
    """
    conn.execute(
        text("INSERT INTO sync_forks (peer, kind, origin, stream, origin_seq, detail, at)"
             " VALUES (:p, :k, :o, :s, :n, :d, :at)"),
        {"p": peer, "k": kind, "o": origin, "s": stream, "n": origin_seq, "d": detail, "at": at},
    )  # fmt: skip


def open_forks(conn: Connection, peer: str | None = None) -> list[dict[str, Any]]:
    """Forks still open (all, or one peer's), oldest first."""
    sql = "SELECT id, peer, kind, origin, stream, origin_seq, detail, at FROM sync_forks WHERE state = 'open'"
    params: dict[str, Any] = {}
    if peer is not None:
        sql += " AND peer = :p"
        params["p"] = peer
    return [dict(r) for r in conn.execute(text(sql + " ORDER BY id"), params).mappings()]


def close_forks(conn: Connection, peer: str, at: str) -> int:
    """Mark every open fork of `peer` reconciled (a restore bundle went to it or came from it).

    Returns the number of forks closed. `at` is the ISO time (kept in the row's detail trail).
    """
    result = conn.execute(
        text("UPDATE sync_forks SET state = 'reconciled', detail = detail || ' / reconciled ' || :at"
             " WHERE peer = :p AND state = 'open'"),
        {"p": peer, "at": at},
    )  # fmt: skip
    return int(result.rowcount or 0)


def pending_from(conn: Connection, origins: Iterable[str] | None = None, *, origin_prefix: str | None = None) -> int:
    """Events held pending whose origin is one of `origins` (or starts with `origin_prefix`)."""
    rows = conn.execute(text("SELECT origin, count(*) FROM pending_events GROUP BY origin")).all()
    wanted = None if origins is None else set(origins)
    total = 0
    for origin, n in rows:
        if wanted is not None and origin not in wanted:
            continue
        if origin_prefix is not None and not str(origin).startswith(origin_prefix):
            continue
        total += int(n)
    return total


def open_conflicts_for(conn: Connection, station_code: str | None = None) -> int:
    """Open conflicts (all, or those on one station's cases)."""
    if station_code is None:
        return int(conn.execute(text("SELECT count(*) FROM conflicts WHERE state = 'open'")).scalar_one())
    return int(
        conn.execute(
            text(
                "SELECT count(*) FROM conflicts c JOIN cases k ON k.uuid = c.case_uuid"
                " WHERE c.state = 'open' AND k.station_code = :s"
            ),
            {"s": station_code},
        ).scalar_one()
    )


def events_held(conn: Connection, origin: str) -> int:
    """How many events of one origin this store holds."""
    return int(conn.execute(text("SELECT count(*) FROM events WHERE origin = :o"), {"o": origin}).scalar_one())
