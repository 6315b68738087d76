"""Export and import of bundles between a station and the city.

DESIGN.md "Sync and city command line": Names, Due, Import, Outputs; SYNC.md §2.6,
§3.3-3.8; docs/sync.md. Entry points (the command line, `sync run` and the 同步 screen use
exactly these):
- `export_due(session, to_dir, station=None, progress=None) -> ExportResult`
- `import_path(session, path, progress=None) -> ImportSummary`
- `sync_status(session) -> SyncStatus`
- `mark_uploaded(session, bundle_id) -> None`

What moves: a station sends the city every event of its own chains after the city's last ack;
the city sends station X its chains (city:*, X) and (city:*, *) after X's last ack. Every bundle
carries acks (what the sender holds of the recipient's chains); an ack-only bundle is written
when the acks advanced and no event is due. Nothing counts as exported until the file has been
written under a temp name, fsynced, renamed, read back and verified.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from station_app import __version__
from station_app.errors import NotFound, ValidationError
from station_app.gc_pause import gc_paused
from station_app.input_file import InputFileError, check_regular
from station_app.services.session import Session
from station_app.store import sync_state
from station_app.store.counters import issued_numbers, raise_counters
from station_app.store.db import checkpoint_after, get_meta, read, write
from station_app.store.events import Envelope, EnvelopeLine, chain_lines, own_origin
from station_app.store.log import CheckedEvents, ForgedEvent, ImportResult, MalformedEvent, check_events, import_foreign
from station_app.store.migrations import LATEST
from station_app.store.search_index import merge_held_back, merges_held
from sync.errors import BundleError, ForkDetected, MalformedBundle, UnknownSender, WrongRecipient
from sync.header import BundleKind, canonical_json
from sync.keys import Keyring, Recipient, raw_public
from sync.limits import MAX_EVENTS
from sync.manifest import Ack, ChainRange, Manifest
from sync.provisioning import (
    CITY_PREFIX,
    accept_keyring,
    bundle_keyring,
    city_identity,
    own_recipient,
    own_signer,
    require_coordinator,
)
from sync.reader import OpenedBundle, open_bundle, peek_header
from sync.replay import ReplayOutcome, SeenFromSender, check_replay
from sync.writer import bundle_file_name, new_bundle_id, write_bundle

Progress = Callable[[int, int], None]
BUNDLE_SUFFIX = ".msb"


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedBundle:
    """One bundle written and verified: where, to whom, how many events, its size and id."""

    file: Path
    recipient: str
    events: int
    bytes: int
    bundle_id: str

    def to_json(self) -> dict[str, Any]:
        """`{"file", "recipient", "events", "bytes"}` as `sync export` prints each bundle."""
        return {"file": str(self.file), "recipient": self.recipient, "events": self.events, "bytes": self.bytes}


@dataclass
class ExportResult:
    """What `export_due` wrote (an empty list when nothing was due)."""

    bundles: list[ExportedBundle] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """`{"bundles": [...]}`."""
        return {"bundles": [b.to_json() for b in self.bundles]}


@dataclass
class ImportSummary:
    """What `import_path` did, in the shape `sync import` prints."""

    bundles: int = 0
    events: int = 0
    duplicates: int = 0
    already_imported: int = 0
    pending: int = 0
    conflicts: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)

    def count(self, result: ImportResult) -> None:
        """Add one committed bundle's import result (events new here: projected or pending)."""
        self.bundles += 1
        self.events += len(result.new) - len(result.released) + len(result.pending)
        self.duplicates += result.duplicates
        self.pending += len(result.pending)
        self.conflicts += result.changes.conflicts_opened

    def to_json(self) -> dict[str, Any]:
        """The summary as `sync import` prints it.

        Keys: bundles, events, duplicates, already_imported, pending, conflicts,
        skipped[{file, reason}], refused[{file, error}].
        """
        return {
            "bundles": self.bundles,
            "events": self.events,
            "duplicates": self.duplicates,
            "already_imported": self.already_imported,
            "pending": self.pending,
            "conflicts": self.conflicts,
            "skipped": list(self.skipped),
            "refused": list(self.refused),
        }


