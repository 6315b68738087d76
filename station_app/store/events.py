"""The append-only event log: envelope v2, per-(origin, stream) hash chains, the local ledger.

Every event has a place in its chain, (origin, stream, origin_seq), linked to the previous
event of that chain by `prev_hash`, and a portable `hash` that is the same on every store that
holds it. The order events arrived here is the ledger: `seq` plus `ledger_hash`. SYNC.md §3.1-3.2
give the reasoning. Rows written before envelope v2 keep their hash (`hash_v` 1: the store's
old global chain is its own chain); new rows use `event_hash_v2`.

Writers: `station_app.store.log` (append_local, import_foreign). Appends read the chain head and
the ledger head by key, never the whole log.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any, cast

import orjson
from sqlalchemy import Connection, text

from station_app.store.db import driver, get_meta, mark_log_appended, set_meta
from station_app.store.event_sig import EventSigner, store_signer, well_formed
from station_app.store.ids import new_uuid
from station_app.store.payloads import Scope

GENESIS = "0" * 64
HASH_V = 2  # the formula new events are hashed with
BROADCAST_STREAM = "*"


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))  # made once, not per call

# orjson writes what `_CANONICAL` writes for the values `_plain` lets through: strings (escapes,
# code point order of keys), integers, true, false, null, objects, arrays. It refuses (TypeError)
# an integer past 64 bits, a key that is not exactly a str, a lone surrogate, nesting past 255
# levels; those go to `_CANONICAL`, which decides as always. Floats (written differently: "1e16"
# against "1e+16", NaN as null), subclasses and types json refuses but orjson writes (enums,
# UUIDs, dataclasses, dates) never reach orjson.
_ORJSON_CANONICAL = (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
)  # fmt: skip
_SCALARS = frozenset({str, int, bool, type(None)})
_PLAIN_DEPTH = 64  # deeper values take the json path (no RecursionError here that json would not raise)


def canonical_json(value: object) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept.

    The text `json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))`
    writes, character for character (event hashes are taken over it). Raises what that encoder
    raises: TypeError for a value JSON cannot carry, ValueError for a circular one.
    """
    if _plain(value, 0):
        try:
            return orjson.dumps(value, option=_ORJSON_CANONICAL).decode("utf-8")
        except TypeError:  # orjson.JSONEncodeError: see _ORJSON_CANONICAL
            pass
    return _CANONICAL.encode(value)


def canonical_bytes(value: object) -> bytes:
    """`canonical_json(value)` encoded as UTF-8, what the hashes are taken over.

    Raises what `canonical_json` raises, and UnicodeEncodeError for a lone surrogate.
    """
    if _plain(value, 0):
        try:
            return orjson.dumps(value, option=_ORJSON_CANONICAL)
        except TypeError:
            pass
    return _CANONICAL.encode(value).encode("utf-8")


def _plain(value: object, depth: int) -> bool:
    """Whether `value` is made of exactly str, int, bool, None, dict, list and tuple (no float)."""
    items: Iterable[object]
    kind = type(value)
    if kind is dict:
        items = cast("dict[object, object]", value).values()
    elif kind is list or kind is tuple:
        items = cast("Iterable[object]", value)
    else:
        return kind in _SCALARS
    if depth >= _PLAIN_DEPTH:
        return False
    for item in items:  # noqa: SIM110 (a loop: twice as fast as all() over a generator here)
        if type(item) not in _SCALARS and not _plain(item, depth + 1):
            return False
    return True


def qualify(origin: str, user: str) -> str:
    """An author as events carry it: `origin/user` (a bare name is ambiguous across stores)."""
    return user if "/" in user else f"{origin}/{user}"


