"""The log's head anchored outside the database.

Issue 10, "trust that does not rest on the database key alone". After every committed
transaction that appended to the event log, a small record -- the ledger seq and ledger
hash, the case and paper counters -- signed with the store's Ed25519 key is written
atomically beside `station.db` (`station.anchor`). At open the database is compared with it:
a log behind its anchor (the `-wal` file deleted, an older `station.db` copied back, the log
emptied) refuses normal work instead of issuing case numbers a second time. A log ahead of
its anchor (a crash between the commit and the anchor write) is re-anchored.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, Engine, text

from station_app.errors import StationError
from station_app.input_file import MISSING, InputFileError, read_input_file
from station_app.store.atomic import (
    ORPHAN_AGE_S,
    atomic_write_bytes,
    commit_staged,
    discard_staged,
    remove_orphans,
    stage_bytes,
)
from station_app.store.db import get_meta, on_log_commit, read, set_meta, write
from station_app.store.events import GENESIS, ledger_head

log = logging.getLogger(__name__)

ANCHOR_NAME = "station.anchor"
FORMAT = 1
COUNTER_PREFIXES = ("case_seq:", "paper_seq:")
# Set in `meta` once the store has an anchor: from then on a missing anchor file is an error.
ANCHORED_META = "anchored"

MAX_ANCHOR_BYTES = 1024 * 1024  # a few hundred bytes, with a counter per year and station
_AFTER = (
    "请恢复最新的备份,或联系市级管理员。在此之前请勿继续受理,以免案件编号重复。"
    "处理步骤见《数据恢复说明》(docs/recovery.md)。"
)


class AnchorError(StationError):
    """The database does not reach the head its anchor records, or the anchor is not genuine.

    The message (Chinese) says what happened and what to do; `reason` names it for logs and
    tests: behind | diverged | emptied | counters | tampered | missing.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def anchor_path(db_path: Path) -> Path:
    """Where the anchor of the database at `db_path` lives (beside it)."""
    return db_path.with_name(ANCHOR_NAME)


@dataclass(frozen=True)
class Head:
    """What an anchor records: the ledger head and the counters that issue numbers."""

    seq: int
    ledger_hash: str
    counters: dict[str, int] = field(default_factory=dict)

    def body(self, origin: str) -> dict[str, Any]:
        """The signed part of the anchor record."""
        return {"format": FORMAT, "origin": origin, "seq": self.seq, "ledger_hash": self.ledger_hash,
                "counters": dict(sorted(self.counters.items()))}  # fmt: skip


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def read_head(conn: Connection, from_log: bool = False) -> Head:
    """The database's current head (inside the caller's transaction); reads by key only.

    The ledger head comes from `meta` (what an append extends), or with `from_log` from the
    last row of the log itself (at open: what is really there).
    """
    if from_log:
        row = conn.execute(
            text("SELECT seq, ledger_hash FROM events WHERE seq = (SELECT max(seq) FROM events)")
        ).first()
        seq, lhash = (int(row[0]), str(row[1])) if row is not None else (0, GENESIS)
    else:
        seq, lhash = ledger_head(conn)
    counters: dict[str, int] = {}
    for prefix in COUNTER_PREFIXES:  # a key range: a search on meta's primary key, never a scan
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = conn.execute(text("SELECT key, value FROM meta WHERE key >= :lo AND key < :hi"),
                            {"lo": prefix, "hi": upper})  # fmt: skip
        counters.update({str(k): int(v) for k, v in rows})
    return Head(seq, lhash, counters)


def _signing_key(conn: Connection) -> tuple[Ed25519PrivateKey, str] | None:
    private = get_meta(conn, "ed25519_private")
    if private is None:
        return None
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private)), get_meta(conn, "origin") or ""


_STAGER: list[ThreadPoolExecutor] = []
_STAGER_LOCK = threading.Lock()


def _stager() -> ThreadPoolExecutor:
    """The one worker pool every anchor of this process stages its records on (made on first use)."""
    with _STAGER_LOCK:
        if not _STAGER:
            _STAGER.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix="anchor"))
        return _STAGER[0]