@dataclass(frozen=True)
class PeerStatus:
    """One peer in `sync status`."""

    peer: str
    events_waiting: int
    last_export: str | None
    last_upload: str | None
    last_ack: dict[str, Any] | None
    pending: int
    conflicts: int
    forks: int

    def to_json(self) -> dict[str, Any]:
        """The contract's keys, plus `forks` (histories that disagree, refused and open)."""
        return {
            "peer": self.peer,
            "events_waiting": self.events_waiting,
            "last_export": self.last_export,
            "last_upload": self.last_upload,
            "last_ack": self.last_ack,
            "pending": self.pending,
            "conflicts": self.conflicts,
            "forks": self.forks,
        }


@dataclass(frozen=True)
class SyncStatus:
    """`sync status`: every peer of this store."""

    peers: tuple[PeerStatus, ...]

    def to_json(self) -> dict[str, Any]:
        """`{"peers": [...]}`."""
        return {"peers": [p.to_json() for p in self.peers]}


# -- who is who -------------------------------------------------------------------------------


def _require_sync(session: Session) -> None:
    """At a station any role; at the city a coordinator (or its admin)."""
    if session.is_city:
        require_coordinator(session)


def own_name(conn: Connection) -> str:
    """This store as a peer: the station code, or the city code."""
    if sync_state.profile(conn) == sync_state.PROFILE_CITY:
        return str(get_meta(conn, "city_code"))
    return str(get_meta(conn, "station_code"))


@dataclass(frozen=True)
class Plan:
    """What goes to one peer: its row, the chains due as (origin, stream, acked through), the acks."""

    peer: sync_state.Peer
    ranges: list[tuple[str, str, int]]  # (origin, stream, acked through)
    acks: list[Ack]


def _peers(conn: Connection, station: str | None) -> list[sync_state.Peer]:
    if sync_state.profile(conn) == sync_state.PROFILE_CITY:
        peers = [p for p in sync_state.list_peers(conn, "station") if p.identity is not None]
        if station is not None:
            peers = [p for p in peers if p.peer == station]
            if not peers:
                raise ValidationError({"station": "没有登记该调解站"})
        return peers
    if station is not None:
        raise ValidationError({"station": "只有市级可以指定调解站"})
    city = sync_state.bound_city(conn)
    if city is None:
        return []
    peer = sync_state.get_peer(conn, city)
    return [peer] if peer is not None else []


def plan_for(conn: Connection, peer: sync_state.Peer) -> Plan:
    """The chains due to `peer` (from its last ack) and the acks we owe it."""
    origin = own_origin(conn)
    acked = sync_state.acks_from(conn, peer.peer)
    if peer.kind == "station":  # the city to station X: (city, X) and (city, *); acks for X's chains
        mine = sync_state.heads_where(conn, [origin], [peer.peer, "*"])
        theirs = sync_state.heads_where(conn, [peer.peer], None)
    else:  # a station to the city: its own chains; acks for the city's chains to it
        mine = sync_state.heads_where(conn, [origin], None)
        theirs = sync_state.heads_where(conn, None, [own_name(conn), "*"], origin_prefix=CITY_PREFIX)
    ranges = [(o, s, acked[(o, s)].through_seq if (o, s) in acked else 0) for (o, s) in sorted(mine)]
    acks = [Ack(o, s, seq, h) for (o, s), (seq, h) in sorted(theirs.items())]
    return Plan(peer, ranges, acks)


def _acks_json(acks: list[Ack]) -> str:
    return canonical_json([[a.origin, a.stream, a.through_seq, a.hash] for a in acks]).decode("utf-8")


def _acks_advanced(plan: Plan) -> bool:
    if not plan.acks:
        return False
    return plan.peer.acks_sent != _acks_json(plan.acks)


# -- export -----------------------------------------------------------------------------------


def check_export_dir(value: str | os.PathLike[str]) -> Path:
    """The `--to` folder: it must exist and be a folder (never created). ValidationError on `to`."""
    to = Path(value)
    if not to.is_dir():
        raise ValidationError({"to": "目标文件夹不存在" if not to.exists() else "应为文件夹"})
    return to


