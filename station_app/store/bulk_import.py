"""The import algorithm of SYNC.md §3.4 for a whole batch at once, with few statements.

A bundle of a station's backlog holds tens of thousands of events, most of them new cases and
their follow-ups. Asking the store about each event (is its uuid known, where is its chain's
head, what has its case seen), then storing and projecting it one statement at a time, costs
about eleven statements an event. Here the batch is read once (known uuids, chain heads, the
cases' version vectors, what is pending), every decision is taken in memory in bundle order
exactly as the event-by-event algorithm takes it, and the writes are buffered and sent by
`executemany`:

- events rows, the chain heads and the ledger head (hashes computed as `store_events` does);
- new cases: their `cases`, `case_texts`, `case_departments` rows and search index entries,
  with the `set` of their follow-ups in the same batch folded into the row before it is
  written (the same row the updates would leave);
- follow-ups of cases stored before: one UPDATE per case with the columns' last values;
- notes, flags, held events.

An event whose projection reads the store (a handler of its own, a store or broadcast event,
a case event concurrent with another: `find_conflicts`) is applied by `projection.apply`
after the buffers are written, so it reads what the event-by-event path would read. Inserts
keep their order per table, so row ids are the ones the event-by-event path gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from station_app.store.conflicts import NEW_CASE
from station_app.store.db import driver
from station_app.store.events import (
    GENESIS,
    Envelope,
    Event,
    canonical_json,
    chain_heads,
    envelope_hash,
    ledger_event,
    ledger_head,
    own_origin,
    set_heads,
    write_stored,
)
from station_app.store.payloads import Scope
from station_app.store.projection import (
    FLAG_SQL,
    HANDLERS,
    NOTE_SQL,
    TEXTS_SQL,
    apply,
    case_insert_sql,
    case_row,
    case_set_values,
    case_update_sql,
    note_row,
    routing_departments,
    unknown_flag,
)
from station_app.store.search_index import index_cases

if TYPE_CHECKING:
    from station_app.store.log import Fork, ImportResult

CHUNK = 500  # values in one `IN (...)` list: well under SQLite's limit on parameters
_HOLD_SQL = (
    "INSERT INTO pending_events (uuid, origin, stream, origin_seq, reason, hash, envelope, bundle_id)"
    " VALUES (:u, :o, :s, :n, :r, :h, :e, :b)"
)
_NOW_MISSING_BASE = "UPDATE pending_events SET reason = 'missing_base' WHERE uuid = ?"
_DEPT_SQL = "INSERT INTO case_departments (case_uuid, dept, role) VALUES (:c, :d, :r)"


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _marks(values: list[str]) -> str:
    return ", ".join("?" * len(values))


@dataclass
class _Waiting:
    """One pending event as the release loop sees it."""

    uuid: str
    env: Envelope
    reason: str
    bundle_id: str | None


class BulkImport:
    """One batch's import inside the caller's write transaction (see the module docstring).

    Args:
        conn: the write transaction.
        result: filled in as `import_foreign` reports it; `result.forks` not empty means the
            caller must roll back.
    """

    def __init__(self, conn: Connection, result: ImportResult) -> None:
        """Read what every decision needs that does not depend on the batch."""
        self.conn = conn
        self.db = driver(conn)
        self.result = result
        self.origin = own_origin(conn)
        self.heads = chain_heads(conn)
        self.ledger = ledger_head(conn)
        self.known: dict[str, str] = {}  # uuid -> hash, stored or pending
        self.taken: set[tuple[str, str, int]] = set()  # places held by pending events
        self.waiting_any = conn.execute(text("SELECT 1 FROM pending_events LIMIT 1")).first() is not None
        if self.waiting_any:
            for uuid, hash_, origin, stream, seq in self.db.execute(
                "SELECT uuid, hash, origin, stream, origin_seq FROM pending_events"
            ):
                self.known[uuid] = hash_
                self.taken.add((origin, stream, int(seq)))
        self.versions: dict[str, dict[str, int]] = {}  # case -> origin -> highest origin_seq here
        self.next_case_id: int | None = None
        self.bundle_json: tuple[str | None, str] | None = None  # a bundle id and its JSON, for the ledger links
        self._reset_buffers()

    def _reset_buffers(self) -> None:
        self.stored: list[tuple[Event, str | None, str]] = []
        self.moved: dict[tuple[str, str], tuple[int, str]] = {}
        self.held: list[dict[str, Any]] = []
        self.flags: list[dict[str, Any]] = []
        self.new_cases: dict[str, dict[str, Any]] = {}  # case uuid -> its row, not written yet
        self.departments: list[dict[str, Any]] = []
        self.updates: dict[str, dict[str, Any]] = {}  # case uuid -> columns to set
        self.notes: list[dict[str, Any]] = []
        self.leaving: list[str] = []

    # -- reading ahead ----------------------------------------------------------------------

    def read_ahead(self, envs: list[Envelope]) -> None:
        """Read the known uuids (with their hash) and the version vectors of the batch's cases.

        One query per CHUNK values, not one per event.
        """
        uuids = [env.uuid for env in envs]
        for part in _chunks(uuids):
            sql = f"SELECT uuid, hash FROM events WHERE uuid IN ({_marks(part)})"
            self.known.update((u, h) for u, h in self.db.execute(sql, part))
        self._read_versions({env.case_uuid for env in envs if env.case_uuid is not None})

    def _read_versions(self, cases: set[str]) -> None:
        wanted = sorted(cases - self.versions.keys())
        for case in wanted:
            self.versions[case] = {}
        for part in _chunks(wanted):
            sql = (
                "SELECT case_uuid, origin, max(origin_seq) FROM events"
                f" WHERE case_uuid IN ({_marks(part)}) GROUP BY case_uuid, origin"
            )
            for case, origin, seq in self.db.execute(sql, part):
                self.versions[case][origin] = int(seq)

    # -- the algorithm ----------------------------------------------------------------------

    def run(self, envs: list[Envelope], bundle_id: str | None) -> None:
        """SYNC.md §3.4 step 3 for each event in order, then the release of what waited."""
        self.read_ahead(envs)
        result = self.result
        for env in envs:
            stored = self.known.get(env.uuid)
            if stored is not None:
                if stored == env.hash:
                    result.duplicates += 1
                    continue
                result.forks.append(_fork(env, "same_uuid_other_hash"))
                return
            head_seq, head_hash = self.heads.get((env.origin, env.stream), (0, GENESIS))
            if env.origin_seq <= head_seq or (env.origin, env.stream, env.origin_seq) in self.taken:
                result.forks.append(_fork(env, "position_taken"))
                return
            if env.origin_seq > head_seq + 1:
                self._hold(env, "gap", bundle_id)
            elif not self._base_here(env):
                self._hold(env, "missing_base", bundle_id)
            elif not self._append(env, head_hash, bundle_id):
                return
        self.flush()
        if self.waiting_any:
            self._release()
            self.flush()

    def _base_here(self, env: Envelope) -> bool:
        return all(self.heads.get((o, env.stream), (0, GENESIS))[0] >= seq for o, seq in (env.base or {}).items())

    def _hold(self, env: Envelope, reason: str, bundle_id: str | None) -> None:
        self.held.append(
            {"u": env.uuid, "o": env.origin, "s": env.stream, "n": env.origin_seq, "r": reason, "h": env.hash,
             "e": canonical_json(env.to_json()), "b": bundle_id}
        )  # fmt: skip
        self.known[env.uuid] = env.hash
        self.taken.add((env.origin, env.stream, env.origin_seq))
        self.result.pending.append(env.uuid)
        self.waiting_any = True

    def _append(self, env: Envelope, prev: str, bundle_id: str | None) -> bool:
        payload_json = canonical_json(env.payload)
        if envelope_hash(prev, env, payload_json) != env.hash:
            self.result.forks.append(_fork(env, "hash_mismatch"))
            return False
        if self.bundle_json is None or self.bundle_json[0] != bundle_id:
            self.bundle_json = (bundle_id, canonical_json(bundle_id))
        ev = ledger_event(env, prev, bundle_id, self.ledger, self.bundle_json[1])
        self.ledger = (ev.seq, ev.ledger_hash)
        self.stored.append((ev, bundle_id, payload_json))
        self.heads[(env.origin, env.stream)] = self.moved[(env.origin, env.stream)] = (env.origin_seq, env.hash)
        self.known[env.uuid] = env.hash
        self.result.new.append(ev.uuid)
        concurrent, first = False, False
        if ev.case_uuid is not None:
            if ev.case_uuid not in self.versions:
                self._read_versions({ev.case_uuid})
            seen = self.versions[ev.case_uuid]
            base = ev.base
            # find_conflicts reads only the case's earlier events that base does not cover
            concurrent = base is not None and any(base.get(o, 0) < n for o, n in seen.items())
            first = not seen
            seen[ev.origin] = max(seen.get(ev.origin, 0), ev.origin_seq)
        self._project(ev, first, concurrent)
        return True

    def _project(self, ev: Event, first: bool, concurrent: bool) -> None:
        """What `projection.apply` does, buffered where it reads nothing from the store.

        `first`: no event of its case is stored before it; `concurrent`: its base leaves out
        one of them (`find_conflicts` has something to read).
        """
        changes = self.result.changes
        flag = unknown_flag(ev)
        if flag is not None:
            self.flags.append(flag)
            changes.flagged.append(ev.uuid)
            return
        if ev.scope is Scope.STORE and ev.origin != self.origin:
            return  # another store's own business: kept for audit only
        case = ev.case_uuid
        registers = ev.type == NEW_CASE
        if ev.scope is not Scope.CASE or case is None or (registers and not first) or (concurrent and not registers):
            self._apply(ev)  # a registration of a case held here already fails there as it always did
            return
        if registers:
            changes.cases.add(case)
            self._register(ev, case)
        elif (ev.type, Scope.CASE) in HANDLERS:
            self._apply(ev)
        else:
            changes.cases.add(case)
            values = case_set_values(ev)
            if case in self.new_cases:
                self.new_cases[case].update(values)
            else:
                self.updates.setdefault(case, {}).update(values)
            note = note_row(ev, self.origin)
            if note is not None:
                self.notes.append(note)

    def _apply(self, ev: Event) -> None:
        self.flush()
        self.result.changes.merge(apply(self.conn, ev, self.origin))

    def _register(self, ev: Event, case: str) -> None:
        if self.next_case_id is None:
            self.next_case_id = int(self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM cases").fetchone()[0])
        row = case_row(ev, self.origin)
        row["id"] = self.next_case_id
        self.next_case_id += 1
        self.new_cases[case] = row
        for dept, role in routing_departments(ev.payload["routing"]).items():
            self.departments.append({"c": case, "d": dept, "r": role})

    def _release(self) -> None:
        """Append every pending event whose gap has filled and whose base is here, until none is.

        In the order of the pending list (chain, then place), pass after pass, as the
        event-by-event algorithm does.
        """
        self.flush()
        rows = self.db.execute(
            "SELECT uuid, envelope, reason, bundle_id FROM pending_events ORDER BY origin, stream, origin_seq"
        ).fetchall()
        waiting = [_Waiting(u, Envelope.from_json(json.loads(raw)), r, b) for u, raw, r, b in rows]
        self._read_versions({w.env.case_uuid for w in waiting if w.env.case_uuid is not None})
        of_this_batch = set(self.result.pending)
        out_of_pending: set[str] = set()
        progress = True
        while progress and not self.result.forks:
            progress = False
            still: list[_Waiting] = []
            for item in waiting:
                env = item.env
                head_seq, head_hash = self.heads.get((env.origin, env.stream), (0, GENESIS))
                if env.origin_seq != head_seq + 1 or not self._base_here(env):
                    if item.reason == "gap" and env.origin_seq == head_seq + 1:
                        self.db.execute(
                            "UPDATE pending_events SET reason = 'missing_base' WHERE uuid = ?", (item.uuid,)
                        )
                        item.reason = "missing_base"
                    still.append(item)
                    continue
                self.leaving.append(item.uuid)
                self.taken.discard((env.origin, env.stream, env.origin_seq))
                if not self._append(env, head_hash, item.bundle_id):
                    return
                if item.uuid in of_this_batch:
                    out_of_pending.add(item.uuid)
                else:
                    self.result.released.append(item.uuid)
                progress = True
            waiting = still
        self.result.pending[:] = [u for u in self.result.pending if u not in out_of_pending]

    # -- writing ----------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every buffered row, in the order the event-by-event path writes each table."""
        if self.stored:
            write_stored(self.conn, self.stored)
            set_heads(self.conn, self.moved, self.ledger)
        if self.flags:
            self.db.executemany(FLAG_SQL, self.flags)
        if self.held:
            self.db.executemany(_HOLD_SQL, self.held)
        if self.leaving:
            self.db.executemany("DELETE FROM pending_events WHERE uuid = ?", [(u,) for u in self.leaving])
        if self.new_cases:
            rows = list(self.new_cases.values())
            for same in _by_columns(rows).values():  # a follow-up may set a column registration leaves out
                self.db.executemany(case_insert_sql(same[0]), same)
            self.db.executemany(TEXTS_SQL, rows)
            index_cases(self.conn, [(int(r["id"]), r) for r in rows])
        if self.departments:
            self.db.executemany(_DEPT_SQL, self.departments)
        for columns, params in _grouped(self.updates).items():
            self.db.executemany(case_update_sql(columns), params)
        if self.notes:
            self.db.executemany(NOTE_SQL, self.notes)
        self.next_case_id = None  # an applied event may add cases of its own
        self._reset_buffers()