@dataclass(frozen=True)
class Envelope:
    """An event as it travels between stores (SYNC.md §2.6): everything but the local ledger.

    `base` is the version vector of the case the author had seen ({origin: origin_seq}; {} for a
    new case; None for an event without a case). `v` is the payload version. `key_id` and `sig`
    name the signing key and carry its signature of `hash` (event_sig.py); None on events
    written before signing existed.
    """

    uuid: str
    origin: str
    stream: str
    origin_seq: int
    hash_v: int
    hash: str
    type: str
    v: int
    scope: Scope
    case_uuid: str | None
    base: dict[str, int] | None
    author: str
    at: str
    payload: dict[str, Any]
    key_id: str | None = None
    sig: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The envelope as a JSON object (the shape bundles carry; `key_id` and `sig` only when signed)."""
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "origin": self.origin,
            "stream": self.stream,
            "origin_seq": self.origin_seq,
            "hash_v": self.hash_v,
            "hash": self.hash,
            "type": self.type,
            "v": self.v,
            "scope": self.scope.value,
            "case_uuid": self.case_uuid,
            "base": self.base,
            "author": self.author,
            "at": self.at,
            "payload": self.payload,
        }
        if self.sig is not None:
            out["key_id"] = self.key_id
            out["sig"] = self.sig
        return out

    @classmethod
    def from_json(cls, data: object) -> Envelope:
        """Read an envelope; raises ValueError naming the first key that is missing or wrong."""
        env = _plain_envelope(data) if type(data) is dict else None
        return env if env is not None else cls._from_mapping(data)

    @classmethod
    def _from_mapping(cls, data: object) -> Envelope:
        """`from_json` of any mapping, key by key (every refusal is made here)."""
        if not isinstance(data, Mapping):
            raise ValueError("event is not an object")
        get = data.get
        for key in _STR_KEYS:
            value = get(key)
            if not isinstance(value, str) or not value:
                raise ValueError(f"event key {key!r} is missing or not text")
        for key in _COUNT_KEYS:
            value = get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"event key {key!r} is missing or not a positive integer")
        if data["hash_v"] not in (1, HASH_V):
            raise ValueError("event key 'hash_v' names an unknown hash formula")
        scope = _SCOPES.get(str(get("scope")))
        if scope is None:
            raise ValueError("event key 'scope' is not case, store or broadcast")
        case_uuid = get("case_uuid")
        if (case_uuid is None) != (scope is not Scope.CASE) or not (case_uuid is None or isinstance(case_uuid, str)):
            raise ValueError("event key 'case_uuid' does not fit its scope")
        base = data.get("base")
        if base is not None and not (
            isinstance(base, dict)
            and all(isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in base.items())
        ):
            raise ValueError("event key 'base' is not a version vector")
        if not isinstance(data.get("payload"), dict):
            raise ValueError("event key 'payload' is not an object")
        key_id, sig = data.get("key_id"), data.get("sig")
        if (key_id is not None or sig is not None) and not well_formed(key_id, sig):
            raise ValueError("event keys 'key_id' and 'sig' are not a key id and a signature in hex")
        return cls(
            data["uuid"], data["origin"], data["stream"], data["origin_seq"], data["hash_v"], data["hash"],
            data["type"], data["v"], scope, case_uuid, base, data["author"], data["at"], data["payload"], key_id, sig,
        )  # fmt: skip


_STR_KEYS = ("uuid", "origin", "stream", "hash", "type", "author", "at")
_COUNT_KEYS = ("origin_seq", "hash_v", "v")
_SCOPES = {scope.value: scope for scope in Scope}
_FIELDS = tuple(Envelope.__dataclass_fields__)
_ENVELOPE_KEYS = itemgetter(*_FIELDS)
_new_object = object.__new__


def _plain_envelope(data: dict[str, Any]) -> Envelope | None:
    """`Envelope._from_mapping(data)` for an envelope as bundles carry it, or None to ask it.

    Only for exact types (str, int, dict: what a JSON reader gives), so it accepts nothing
    `_from_mapping` refuses and builds the same envelope; anything else, a refusal included,
    is left to `_from_mapping`. Built without the frozen dataclass's per-field `__setattr__`:
    an import reads tens of thousands.
    """
    try:  # one call for the sixteen keys; an event without one (unsigned, say) is read key by key
        uuid, origin, stream, origin_seq, hash_v, hash_, type_, v, scope_name, case_uuid, base, author, at, payload, \
            key_id, sig = _ENVELOPE_KEYS(data)  # fmt: skip
    except KeyError:
        return None
    scope = _SCOPES.get(scope_name) if type(scope_name) is str else None
    if not (
        type(uuid) is str and uuid and type(origin) is str and origin and type(stream) is str and stream
        and type(hash_) is str and hash_ and type(type_) is str and type_ and type(author) is str and author
        and type(at) is str and at
        and type(origin_seq) is int and origin_seq >= 1 and type(v) is int and v >= 1
        and type(hash_v) is int and (hash_v == 1 or hash_v == HASH_V) and scope is not None and type(payload) is dict
        and (type(case_uuid) is str if scope is Scope.CASE else case_uuid is None)
    ):  # fmt: skip
        return None
    if base is not None:
        if type(base) is not dict:
            return None
        for key, seq in base.items():
            if type(key) is not str or type(seq) is not int:
                return None
    if (key_id is not None or sig is not None) and not well_formed(key_id, sig):
        return None
    env: Envelope = _new_object(Envelope)
    env.__dict__.update(
        zip(
            _FIELDS,
            (uuid, origin, stream, origin_seq, hash_v, hash_, type_, v, scope, case_uuid, base, author, at, payload,
             key_id, sig),
            strict=True,
        )
    )  # fmt: skip
    return env


@dataclass(frozen=True)
class Event:
    """An event as stored here: its envelope plus its ledger place (`seq`) and chain link."""

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
    stream: str
    origin_seq: int
    hash_v: int = HASH_V
    v: int = 1
    scope: Scope = Scope.STORE
    base: dict[str, int] | None = None
    ledger_hash: str = ""
    key_id: str | None = None
    sig: str | None = None

    def envelope(self) -> Envelope:
        """The portable part of this event."""
        return Envelope(
            self.uuid, self.origin, self.stream, self.origin_seq, self.hash_v, self.hash, self.type, self.v,
            self.scope, self.case_uuid, self.base, self.author, self.at, self.payload, self.key_id, self.sig,
        )  # fmt: skip


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
    """Hash formula 1 (rows written before envelope v2; kept so they are never re-hashed)."""
    body = canonical_bytes([prev_hash, uuid, case_uuid, type_, payload_json, author, origin, at])
    return hashlib.sha256(body).hexdigest()


def event_hash_v2(prev_hash: str, env: Envelope, payload_json: str | None = None) -> str:
    """Hash formula 2: every envelope field but the hash itself, after the chain's previous hash.

    `payload_json` is `canonical_json(env.payload)` when the caller has it already.
    """
    payload_json = canonical_json(env.payload) if payload_json is None else payload_json
    body = canonical_bytes(
        [
            "v2", prev_hash, env.uuid, env.origin, env.stream, env.origin_seq, env.type, env.v, env.scope.value,
            env.case_uuid, env.base, env.author, env.at, payload_json,
        ]
    )  # fmt: skip
    return hashlib.sha256(body).hexdigest()


def envelope_hash(prev_hash: str, env: Envelope, payload_json: str | None = None) -> str:
    """The hash `env` must have after `prev_hash`, by the formula its `hash_v` names.

    `payload_json` is `canonical_json(env.payload)` when the caller has it already.
    """
    payload_json = canonical_json(env.payload) if payload_json is None else payload_json
    if env.hash_v == 1:
        return event_hash(prev_hash, env.uuid, env.case_uuid, env.type, payload_json, env.author, env.origin, env.at)
    return event_hash_v2(prev_hash, env, payload_json)


def ledger_hash(prev: str, seq: int, hash_: str, bundle_id: str | None) -> str:
    """The local ledger link: SHA-256 over (previous ledger hash, seq, event hash, bundle)."""
    return hashlib.sha256(canonical_bytes([prev, seq, hash_, bundle_id])).hexdigest()


# -- heads ------------------------------------------------------------------------------------


_HEX = re.compile("[0-9a-f]+")  # a digest: nothing in it that JSON would escape

_CHAIN_HEAD = text("SELECT seq, hash FROM chain_heads WHERE origin = :o AND stream = :s")


def chain_head(conn: Connection, origin: str, stream: str) -> tuple[int, str]:
    """(origin_seq, hash) of the last event of a chain held here; (0, GENESIS) for none."""
    row = conn.execute(_CHAIN_HEAD, {"o": origin, "s": stream}).first()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS)


def chain_heads(conn: Connection) -> dict[tuple[str, str], tuple[int, str]]:
    """Every chain held here: (origin, stream) -> (origin_seq, hash) of its head."""
    rows = conn.execute(text("SELECT origin, stream, seq, hash FROM chain_heads"))
    return {(r[0], r[1]): (int(r[2]), str(r[3])) for r in rows}


def ledger_head(conn: Connection) -> tuple[int, str]:
    """(seq, ledger_hash) of the last event that arrived here; (0, GENESIS) for an empty log."""
    value = get_meta(conn, "ledger_head")
    if not value:
        return 0, GENESIS
    seq, digest = value.split(":", 1)
    return int(seq), digest


def own_origin(conn: Connection) -> str:
    """This store's origin (its station code, or the city console's id)."""
    return get_meta(conn, "origin") or get_meta(conn, "station_code") or ""


def case_version(conn: Connection, case_uuid: str) -> dict[str, int]:
    """The version vector of a case held here: per origin, the highest origin_seq of its events."""
    rows = conn.execute(
        text("SELECT origin, max(origin_seq) FROM events WHERE case_uuid = :c GROUP BY origin"), {"c": case_uuid}
    )
    return {str(r[0]): int(r[1]) for r in rows}


def case_stream(conn: Connection, case_uuid: str) -> str | None:
    """The stream (the station whose case-space it is) of a case's first event, or None."""
    row = conn.execute(
        text("SELECT stream FROM events WHERE case_uuid = :c ORDER BY seq LIMIT 1"), {"c": case_uuid}
    ).first()
    return str(row[0]) if row else None