def export_due(
    session: Session, to_dir: Path, station: str | None = None, progress: Progress | None = None
) -> ExportResult:
    """Write one bundle per peer with something due into `to_dir`.

    Several bundles are written when more than 20,000 events are due, each importable on its
    own. A station writes to its city; the city to each enrolled, active station, or only
    `station`. `progress(done, total)` counts events written (bundles for ack-only files).
    Returns what was written; each bundle was read back and verified before it was recorded as
    exported.

    Raises:
        ValidationError: `to` a missing folder; `station` unknown, or given at a station.
        PermissionDenied: at the city, a role other than coordinator.
        OSError: the folder cannot be written (what was written before stays recorded; nothing after).
    """
    _require_sync(session)
    to_dir = check_export_dir(to_dir)
    with read(session.store.engine) as conn:
        me = own_name(conn)
        plans = [plan_for(conn, p) for p in _peers(conn, station) if p.status != "revoked"]
        work = [(plan, chain_lines(conn, plan.ranges)) for plan in plans]
        epoch = str(get_meta(conn, "store_epoch") or "")
        keyring_version = int(get_meta(conn, "keyring_version") or 0)
        signer = own_signer(conn, me)
        boxes = {plan.peer.peer: peer_box_key(conn, plan.peer) for plan in plans}
    result = ExportResult()
    total = sum(max(1, len(events)) for _, events in work)
    done = 0
    for plan, events in work:
        if not events and not _acks_advanced(plan):
            continue
        chunks = [events[i : i + MAX_EVENTS] for i in range(0, len(events), MAX_EVENTS)] or [[]]
        for chunk in chunks:
            result.bundles.append(write_one(session, to_dir, me, plan, chunk, epoch, keyring_version, signer,
                                             boxes[plan.peer.peer]))  # fmt: skip
            done += max(1, len(chunk))
            if progress is not None:
                progress(done, total)
    return result


def peer_box_key(conn: Connection, peer: sync_state.Peer) -> Any:
    """The X25519 public key bundles to `peer` are encrypted to (the city's, or an enrolled station's)."""
    import json

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    if peer.kind == "city":
        return city_identity(conn).box
    assert peer.identity is not None
    return X25519PublicKey.from_public_bytes(bytes.fromhex(json.loads(peer.identity)["box"]))


def _chain_ranges(chunk: Sequence[Envelope | EnvelopeLine]) -> list[ChainRange]:
    spans: dict[tuple[str, str], list[Any]] = {}
    for env in chunk:
        span = spans.setdefault((env.origin, env.stream), [env.origin_seq, env.origin_seq, env.hash])
        span[0] = min(span[0], env.origin_seq)
        if env.origin_seq >= span[1]:
            span[1], span[2] = env.origin_seq, env.hash
    return [ChainRange(o, s, a, b, h) for (o, s), (a, b, h) in sorted(spans.items())]


def write_one(
    session: Session, to_dir: Path, me: str, plan: Plan, chunk: Sequence[Envelope | EnvelopeLine], epoch: str,
    keyring_version: int, signer: Any, box: Any, kind: BundleKind | None = None,
) -> ExportedBundle:  # fmt: skip
    """Write one bundle of `chunk` to `plan.peer` into `to_dir`, verified, and record it as exported.

    `kind` defaults to `events` (or `ack` for an empty chunk). Raises OSError when the folder
    cannot be written (nothing recorded then).
    """
    peer = plan.peer.peer
    with write(session.store.engine) as conn:
        seq = sync_state.next_send_seq(conn, peer)  # reserved; a lost number is harmless
    chains = _chain_ranges(chunk)
    kind = kind or (BundleKind.EVENTS if chunk else BundleKind.ACK)
    manifest = Manifest(
        bundle_id=new_bundle_id(), kind=kind, sender=me, recipient=peer,
        sender_seq=seq, store_epoch=epoch, app_version=__version__, schema=LATEST, keyring_version=keyring_version,
        chains=tuple(chains), acks=tuple(plan.acks),
    )  # fmt: skip
    lines = [env.line if isinstance(env, EnvelopeLine) else canonical_json(env.to_json()) for env in chunk]
    written = write_bundle(to_dir / bundle_file_name(manifest), manifest, lines, signer, [box])
    now = session.now_iso()
    with write(session.store.engine) as conn:
        sync_state.record_sent(
            conn, manifest.bundle_id, peer, seq, written.path.name, len(chunk), written.size, written.sha256,
            [{"origin": c.origin, "stream": c.stream, "from_seq": c.from_seq, "to_seq": c.to_seq} for c in chains],
            now,
        )  # fmt: skip
        sync_state.put_peer(conn, peer, plan.peer.kind, last_export_at=now, acks_sent=_acks_json(plan.acks))
    return ExportedBundle(written.path, peer, len(chunk), written.size, manifest.bundle_id)


