"""SQLCipher connections (raw 256-bit key) and plain SQLite for the benchmark's baseline."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import sqlcipher3
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import QueuePool

from station_app.errors import StationError
from station_app.store.environment import as_environment_problem

# Page cache per connection, in KiB. SQLCipher decrypts and authenticates a page each time it is
# read into the cache, so a cache that holds what a session reads (list rows, search indexes)
# decrypts each page once. At 100,000 cases that fits in the floor; a city store of 1,000,000
# cases reads far more, and a cache up to the ceiling brought its searches from about 1.35 to
# 1.2 times plain SQLite's time. The cache grows only as pages are read.
CACHE_FLOOR_KIB = 131072  # 128 MiB
CACHE_CEILING_KIB = 1048576  # 1 GiB
CACHE_SHARE = 16  # at most a sixteenth of the machine's memory


def cache_kib() -> int:
    """The page cache one connection may grow to, in KiB.

    A sixteenth of the machine's physical memory, between CACHE_FLOOR_KIB and
    CACHE_CEILING_KIB; the floor where the memory cannot be read (no `os.sysconf`).
    """
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return CACHE_FLOOR_KIB
    return max(CACHE_FLOOR_KIB, min(CACHE_CEILING_KIB, memory // 1024 // CACHE_SHARE))


def _configure(conn: Any, key: bytes | None, path: Path) -> None:
    if key is not None:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except Exception as exc:
        conn.close()
        problem = as_environment_problem(exc, path.parent)  # a full disk is not a wrong key
        if problem is not None:
            raise problem from None
        raise StationError("数据库无法打开:密钥不符或文件已损坏") from None
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute(f"PRAGMA cache_size = -{cache_kib()}")
    conn.execute("PRAGMA busy_timeout = 10000")


def make_engine(path: Path, key: bytes | None) -> Engine:
    """An engine over `path`: SQLCipher with `key`, or a plain SQLite file when key is None.

    Connections run in autocommit mode; `write()` opens `BEGIN IMMEDIATE` itself so the
    event chain is extended by one writer at a time.
    """
    # Plain mode uses the same bundled SQLite build (FTS5, trigram) without a key.
    module: Any = sqlcipher3.dbapi2

    def creator() -> Any:
        try:
            conn = module.connect(str(path), check_same_thread=False, isolation_level=None)
        except Exception as exc:
            problem = as_environment_problem(exc, path.parent)
            if problem is not None:
                raise problem from None
            raise
        try:
            _configure(conn, key, path)
        except StationError:
            raise
        except Exception as exc:  # the pragmas write (WAL, -shm): a full or read-only folder
            conn.close()
            problem = as_environment_problem(exc, path.parent)
            if problem is not None:
                raise problem from None
            raise
        return conn

    engine = create_engine(
        "sqlite://",
        creator=creator,
        module=module,
        poolclass=QueuePool,
        hide_parameters=True,  # SQL errors must never echo personal data
        pool_size=4,
        pool_use_lifo=True,  # reuse the warm connection: its page cache holds decrypted pages
        max_overflow=4,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:  # pragma: no cover - hook
        dbapi_conn.isolation_level = None

    return engine


class LogCommitHook(Protocol):
    """Told about every committed write transaction that appended to the event log."""

    def stage(self, conn: Connection) -> Any:
        """Read what to record and start writing it, inside the transaction before it commits.

        The write may proceed while the commit runs.
        """

    def finish(self, state: Any) -> None:
        """Make the record current, after the commit returned."""

    def discard(self, state: Any) -> None:
        """Drop the record: the commit failed."""


_HOOKS: weakref.WeakKeyDictionary[Engine, LogCommitHook] = weakref.WeakKeyDictionary()
_LOG_APPENDED = "station_app.log_appended"


def on_log_commit(engine: Engine, hook: LogCommitHook) -> None:
    """Call `hook` around every commit of `write(engine)` that appended events (the anchor)."""
    _HOOKS[engine] = hook


def mark_log_appended(conn: Connection) -> None:
    """Note that the current write transaction appended to the event log."""
    conn.info[_LOG_APPENDED] = True


_LATER: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines inside `checkpoint_after`
_CHECKPOINTS: weakref.WeakKeyDictionary[Engine, threading.Thread] = weakref.WeakKeyDictionary()
AUTOCHECKPOINT_PAGES = 1000  # SQLite's default: a commit that leaves more in the WAL copies it back


@contextmanager
def checkpoint_after(engine: Engine, first: Callable[[Engine], None] | None = None) -> Iterator[None]:
    """Commits of `write(engine)` inside leave their pages in the WAL; one checkpoint follows.

    For many large transactions in a row (the bundles of a folder): each commit is durable in
    the WAL as always, but none copies the WAL back into the database file (SQLite's
    autocheckpoint, which would copy each bundle's pages in turn, and pages that several
    bundles change once per bundle). When the block ends, a thread of its own runs one passive
    checkpoint for all of them, so whoever waits for the import does not wait for that copy;
    `settle` waits for it (before the engine is disposed of). `first`, when given, runs on that
    thread before the checkpoint (more deferred work whose pages the checkpoint then copies).
    """
    settle(engine)
    _LATER.add(engine)
    try:
        yield
    finally:
        _LATER.discard(engine)
        thread = threading.Thread(target=_checkpoint, args=(engine, first), name="wal-checkpoint")
        _CHECKPOINTS[engine] = thread
        thread.start()


def _checkpoint(engine: Engine, first: Callable[[Engine], None] | None) -> None:
    if first is not None:
        try:
            first(engine)
        except Exception:  # deferred work that can wait for the next time
            pass
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except Exception:  # the next commit's autocheckpoint copies what is left
        return


def _autocheckpoint(conn: Connection, pages: int) -> None:
    try:
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {pages}")
    except Exception:  # a broken connection is not reused for writing
        return


def settle(engine: Engine) -> None:
    """Wait for the checkpoint `checkpoint_after` left running on `engine`, if any."""
    thread = _CHECKPOINTS.pop(engine, None)
    if thread is not None:
        thread.join()


def dispose(engine: Engine) -> None:
    """Close every connection of `engine`, once its pending checkpoint has finished."""
    settle(engine)
    engine.dispose()


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One write transaction (`BEGIN IMMEDIATE` ... `COMMIT`), rolled back on error.

    When it appended to the event log, the engine's log-commit hook (if any) stages the head
    before the commit (written while the commit runs) and makes it current after: one small
    write per transaction, never naming a head that did not commit.
    """
    with engine.connect() as conn:
        conn.info.pop(_LOG_APPENDED, None)
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
            hook = _HOOKS.get(engine) if conn.info.pop(_LOG_APPENDED, False) else None
            state = hook.stage(conn) if hook is not None else None
        except BaseException:
            conn.info.pop(_LOG_APPENDED, None)
            conn.exec_driver_sql("ROLLBACK")
            conn.rollback()
            raise
        later = engine in _LATER
        try:
            if later:
                _autocheckpoint(conn, 0)
            conn.exec_driver_sql("COMMIT")
            conn.commit()
        except BaseException:
            if hook is not None:
                hook.discard(state)
            raise
        finally:
            if later:
                _autocheckpoint(conn, AUTOCHECKPOINT_PAGES)
        if hook is not None:
            hook.finish(state)


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read connection (each statement sees committed data)."""
    with engine.connect() as conn:
        yield conn
        conn.rollback()


_SET_META = text("INSERT INTO meta (key, value) VALUES (:k, :v) ON CONFLICT(key) DO UPDATE SET value = :v")


_GET_META = text("SELECT value FROM meta WHERE key = :k")


def get_meta(conn: Connection, key: str) -> str | None:
    """One `meta` value, or None when it was never set."""
    row = conn.execute(_GET_META, {"k": key}).first()
    return str(row[0]) if row else None


def set_meta(conn: Connection, key: str, value: str) -> None:
    """Set one `meta` value (inside the caller's transaction)."""
    conn.execute(_SET_META, {"k": key, "v": value})


def next_counter(conn: Connection, key: str) -> int:
    """Advance the counter `key` in `meta` and return its new value (1 the first time)."""
    value = int(get_meta(conn, key) or 0) + 1
    set_meta(conn, key, str(value))
    return value


def table_exists(conn: Connection, name: str) -> bool:
    """Whether the store has a table `name` (one a later migration made or dropped)."""
    row = conn.execute(text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": name}).first()
    return row is not None


def delete_meta(conn: Connection, key: str) -> None:
    """Remove one `meta` value (inside the caller's transaction); nothing happens when it is absent."""
    conn.execute(text("DELETE FROM meta WHERE key = :k"), {"k": key})


def driver(conn: Connection) -> Any:
    """The driver's connection under `conn`, inside the same transaction.

    For bulk statements (`executemany` over many rows) where SQLAlchemy's per-statement work
    would cost more than the statement; parameters are named (`:name`) as in `text()`.
    """
    return conn.connection.driver_connection