# -- writing ----------------------------------------------------------------------------------

_INSERT = text(
    "INSERT INTO events (seq, uuid, case_uuid, type, payload, author, origin, at, prev_hash, hash, stream,"
    " origin_seq, hash_v, v, scope, base, bundle_id, ledger_hash, key_id, sig)"
    " VALUES (:seq, :uuid, :case_uuid, :type, :payload, :author, :origin, :at, :prev_hash, :hash, :stream,"
    " :origin_seq, :hash_v, :v, :scope, :base, :bundle_id, :ledger_hash, :key_id, :sig)"
)
_SET_HEAD = text(
    "INSERT INTO chain_heads (origin, stream, seq, hash) VALUES (:o, :s, :n, :h)"
    " ON CONFLICT(origin, stream) DO UPDATE SET seq = :n, hash = :h"
)


def _row(ev: Event, bundle_id: str | None, payload_json: str | None = None) -> dict[str, Any]:
    return {
        "seq": ev.seq, "uuid": ev.uuid, "case_uuid": ev.case_uuid, "type": ev.type,
        "payload": canonical_json(ev.payload) if payload_json is None else payload_json,
        "author": ev.author, "origin": ev.origin, "at": ev.at,
        "prev_hash": ev.prev_hash, "hash": ev.hash, "stream": ev.stream, "origin_seq": ev.origin_seq,
        "hash_v": ev.hash_v, "v": ev.v, "scope": ev.scope.value,
        "base": None if ev.base is None else canonical_json(ev.base), "bundle_id": bundle_id,
        "ledger_hash": ev.ledger_hash, "key_id": ev.key_id, "sig": ev.sig,
    }  # fmt: skip