def mark_uploaded(session: Session, bundle_id: str) -> None:
    """Record that the relay confirmed this bundle (已上传中转) and the peer's last upload time.

    Raises NotFound for a bundle id this store did not write.
    """
    with write(session.store.engine) as conn:
        if sync_state.mark_sent_uploaded(conn, bundle_id, session.now_iso()) is None:
            raise NotFound("没有导出过该同步包")


# -- import -----------------------------------------------------------------------------------


def check_import_path(value: str | os.PathLike[str]) -> Path:
    """The `sync import` PATH: an existing, readable file or folder. ValidationError on `path`.

    A pipe or a device is refused too: reading one would wait, or never end.
    """
    path = Path(value)
    if not path.exists():
        raise ValidationError({"path": "路径不存在"})
    if not path.is_dir():
        try:
            check_regular(path)
        except InputFileError as exc:
            raise ValidationError({"path": str(exc)}) from None
    if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
        raise ValidationError({"path": "路径无法读取"})
    return path


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def import_path(session: Session, path: Path, progress: Progress | None = None) -> ImportSummary:
    """Import one bundle file, or every `*.msb` directly in a folder addressed to this store.

    Each bundle is copied to a private temp file, verified (signature before decryption),
    decrypted, checked against what was received before (replay, store epoch, acks), and its
    events, acks and the record that it was received are committed in one transaction, or
    nothing is. A folder is only read: refused files are listed (`refused[]`, with their class),
    bundles for another store are `skipped[]` (`other_recipient`), the rest imported. The
    commits leave the database file to one checkpoint after the last, and a large import the
    search indexes' merging too (`import_window`).

    Raises ValidationError (`path` missing or unreadable); for a single file, the BundleError
    of its refusal (`wrong_recipient` when addressed to another store; `fork` when the sender's
    history disagrees with ours: nothing stored, the fork reported in `sync status`).
    PermissionDenied at the city for a role other than coordinator or admin.
    """
    _require_sync(session)
    path = check_import_path(path)
    with import_window(session.store.engine, _bundle_bytes(path)):
        return _import_path(session, path, progress)


LARGE_IMPORT = 1_000_000  # bytes of bundles from which the indexes' merging waits for the end


@contextmanager
def import_window(engine: Engine, bundle_bytes: int) -> Iterator[None]:
    """What an import defers to a thread of its own after it: FTS5 merges, the WAL checkpoint.

    The commits inside leave the WAL for one checkpoint after the last (`checkpoint_after`).
    For bundles of LARGE_IMPORT bytes or more the search indexes' segments are not merged as
    each bundle writes them (`search_index.merges_held`); the same thread merges them before the
    checkpoint (`merge_held_back`). The import's data is searchable at each commit either way.
    """
    large = bundle_bytes >= LARGE_IMPORT
    with checkpoint_after(engine, merge_held_back if large else None), merges_held(engine, hold=large):
        yield


def _bundle_bytes(path: Path) -> int:
    """The size of the bundle file, or of the bundle files directly in the folder (0 if unreadable)."""
    try:
        if not path.is_dir():
            return path.stat().st_size
        return sum(p.stat().st_size for p in path.iterdir() if p.name.endswith(BUNDLE_SUFFIX) and p.is_file())
    except OSError:
        return 0