class Anchor:
    """Writes the anchor of one store after each committing transaction that appended events.

    Built with the anchor file's `path`, the store's Ed25519 signing `key` and the store's
    `origin` (its chain origin, recorded in the anchor).

    The record of a transaction is written to a temp copy and fsynced on a worker thread while
    the transaction's own COMMIT fsyncs the WAL (`stage`), and renamed over the anchor only
    after the commit returned (`finish`), so the two fsyncs overlap and an anchor never names a
    head that was not committed. The rename is not made durable: after a power cut the
    previous anchor may come back, a head the log is ahead of, which is re-anchored at open.
    """

    def __init__(self, path: Path, key: Ed25519PrivateKey, origin: str) -> None:
        self.path = path
        self._key = key
        self._origin = origin
        self._lock = threading.Lock()
        self._last = -1

    def _record(self, head: Head) -> bytes:
        body = head.body(self._origin)
        return _canonical(dict(body, sig=self._key.sign(_canonical(body)).hex())) + b"\n"

    def publish(self, head: Head) -> None:
        """Write the signed record atomically, never going back.

        Temp file, fsync, rename, fsync the folder.

        A failure is logged, not raised: the transaction is already committed, and the next
        commit (or the next open) anchors the head again.
        """
        with self._lock:
            if head.seq <= self._last:
                return  # another thread of this process anchored a later head already
            try:
                atomic_write_bytes(self.path, self._record(head))
            except OSError as exc:
                log.warning("anchor not written: %s", type(exc).__name__)
                return
            self._last = head.seq

    def stage(self, conn: Connection) -> tuple[Head, Future[str]]:
        """Read the head inside the transaction and start writing its record to a temp copy.

        Returns the state for `finish` (after the commit) or `discard` (the commit failed).
        """
        head = read_head(conn)
        return head, _stager().submit(stage_bytes, self.path, self._record(head))

    def finish(self, state: tuple[Head, Future[str]]) -> None:
        """After the commit: wait for the staged copy and rename it over the anchor.

        Nothing is renamed when a later head was anchored already. A failure is logged, not
        raised (see `publish`).
        """
        head, staged = state
        try:
            tmp_name = staged.result()
        except OSError as exc:
            log.warning("anchor not written: %s", type(exc).__name__)
            return
        with self._lock:
            if head.seq <= self._last:
                discard_staged(tmp_name)
                return
            try:
                commit_staged(tmp_name, self.path, durable=False)
            except OSError as exc:
                log.warning("anchor not written: %s", type(exc).__name__)
                return
            self._last = head.seq

    def discard(self, state: tuple[Head, Future[str]]) -> None:
        """The commit failed: drop the staged copy, the anchor stays as it was."""
        try:
            discard_staged(state[1].result())
        except OSError:
            pass


def load_anchor(path: Path, public_hex: str | None) -> Head | None:
    """The anchor at `path` (None when there is none); AnchorError when it is not genuine."""
    try:
        raw = read_input_file(path, MAX_ANCHOR_BYTES)
    except InputFileError as exc:
        if exc.kind == MISSING:
            return None
        raise AnchorError(  # a folder or a pipe where the anchor was: never read (a pipe would block)
            "tampered", f"数据目录中的锚点记录({ANCHOR_NAME}){exc},无法确认数据库是否完整。" + _AFTER
        ) from None
    try:
        record = json.loads(raw)
        sig = bytes.fromhex(record.pop("sig"))
        if public_hex is None:
            raise ValueError("no public key")
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(sig, _canonical(record))
        if record.get("format") != FORMAT:
            raise ValueError("format")
        return Head(int(record["seq"]), str(record["ledger_hash"]),
                    {str(k): int(v) for k, v in dict(record["counters"]).items()})  # fmt: skip
    except (ValueError, KeyError, TypeError, AttributeError, InvalidSignature):
        raise AnchorError(
            "tampered",
            f"数据目录中的锚点记录({ANCHOR_NAME})签名无效,可能被篡改或损坏,无法确认数据库是否完整。" + _AFTER,
        ) from None