def store_events(conn: Connection, items: list[tuple[Envelope, str]], bundle_id: str | None = None) -> list[Event]:
    """Put envelopes at the end of the ledger and of their chains, in the caller's transaction.

    Each item is (envelope, prev_hash); the caller has checked that each is the next of its
    chain and that its hash fits. Updates the chain heads and the ledger head. The rows keep
    each envelope's `key_id` and `sig` as they are.
    """
    out = ledger_events(items, bundle_id, ledger_head(conn))
    if out:
        conn.execute(_INSERT, [_row(ev, bundle_id) for ev in out])
        heads = {(ev.origin, ev.stream): (ev.origin_seq, ev.hash) for ev in out}
        set_heads(conn, heads, (out[-1].seq, out[-1].ledger_hash))
    return out


def ledger_events(items: list[tuple[Envelope, str]], bundle_id: str | None, after: tuple[int, str]) -> list[Event]:
    """The events `store_events` stores for `items` after the ledger head `after` (seq, ledger_hash).

    Pure: the ledger places and links only; nothing is written.
    """
    out: list[Event] = []
    bundle_json = canonical_json(bundle_id)
    for env, prev in items:
        ev = ledger_event(env, prev, bundle_id, after, bundle_json)
        after = (ev.seq, ev.ledger_hash)
        out.append(ev)
    return out


def ledger_event(
    env: Envelope, prev: str, bundle_id: str | None, after: tuple[int, str], bundle_json: str | None = None
) -> Event:
    """One envelope's event after the ledger head `after` (`ledger_events` of one item).

    `bundle_json` is `canonical_json(bundle_id)` when the caller has it already.
    """
    seq, lhash = after[0] + 1, after[1]
    if _HEX.fullmatch(lhash) and _HEX.fullmatch(env.hash):  # `ledger_hash`'s text, without encoding a list
        bundle_json = canonical_json(bundle_id) if bundle_json is None else bundle_json
        lhash = hashlib.sha256(f'["{lhash}",{seq},"{env.hash}",{bundle_json}]'.encode()).hexdigest()
    else:
        lhash = ledger_hash(lhash, seq, env.hash, bundle_id)
    return Event(
        seq, env.uuid, env.case_uuid, env.type, env.payload, env.author, env.origin, env.at, prev, env.hash,
        env.stream, env.origin_seq, env.hash_v, env.v, env.scope, env.base, lhash, env.key_id, env.sig,
    )  # fmt: skip