def _import_path(session: Session, path: Path, progress: Progress | None) -> ImportSummary:
    summary = ImportSummary()
    if not path.is_dir():
        try:
            _import_one(session, path, summary)
        except _Skip:
            raise WrongRecipient("addressed to another store") from None
        if progress is not None:
            progress(1, 1)
        return summary
    try:
        files = sorted(p for p in path.iterdir() if p.name.endswith(BUNDLE_SUFFIX) and p.is_file())
    except OSError:
        raise ValidationError({"path": "文件夹无法读取"}) from None
    reader = ReadAhead()
    try:
        for index, file in enumerate(files):
            reader.next_file = files[index + 1] if index + 1 < len(files) else None
            _import_listed(session, file, summary, reader)
            if progress is not None:
                progress(index + 1, len(files))
    finally:
        reader.close()
    return summary


def _import_listed(session: Session, file: Path, summary: ImportSummary, reader: ReadAhead) -> None:
    """One file of a folder: imported, or listed as skipped or refused in `summary`."""
    try:
        _import_one(session, file, summary, reader)
    except _Skip as skip:
        summary.skipped.append({"file": str(file), "reason": skip.reason})
    except BundleError as err:
        summary.refused.append({"file": str(file), "error": err.error_class.value})
    except OSError:
        summary.refused.append({"file": str(file), "error": "malformed"})


def _trust(keyring: Keyring, recipient: Recipient) -> tuple[Any, ...]:
    """What opening a bundle depends on besides the file: the sender keys and our box keys."""
    senders = tuple((k.owner, k.kid, k.status.value) for k in keyring.keys)
    boxes = tuple(raw_public(k.public_key()) for k in recipient.box_keys)
    return keyring.version, senders, recipient.name, boxes


@dataclass(frozen=True)
class ReadBundle:
    """A bundle opened, and its events read and checked (or why they cannot be imported)."""

    opened: OpenedBundle
    events: CheckedEvents | MalformedEvent


def open_checked(file: Path, me: str, keyring: Keyring, recipient: Recipient, temp_dir: Path) -> ReadBundle | None:
    """`open_bundle` of a file addressed to `me`, and `check_events`; None for a file addressed elsewhere.

    A malformed event is kept, not raised: the bundle's other checks come first.
    """
    if peek_header(file).recipient != me:
        return None
    with gc_paused():  # tens of thousands of parsed events: see gc_pause.py
        opened = open_bundle(file, keyring, recipient, temp_dir=temp_dir)
    try:
        return ReadBundle(opened, check_events(opened.events))
    except MalformedEvent as exc:
        return ReadBundle(opened, exc)