def check_against(conn: Connection, anchored: Head) -> None:
    """Raise AnchorError when the database does not reach the anchored head."""
    if conn.execute(text("SELECT 1 FROM events LIMIT 1")).first() is None and anchored.seq > 0:
        raise AnchorError(
            "emptied",
            f"本站的事件日志为空,但上次确认保存时已有 {anchored.seq} 条记录:日志被删除或数据库被替换。" + _AFTER,
        )
    row = conn.execute(text("SELECT ledger_hash FROM events WHERE seq = :n"), {"n": anchored.seq}).first()
    if anchored.seq > 0 and row is None:
        raise AnchorError(
            "behind",
            f"数据库比上次确认保存的状态旧:已确认保存的第 {anchored.seq} 条记录不在数据库中。"
            "可能是 station.db-wal 文件被删除,或把较旧的 station.db 拷回了数据目录。" + _AFTER,
        )
    if anchored.seq > 0 and row is not None and row[0] != anchored.ledger_hash:
        raise AnchorError(
            "diverged",
            f"数据库与上次确认保存的状态不一致:第 {anchored.seq} 条记录已不同。"
            "可能是把较旧的 station.db 拷回后又继续录入了数据。" + _AFTER,
        )
    current = read_head(conn).counters
    lower = sorted(k for k, v in anchored.counters.items() if current.get(k, 0) < v)
    if lower:
        raise AnchorError(
            "counters",
            "数据库中的编号计数器比上次确认保存时小,继续使用会重复发放编号。"
            "可能是 station.db-wal 文件被删除,或把较旧的 station.db 拷回了数据目录。" + _AFTER,
        )


def open_anchor(engine: Engine, db_path: Path) -> Anchor | None:
    """Check the database against its anchor at open, and keep it anchored from then on.

    Registers the anchor to be written after every committing transaction that appends to the
    log. A store without an anchor that never had one (written by an older version) is anchored
    now. Returns None for a store without a signing key (the benchmark's plain baseline): it is
    not anchored.

    Raises:
        AnchorError: a log behind its anchor, emptied, with lower counters, an anchor that is not
            genuine, or a missing anchor on a store that had one.
    """
    path = anchor_path(db_path)
    remove_orphans(path, ORPHAN_AGE_S)  # temp copies of a program killed while writing the anchor
    with read(engine) as conn:
        signing = _signing_key(conn)
        if signing is None:
            return None
        anchored = load_anchor(path, get_meta(conn, "ed25519_public"))
        if anchored is None and get_meta(conn, ANCHORED_META) is not None:
            raise AnchorError(
                "missing",
                f"数据目录中缺少锚点记录({ANCHOR_NAME}),无法确认数据库是否为最新状态。"
                "可能是数据目录只被部分拷贝或有文件被删除。" + _AFTER,
            )
        if anchored is not None:
            check_against(conn, anchored)
        head = read_head(conn, from_log=True)
        first = get_meta(conn, ANCHORED_META) is None
    anchor = Anchor(path, *signing)
    if anchored is None or head != anchored:
        anchor.publish(head)
    if first:  # after the file exists: a flagged store without one is refused at open
        with write(engine) as conn:
            set_meta(conn, ANCHORED_META, "1")
    on_log_commit(engine, anchor)
    return anchor


def anchor_problem(engine: Engine, db_path: Path) -> tuple[AnchorError | None, Head | None]:
    """What `open_anchor` would refuse, without refusing.

    For the recovery path (`audit accept-rollback`).

    Returns:
        `(the error or None, the anchored head when the anchor file is genuine, else None)`.
    """
    path = anchor_path(db_path)
    with read(engine) as conn:
        if _signing_key(conn) is None:
            return None, None
        try:
            anchored = load_anchor(path, get_meta(conn, "ed25519_public"))
        except AnchorError as exc:
            return exc, None
        if anchored is None:
            if get_meta(conn, ANCHORED_META) is not None:
                return AnchorError("missing", "missing"), None
            return None, None
        try:
            check_against(conn, anchored)
        except AnchorError as exc:
            return exc, anchored
    return None, anchored


def reanchor(engine: Engine, db_path: Path) -> Anchor | None:
    """Anchor the database's current head, whatever the old anchor said.

    Also registers the anchor for later commits; the last step of an accepted rollback. None
    for a store without a signing key.
    """
    path = anchor_path(db_path)
    with read(engine) as conn:
        signing = _signing_key(conn)
        if signing is None:
            return None
        head = read_head(conn, from_log=True)
    anchor = Anchor(path, *signing)
    anchor.publish(head)
    with write(engine) as conn:
        set_meta(conn, ANCHORED_META, "1")
    on_log_commit(engine, anchor)
    return anchor