_INSERT_VALUES = (
    "INSERT INTO events (seq, uuid, case_uuid, type, payload, author, origin, at, prev_hash, hash, stream,"
    " origin_seq, hash_v, v, scope, base, bundle_id, ledger_hash, key_id, sig)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def write_stored(conn: Connection, events: list[tuple[Event, str | None, str]]) -> None:
    """Insert the rows of events `ledger_events` made in one statement.

    Each item is (event, its bundle, `canonical_json` of its payload). The rows go through the
    driver's `executemany` as tuples (no per-row work in SQLAlchemy, no names to look up); the
    columns are the ones `store_events` writes. The caller moves the chain and ledger heads
    (`set_heads`).
    """
    if events:
        driver(conn).executemany(_INSERT_VALUES, [_values(ev, b, p) for ev, b, p in events])


def _values(ev: Event, bundle_id: str | None, payload_json: str) -> tuple[Any, ...]:
    """The row `_INSERT_VALUES` takes: `_row`'s values in its column order."""
    return (
        ev.seq, ev.uuid, ev.case_uuid, ev.type, payload_json, ev.author, ev.origin, ev.at, ev.prev_hash, ev.hash,
        ev.stream, ev.origin_seq, ev.hash_v, ev.v, ev.scope.value,
        None if ev.base is None else canonical_json(ev.base), bundle_id, ev.ledger_hash, ev.key_id, ev.sig,
    )  # fmt: skip


def set_heads(conn: Connection, heads: Mapping[tuple[str, str], tuple[int, str]], ledger: tuple[int, str]) -> None:
    """Move chain heads ((origin, stream) -> (origin_seq, hash)) and the ledger head (seq, hash)."""
    if heads:
        conn.execute(_SET_HEAD, [{"o": o, "s": s, "n": n, "h": h} for (o, s), (n, h) in heads.items()])
    set_meta(conn, "ledger_head", f"{ledger[0]}:{ledger[1]}")
    mark_log_appended(conn)


def seal(
    conn: Connection,
    type_: str,
    payload: dict[str, Any],
    *,
    origin: str,
    stream: str,
    scope: Scope,
    author: str,
    at: str,
    case_uuid: str | None = None,
    base: dict[str, int] | None = None,
    v: int = 1,
    event_uuid: str | None = None,
    after: tuple[int, str] | None = None,
    signer: EventSigner | None = None,
) -> tuple[Envelope, str]:
    """A new envelope at the end of chain (origin, stream), hashed by formula 2, and its prev.

    `after` is the chain head to follow (default: the head stored here), so that a batch can be
    sealed before it is stored. With `signer` the envelope carries its key id and signature of
    the hash (event_sig.py); without, it is unsigned.
    """
    seq, prev = after if after is not None else chain_head(conn, origin, stream)
    env = Envelope(
        event_uuid or new_uuid(), origin, stream, seq + 1, HASH_V, "", type_, v, scope, case_uuid, base,
        qualify(origin, author), at, payload,
    )  # fmt: skip
    digest = event_hash_v2(prev, env)
    if signer is None:
        return replace(env, hash=digest), prev
    return replace(env, hash=digest, key_id=signer.key_id, sig=signer.sign(digest)), prev


def append_many(conn: Connection, items: list[dict[str, Any]], signer: EventSigner | None = None) -> list[Event]:
    """Append many new case registrations in order (bulk loads: demo, benchmark).

    Each item: type, payload, author, origin, at, case_uuid. Payloads are checked as by
    `append_local`; the caller projects them (projection.bulk_register). Every event is signed
    by `signer` (the author's key), or by the store's key when None.
    """
    from station_app.store.payloads import check_payload

    signer = signer or store_signer(conn)

    sealed: list[tuple[Envelope, str]] = []
    heads: dict[tuple[str, str], tuple[int, str]] = {}
    for it in items:
        origin = str(it["origin"])
        key = (origin, origin)
        if key not in heads:
            heads[key] = chain_head(conn, origin, origin)
        payload = check_payload(it["type"], it["payload"])
        env, prev = seal(
            conn, it["type"], payload, origin=origin, stream=origin, scope=Scope.CASE, author=str(it["author"]),
            at=str(it["at"]), case_uuid=it["case_uuid"], base={}, after=heads[key], signer=signer,
        )  # fmt: skip
        heads[key] = (env.origin_seq, env.hash)
        sealed.append((env, prev))
    return store_events(conn, sealed)


# -- reading ----------------------------------------------------------------------------------

_COLUMNS = (
    "seq, uuid, case_uuid, type, payload, author, origin, at, prev_hash, hash, stream, origin_seq, hash_v, v,"
    " scope, base, ledger_hash, key_id, sig"
)


def _event(r: Any) -> Event:
    return Event(
        int(r[0]), r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7], r[8], r[9], r[10], int(r[11]), int(r[12]),
        int(r[13]), Scope(r[14]), None if r[15] is None else json.loads(r[15]), r[16] or "", r[17], r[18],
    )  # fmt: skip