def _by_columns(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Rows grouped by their keys, for one statement per group (ids are explicit: order is kept)."""
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(tuple(row), []).append(row)
    return out


def _grouped(updates: dict[str, dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Per-case updates grouped by the columns they set, for one statement per group."""
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for case, values in updates.items():
        out.setdefault(tuple(values), []).append({**values, "uuid": case})
    return out


def _fork(env: Envelope, reason: str) -> Fork:
    from station_app.store.log import Fork

    return Fork(env.uuid, env.origin, env.stream, env.origin_seq, reason)


def import_batch(conn: Connection, envs: Iterable[Envelope], bundle_id: str | None, result: ImportResult) -> None:
    """Import parsed envelopes into the caller's write transaction (SYNC.md §3.4, step 3).

    Duplicates are counted and skipped, gaps and missing bases held in `pending_events` and
    released when they fill, unknown types stored and flagged; the first fork stops the batch
    with `result.forks` set and the caller rolls back. Stores, ledger hashes, projections,
    conflicts and flags come out as the event-by-event algorithm leaves them.

    Args:
        conn: the caller's write transaction.
        envs: the batch, in bundle order.
        bundle_id: the bundle it came in (None: no bundle), part of each ledger hash.
        result: what the import did, filled in.
    """
    BulkImport(conn, result).run(list(envs), bundle_id)
