"""The two ways into the event log: `append_local` and `import_foreign`.

`append_local` takes this store's own events (through a `Recorder`), `import_foreign` the
events other stores wrote. Both store and project in one transaction. SYNC.md §3.4 is the
import algorithm; DESIGN.md "Sync" the rules it keeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from station_app.clock import Clock
from station_app.gc_pause import gc_paused
from station_app.store.bulk_import import import_batch
from station_app.store.conflicts import NEW_CASE, lifecycle_target
from station_app.store.db import set_meta, write
from station_app.store.event_sig import EventSigner, store_signer
from station_app.store.events import (
    BROADCAST_STREAM,
    Envelope,
    Event,
    case_stream,
    case_version,
    own_origin,
    seal,
    store_events,
)
from station_app.store.payloads import PAYLOADS, MalformedPayload, Payload, Scope, check_payload
from station_app.store.projection import Changes, apply
from station_app.store.signature_check import check_role_bearing


@dataclass(frozen=True)
class Appended:
    """A local event as stored, and what projecting it changed."""

    event: Event
    changes: Changes


def append_local(
    conn: Connection,
    type_: str,
    payload: Mapping[str, Any] | Payload,
    *,
    origin: str,
    author: str,
    at: str,
    case_uuid: str | None = None,
    scope: Scope | None = None,
    event_uuid: str | None = None,
    signer: EventSigner | None = None,
) -> Appended:
    """Append one event written here and project it, inside the caller's write transaction.

    The payload is checked against its class (payloads.py); `author` is the user name, stored
    as `origin/user`. A case event goes to the chain of the case's stream with `base` = the
    case's version vector here; any other event to this store's own chain (`*` for a broadcast).
    Reads the chain and ledger heads by key: O(1) in the size of the log. The event is signed
    by `signer` (the author's personal key), or by the store's key when None: a system event,
    or a session without the user's key (event_sig.py).

    Raises KeyError for an unregistered type, MalformedPayload for a payload that does not fit,
    ValueError for a scope the type does not allow or a `set.status` that contradicts the
    lifecycle table's `Action.target`.
    """
    data = check_payload(type_, payload)
    cls = PAYLOADS[type_]
    if scope is None:
        scope = Scope.CASE if case_uuid is not None else next(s for s in cls.SCOPES if s is not Scope.CASE)
    if scope not in cls.SCOPES or (scope is Scope.CASE) != (case_uuid is not None):
        raise ValueError(f"{type_}: scope {scope.value} does not fit (case_uuid given: {case_uuid is not None})")
    target = lifecycle_target(type_)
    stated = (data.get("set") or {}).get("status")
    if target is not None and stated is not None and stated != target:
        raise ValueError(f"{type_}: set.status {stated!r} contradicts the lifecycle target {target!r}")
    if not own_origin(conn):  # a store made without an origin (the benchmark's plain one) takes its writer's
        set_meta(conn, "origin", origin)
    base: dict[str, int] | None = None
    if scope is Scope.CASE and type_ == NEW_CASE:
        stream, base = origin, {}  # a new case: in this store's stream, nothing seen before it
    elif scope is Scope.CASE:
        assert case_uuid is not None
        stream = case_stream(conn, case_uuid) or origin
        base = case_version(conn, case_uuid)
    else:
        stream = BROADCAST_STREAM if scope is Scope.BROADCAST else origin
    env, prev = seal(
        conn, type_, data, origin=origin, stream=stream, scope=scope, author=author, at=at, case_uuid=case_uuid,
        base=base, v=cls.V, event_uuid=event_uuid, signer=signer or store_signer(conn),
    )  # fmt: skip
    (ev,) = store_events(conn, [(env, prev)])
    return Appended(ev, apply(conn, ev, origin))


@dataclass(frozen=True)
class Recorder:
    """Writes the events of one user at this store: what the services record through.

    `signer` is the user's personal key; None signs with the store's key (a system writer).
    """

    origin: str
    user: str
    clock: Clock
    signer: EventSigner | None = None

    def record(
        self,
        conn: Connection,
        type_: str,
        payload: Mapping[str, Any] | Payload,
        case_uuid: str | None = None,
    ) -> Appended:
        """`append_local` with this user, origin and the clock's time (see there for errors)."""
        at = self.clock.now().isoformat(timespec="seconds")
        return append_local(
            conn, type_, payload, origin=self.origin, author=self.user, at=at, case_uuid=case_uuid, signer=self.signer
        )


# -- import -----------------------------------------------------------------------------------


class MalformedEvent(ValueError):
    """An incoming event that cannot be read or whose payload does not fit its class.

    Nothing of its batch was stored. `uuid` names it (or its position when it has none).
    """

    def __init__(self, uuid: str, why: str) -> None:
        """The event `uuid` and why it was refused."""
        super().__init__(f"事件 {uuid} 格式错误: {why}")
        self.uuid = uuid
        self.why = why


class ForgedEvent(ValueError):
    """An incoming role-bearing event (accounts, roles, keys) whose signature does not hold.

    Its signature is missing, does not verify, or is not its signer's to give; nothing of its
    batch was stored.
    """

    def __init__(self, uuid: str, type_: str, why: str) -> None:
        """The event `uuid` of type `type_`, and why its signature was refused."""
        super().__init__(f"事件 {uuid}({type_})签名不可信,整批未导入: {why}")
        self.uuid = uuid
        self.type = type_
        self.why = why


@dataclass(frozen=True)
class Fork:
    """Two different events claim one place: the whole batch was refused."""

    uuid: str
    origin: str
    stream: str
    origin_seq: int
    reason: str  # same_uuid_other_hash | position_taken | hash_mismatch

    def to_json(self) -> dict[str, Any]:
        """The fork as reported (no payload: it may carry personal data)."""
        return {"uuid": self.uuid, "origin": self.origin, "stream": self.stream, "origin_seq": self.origin_seq,
                "reason": self.reason}  # fmt: skip


@dataclass
class ImportResult:
    """What `import_foreign` did. When `forks` is not empty nothing was stored."""

    new: list[str] = field(default_factory=list)  # appended and projected (or flagged / held)
    duplicates: int = 0
    pending: list[str] = field(default_factory=list)  # of this batch, still waiting
    released: list[str] = field(default_factory=list)  # waiting from before, appended now
    forks: list[Fork] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    @property
    def committed(self) -> bool:
        """Whether the batch was stored (False: a fork refused it whole)."""
        return not self.forks

    def to_json(self) -> dict[str, Any]:
        """Counts in the shape of `sync import` (DESIGN.md), plus released, forks and flagged."""
        return {
            "events": len(self.new), "duplicates": self.duplicates, "pending": len(self.pending),
            "released": len(self.released), "forks": [f.to_json() for f in self.forks],
            "flagged": len(self.changes.flagged), "conflicts": self.changes.conflicts_opened,
        }  # fmt: skip


class _Refused(Exception):
    pass


@dataclass(frozen=True)
class CheckedEvents:
    """A batch read and checked by `check_events`; `import_foreign` takes it without checking again."""

    envelopes: tuple[Envelope, ...]


def check_events(items: Iterable[Envelope | Mapping[str, Any]]) -> CheckedEvents:
    """Read and check a batch as `import_foreign` does first, without touching the store.

    So that a caller can do it ahead, on another thread (the next bundle of a folder).

    Raises:
        MalformedEvent: an event that cannot be read or whose payload does not fit its class.
    """
    with gc_paused():
        return CheckedEvents(tuple(_parse(items)))


def _parse(items: Iterable[Envelope | Mapping[str, Any]]) -> list[Envelope]:
    out: list[Envelope] = []
    for index, item in enumerate(items):
        if type(item) is dict:  # an event as a bundle carries it: its name only if it is refused
            try:
                env = Envelope.from_json(item)
            except ValueError as exc:
                raise MalformedEvent(str(item.get("uuid") or f"#{index + 1}"), str(exc)) from None
        else:
            name = str(item.get("uuid") or f"#{index + 1}") if isinstance(item, Mapping) else item.uuid
            try:
                env = item if isinstance(item, Envelope) else Envelope.from_json(item)
            except ValueError as exc:
                raise MalformedEvent(name, str(exc)) from None
        cls = PAYLOADS.get(env.type)
        if cls is not None and env.v == cls.V:  # an unknown type or version is kept unchecked
            if env.scope not in cls.SCOPES:
                raise MalformedEvent(env.uuid, f"scope {env.scope.value} is not allowed for {env.type}")
            try:
                cls.check_json(env.payload)
            except MalformedPayload as exc:
                raise MalformedEvent(env.uuid, str(exc)) from None
        out.append(env)
    return out


def import_foreign(
    engine: Engine,
    events: Iterable[Envelope | Mapping[str, Any]] | CheckedEvents,
    bundle_id: str | None = None,
    also: Callable[[Connection, ImportResult], None] | None = None,
) -> ImportResult:
    """Import events written by other stores: one write transaction for the whole batch.

    Per event (SYNC.md §3.4): a known uuid with the same hash is a duplicate (skipped); a known
    uuid with another hash, an unknown uuid at a place already taken, or a hash that does not
    follow the chain is a fork: the whole batch is rolled back and the fork reported. The next
    event of its chain is appended and projected; one after a gap, or whose `base` names events
    not here yet, waits in `pending_events` and is released when they arrive. An event of an
    unknown type or payload version is stored (its chain stays verifiable), not projected, and
    flagged. Raises MalformedEvent (nothing stored) for an event that cannot be read or whose
    payload does not fit its class, and ForgedEvent (nothing stored) for a role-bearing event
    whose signature is missing, bad or not an admin's (`_check_signatures`).

    `events` may be a `CheckedEvents` (from `check_events`): then it is not read again.

    `also`, when given, runs inside the same transaction after the events are stored (not when
    a fork refused the batch): what the bundle carried besides its events (acks, the record that
    it was received), so that all of it commits or none. Whatever it raises rolls back the batch.
    """
    with gc_paused():
        return _import(engine, events, bundle_id, also)


def _import(
    engine: Engine,
    events: Iterable[Envelope | Mapping[str, Any]] | CheckedEvents,
    bundle_id: str | None,
    also: Callable[[Connection, ImportResult], None] | None,
) -> ImportResult:
    envs = list(events.envelopes) if isinstance(events, CheckedEvents) else _parse(events)
    result = ImportResult()
    try:
        with write(engine) as conn:
            _check_signatures(conn, envs)
            import_batch(conn, envs, bundle_id, result)
            if result.forks:
                raise _Refused
            if also is not None:
                also(conn, result)
    except _Refused:
        return ImportResult(forks=result.forks)
    return result


def _check_signatures(conn: Connection, envs: list[Envelope]) -> None:
    """Refuse the batch (ForgedEvent) when a role-bearing event's signature does not hold.

    The rules are signature_check.py's; the other events' signatures are left to
    `audit verify`.
    """
    refused = check_role_bearing(conn, envs)
    if refused is not None:
        raise ForgedEvent(refused.uuid, refused.type, refused.reason)


@dataclass(frozen=True)
class PendingInfo:
    """One event waiting in the pending list (shown to the user: 待处理)."""

    uuid: str
    origin: str
    stream: str
    origin_seq: int
    reason: str
    type: str
    case_uuid: str | None


def pending_list(conn: Connection) -> list[PendingInfo]:
    """The events waiting for a gap or a base, by chain and place."""
    rows = conn.execute(
        text("SELECT uuid, origin, stream, origin_seq, reason, envelope FROM pending_events"
             " ORDER BY origin, stream, origin_seq")
    )  # fmt: skip
    out = []
    for r in rows:
        env = json.loads(r[5])
        out.append(PendingInfo(r[0], r[1], r[2], int(r[3]), r[4], str(env["type"]), env.get("case_uuid")))
    return out