def iter_events(conn: Connection, case_uuid: str | None = None, after_seq: int = 0) -> Iterator[Event]:
    """Events in ledger order (all, or one case's), from ledger seq `after_seq` + 1."""
    sql = f"SELECT {_COLUMNS} FROM events WHERE seq > :after"
    params: dict[str, Any] = {"after": after_seq}
    if case_uuid is not None:
        sql += " AND case_uuid = :c"
        params["c"] = case_uuid
    sql += " ORDER BY seq"
    for r in conn.execute(text(sql), params):
        yield _event(r)


def find_event(conn: Connection, uuid: str) -> Event | None:
    """One stored event by uuid, or None."""
    row = conn.execute(text(f"SELECT {_COLUMNS} FROM events WHERE uuid = :u"), {"u": uuid}).first()
    return _event(row) if row else None


def export_envelopes(conn: Connection, after_seq: int = 0) -> list[Envelope]:
    """The envelopes of the events after ledger seq `after_seq`, in ledger order.

    Ledger order is causal order: an event never comes before one its `base` names. What
    `import_foreign` takes.
    """
    return [ev.envelope() for ev in iter_events(conn, after_seq=after_seq)]


def chain_events(conn: Connection, ranges: list[tuple[str, str, int]]) -> list[Envelope]:
    """The envelopes of the events after `after_seq` in each (origin, stream, after_seq) chain.

    In ledger order (causal order): what a bundle to a peer carries.
    """
    return [_event(r).envelope() for r in _chain_rows(conn, ranges)]


def _chain_rows(conn: Connection, ranges: list[tuple[str, str, int]]) -> Iterator[Any]:
    clauses = []
    params: dict[str, Any] = {}
    for i, (origin, stream, after) in enumerate(ranges):
        clauses.append(f"(origin = :o{i} AND stream = :s{i} AND origin_seq > :a{i})")
        params.update({f"o{i}": origin, f"s{i}": stream, f"a{i}": after})
    if clauses:
        sql = f"SELECT {_COLUMNS} FROM events WHERE {' OR '.join(clauses)} ORDER BY seq"
        yield from conn.execute(text(sql), params)


@dataclass(frozen=True)
class EnvelopeLine:
    """An event as a bundle carries it: its place in its chain, and its envelope as one JSON line."""

    origin: str
    stream: str
    origin_seq: int
    hash: str
    line: bytes


_SPLICE = "\ue000payload\ue000"  # stands for the payload in a line until its stored text goes there


def chain_lines(conn: Connection, ranges: list[tuple[str, str, int]]) -> list[EnvelopeLine]:
    """What `chain_events` returns, as JSON lines (`canonical_json` of each envelope).

    The payload's stored text (canonical JSON already) is put into the line as it is instead of
    being decoded and encoded again: most of an envelope's size is its payload.
    """
    out = []
    marker = '"' + _SPLICE + '"'
    for r in _chain_rows(conn, ranges):
        payload_json = str(r[4])
        env = _event((*r[:4], "{}", *r[5:])).envelope()
        doc = env.to_json()
        doc["payload"] = _SPLICE
        line = canonical_json(doc)
        if line.count(marker) == 1:
            line = line.replace(marker, payload_json)
        else:  # the marker's text in another field: encode it whole
            line = canonical_json(replace(env, payload=json.loads(payload_json)).to_json())
        out.append(EnvelopeLine(env.origin, env.stream, env.origin_seq, env.hash, line.encode("utf-8")))
    return out