class ReadAhead:
    """Opens the next bundle of a folder (copy, verify, decrypt, parse) while this one commits.

    A bundle's commit (encrypting and writing every page it changed) is one long call into
    SQLite that lets another thread run Python: the next file is read then, started from inside
    the transaction just before its commit. It is opened with the sender keys and box keys held
    before this import; `take` hands it over only when they are still the ones held (an import
    may bring a new keyring), else the file is opened again. A file is only ever read here;
    whatever opening it raised is raised when it is taken, in folder order.
    """

    def __init__(self) -> None:
        """No thread until there is a next file."""
        self.next_file: Path | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._ahead: tuple[Path, tuple[Any, ...], Future[ReadBundle | None]] | None = None

    def start(self, me: str, keyring: Keyring, recipient: Recipient, temp_dir: Path) -> None:
        """Begin opening `next_file` (if any) with these keys."""
        if self.next_file is None:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle-read-ahead")
        future = self._pool.submit(open_checked, self.next_file, me, keyring, recipient, temp_dir)
        self._ahead = (self.next_file, _trust(keyring, recipient), future)

    def take(self, file: Path, keyring: Keyring, recipient: Recipient) -> Future[ReadBundle | None] | None:
        """The opening of `file` begun earlier with the same keys, or None."""
        ahead, self._ahead = self._ahead, None
        if ahead is None or ahead[0] != file:
            return None
        if ahead[1] != _trust(keyring, recipient):
            ahead[2].cancel()
            wait([ahead[2]])  # not two openings of one file at once
            return None
        return ahead[2]

    def close(self) -> None:
        """Wait for the thread (its temp copy is removed when its `open_bundle` returns)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _private_temp(session: Session) -> Path:
    folder = session.data_dir / "tmp"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _import_one(session: Session, file: Path, summary: ImportSummary, reader: ReadAhead | None = None) -> None:
    header = peek_header(file)
    with read(session.store.engine) as conn:
        me = own_name(conn)
        if header.recipient != me:
            raise _Skip("other_recipient")
        keyring: Keyring = bundle_keyring(conn)
        recipient = own_recipient(conn, me)
    ahead = reader.take(file, keyring, recipient) if reader is not None else None
    temp_dir = _private_temp(session)
    got = ahead.result() if ahead is not None else open_checked(file, me, keyring, recipient, temp_dir)
    if got is None:  # the file was replaced by one addressed elsewhere in between
        raise _Skip("other_recipient")
    opened = got.opened
    manifest = opened.manifest
    with read(session.store.engine) as conn:
        peer = sync_state.get_peer(conn, manifest.sender)
        if peer is None:
            raise UnknownSender("sender is not a peer of this store")
        seen = SeenFromSender(
            sync_state.received_ids(conn, manifest.sender), peer.high_seq,
            int(get_meta(conn, "keyring_version") or 0), peer.store_epoch,
        )  # fmt: skip
        origin = own_origin(conn)
        city = sync_state.profile(conn) == sync_state.PROFILE_CITY
    restore = manifest.kind is BundleKind.RESTORE
    if restore and city:
        raise MalformedBundle("a restore bundle is for a station")
    try:
        verdict = check_replay(manifest, seen)
    except ForkDetected:
        _report_fork(session, manifest.sender, "epoch", "the sender's store epoch changed")
        raise
    if verdict.outcome is ReplayOutcome.ALREADY_IMPORTED:
        summary.already_imported += 1
        return
    for event in opened.events:
        allowed = (
            event.get("origin") == manifest.sender
            if city
            else (str(event.get("origin", "")).startswith(CITY_PREFIX) and event.get("stream") in (me, "*"))
            or (restore and event.get("origin") == origin)  # our own chains, as the city holds them
        )
        if not allowed:
            raise MalformedBundle("an event outside the sender's chains")
    if restore:
        _import_restore(session, manifest, opened, verdict.outcome.value, peer, summary)
        return
    with read(session.store.engine) as conn:
        for ack in manifest.acks:
            if ack.origin != origin or ack.through_seq == 0:
                continue
            if sync_state.hash_at(conn, ack.origin, ack.stream, ack.through_seq) != ack.hash:
                bad = ack
                break
        else:
            bad = None
    if bad is not None:
        _report_fork(session, manifest.sender, "ack", f"ack through {bad.through_seq} does not match this store",
                     bad.origin, bad.stream, bad.through_seq)  # fmt: skip
        raise ForkDetected("an acknowledgement disagrees with this store's chain")
    now = session.now_iso()

    def also(conn: Connection, result: ImportResult) -> None:
        for ack in manifest.acks:
            if ack.origin == origin and ack.through_seq > 0:
                sync_state.record_ack(
                    conn, sync_state.AckRow(manifest.sender, ack.origin, ack.stream, ack.through_seq, ack.hash, now)
                )
        if not city:  # the city's keyring, broadcast: hold the newest the pinned root signed
            keyrings = [e.get("payload") for e in opened.events if e.get("type") == "keyring_issued"]
            accept_keyring(conn, [str(p["document"]) for p in keyrings if isinstance(p, dict) and "document" in p])
        _record_arrival(conn, manifest, opened, verdict.outcome.value, result, peer, now)
        if reader is not None:  # the commit that follows leaves Python free: read the next file then
            reader.start(me, keyring, recipient, temp_dir)

    try:
        if isinstance(got.events, MalformedEvent):
            raise got.events
        result = import_foreign(session.store.engine, got.events, manifest.bundle_id, also)
    except ForgedEvent as exc:
        raise MalformedBundle(f"event {exc.uuid} ({exc.type}): {exc.why}") from None
    except MalformedEvent:
        raise MalformedBundle("an event does not fit its type") from None
    if result.forks:
        fork = result.forks[0]
        _report_fork(session, manifest.sender, "fork", fork.reason, fork.origin, fork.stream, fork.origin_seq)
        raise ForkDetected(f"{fork.reason} at {fork.origin}/{fork.stream}#{fork.origin_seq}")
    summary.count(result)
    session.drop_caches(result.changes)


def _record_arrival(
    conn: Connection, manifest: Manifest, opened: OpenedBundle, outcome: str, result: ImportResult,
    peer: sync_state.Peer, now: str,
) -> None:  # fmt: skip
    """Inside the import's transaction: the bundle received, and the sender's high-water mark and epoch."""
    sync_state.record_received(
        conn, manifest.bundle_id, manifest.sender, opened.header.sender_kid, manifest.sender_seq, opened.sha256,
        outcome, len(result.new), result.duplicates, now,
    )  # fmt: skip
    high = max(peer.high_seq or 0, manifest.sender_seq)
    sync_state.put_peer(conn, peer.peer, peer.kind, high_seq=high, last_bundle_at=now,
                        store_epoch=peer.store_epoch or manifest.store_epoch)  # fmt: skip


class _AckDisagrees(Exception):
    """Raised inside a restore's transaction: the city's ack names another hash than ours."""

    def __init__(self, ack: Ack) -> None:
        super().__init__("ack disagrees")
        self.ack = ack


def _import_restore(
    session: Session,
    manifest: Manifest,
    opened: OpenedBundle,
    outcome: str,
    peer: sync_state.Peer,
    summary: ImportSummary,
) -> None:
    """Take back this station's own chains from the city's restore bundle (SYNC.md §3.8).

    The events this store lacks are appended after its own heads (those it holds are
    duplicates); the counters move past every case and paper number the events carry; the
    city's acks are checked *after* the events are in, in the same transaction. Nothing local
    is deleted: when this store wrote other events at places the city holds (it went on working
    after the restore), the bundle is refused whole as `fork`, reported as `diverged`, for a
    person to decide.
    """
    now = session.now_iso()

    def also(conn: Connection, result: ImportResult) -> None:
        origin = own_origin(conn)
        for ack in manifest.acks:
            if ack.through_seq == 0:
                continue
            held = sync_state.hash_at(conn, ack.origin, ack.stream, ack.through_seq)
            if held is None:
                continue  # a place not held yet (a later part of a split restore): no ack
            if held != ack.hash:
                raise _AckDisagrees(ack)
            if ack.origin == origin:
                sync_state.record_ack(
                    conn, sync_state.AckRow(manifest.sender, ack.origin, ack.stream, ack.through_seq, ack.hash, now)
                )
        raise_counters(conn, issued_numbers(e for e in opened.events if e.get("origin") == origin))
        _record_arrival(conn, manifest, opened, outcome, result, peer, now)

    try:
        result = import_foreign(session.store.engine, opened.events, manifest.bundle_id, also)
    except MalformedEvent:
        raise MalformedBundle("an event does not fit its type") from None
    except _AckDisagrees as exc:
        bad = exc.ack
        _report_fork(session, manifest.sender, "diverged", f"restore: ack through {bad.through_seq} differs",
                     bad.origin, bad.stream, bad.through_seq)  # fmt: skip
        raise ForkDetected("the city's copy of this station's chain differs from ours") from None
    if result.forks:
        fork = result.forks[0]
        _report_fork(session, manifest.sender, "diverged", f"restore: {fork.reason}", fork.origin, fork.stream,
                     fork.origin_seq)  # fmt: skip
        raise ForkDetected(f"this station wrote other events at {fork.origin}/{fork.stream}#{fork.origin_seq}")
    with write(session.store.engine) as conn:
        sync_state.close_forks(conn, manifest.sender, now)
    summary.count(result)
    session.drop_caches(result.changes)


def _report_fork(
    session: Session, peer: str, kind: str, detail: str, origin: str | None = None, stream: str | None = None,
    origin_seq: int | None = None,
) -> None:  # fmt: skip
    with write(session.store.engine) as conn:
        sync_state.record_fork(conn, peer, kind, detail, session.now_iso(), origin, stream, origin_seq)


# -- status, conflicts ------------------------------------------------------------------------


def sync_status(session: Session) -> SyncStatus:
    """The sync state of this store, per peer.

    Events waiting (not acknowledged), last export, last upload, last ack of our main chain to
    it (`{"through_seq", "at"}` or None), pending events and open conflicts that concern it, and
    open forks.

    Raises:
        PermissionDenied: at the city, a role other than coordinator.
    """
    _require_sync(session)
    out = []
    with read(session.store.engine) as conn:
        origin = own_origin(conn)
        me = own_name(conn)
        for peer in _peers(conn, None):
            plan = plan_for(conn, peer)
            acks = sync_state.acks_from(conn, peer.peer)
            main = (origin, peer.peer) if peer.kind == "station" else (origin, me)
            ack = acks.get(main)
            if peer.kind == "station":
                pending = sync_state.pending_from(conn, [peer.peer])
                conflicts = sync_state.open_conflicts_for(conn, peer.peer)
            else:
                pending = sync_state.pending_from(conn, origin_prefix=CITY_PREFIX)
                conflicts = sync_state.open_conflicts_for(conn, None)
            out.append(
                PeerStatus(
                    peer.peer,
                    sync_state.count_after(conn, plan.ranges),
                    peer.last_export_at,
                    peer.last_upload_at,
                    {"through_seq": ack.through_seq, "at": ack.at} if ack else None,
                    pending,
                    conflicts,
                    len(sync_state.open_forks(conn, peer.peer)),
                )
            )
    return SyncStatus(tuple(out))


def sync_conflicts(session: Session) -> list[dict[str, Any]]:
    """`sync conflicts --json`: every conflict at this store, with its case number.

    Each gives the fields in question, both versions (origin, author, time, what each would set)
    and its state.
    """
    from station_app.services.conflict_service import conflicts
    from station_app.services.query_service import load_row

    _require_sync(session)
    infos = conflicts(session)
    out = []
    with read(session.store.engine) as conn:
        for c in infos:
            row = load_row(conn, c.case_uuid)
            out.append(
                {
                    "case_no": row["case_no"] if row else None,
                    "case_uuid": c.case_uuid,
                    "fields": list(c.fields),
                    "state": c.state,
                    "held": c.held,
                    "resolved_by": c.resolved_by,
                    "versions": [
                        {"uuid": v.uuid, "type": v.type, "origin": v.origin, "author": v.author, "at": v.at,
                         "local": v.origin == session.origin, "set": v.set}
                        for v in c.versions
                    ],
                }
            )  # fmt: skip
    return out


def resolve_conflict(session: Session, case_no: str, choose: str, reason: str | None) -> dict[str, Any]:
    """`sync resolve CASE_NO --choose incoming|local`: settle the case's open conflicts.

    Keeps the version from the other store (`incoming`) or this store's (`local`); by a head or a
    coordinator. Returns `{"case_no", "chosen", "event", "resolved"}`.

    Raises:
        ValidationError: `choose` not incoming or local.
        NotFound: no such case.
        InvalidTransition: no open conflict on the case.
        PermissionDenied: a role that may not resolve (conflict_service.resolve).
    """
    from station_app.services.conflict_service import conflicts, resolve

    if choose not in ("incoming", "local"):
        raise ValidationError({"choose": "应为 incoming 或 local"})
    open_ = [c for c in conflicts(session, case_no) if c.state == "open"]
    if not open_:
        from station_app.errors import InvalidTransition

        raise InvalidTransition("本案没有待处理的冲突")
    first = open_[0]
    local = [v for v in first.versions if v.origin == session.origin]
    foreign = [v for v in first.versions if v.origin != session.origin]
    if choose == "local":
        chosen = local[0].uuid if local else next(v.uuid for v in first.versions if v.uuid != first.held)
    else:
        chosen = foreign[0].uuid if foreign else first.held
    text_ = (reason or "").strip() or ("采用对方版本" if choose == "incoming" else "采用本地版本")
    after = resolve(session, case_no, chosen, text_)
    return {"case_no": case_no, "chosen": choose, "event": chosen,
            "resolved": sum(1 for c in after if c.state != "open")}  # fmt: skip
