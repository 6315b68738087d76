"""The relay's metadata schema (SQLAlchemy Core) and engines for SQLite and PostgreSQL (SYNC.md §4.5).

Plain tables and portable SQL only, so one code path serves both: SQLite in WAL mode with
`synchronous=FULL` by default, PostgreSQL (psycopg 3) when the URL says `postgresql://`. Bundle
bytes never go in a row; they are files (`sync.relay.blobs`). Times are Unix seconds.

Tables:
    uploads: one unfinished upload per bundle id (sender, recipient, length, SHA-256, offset).
    bundles: published bundles and tombstones (`state` stored | delivered | expired), so a
        re-create of a delivered bundle answers instead of storing it twice.
    nonces: request nonces seen per key, kept a little longer than the accepted clock skew.
    keyrings: every keyring version installed (the newest is the one in force; never rolled back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    create_engine,
    event,
)

metadata = MetaData()

uploads = Table(
    "uploads",
    metadata,
    Column("bundle_id", String(36), primary_key=True),
    Column("sender", String(64), nullable=False),
    Column("recipient", String(64), nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("upload_offset", BigInteger, nullable=False),
    Column("header_checked", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_uploads_sender", "sender"),
    Index("ix_uploads_recipient", "recipient"),
    Index("ix_uploads_expires", "expires_at"),
)

bundles = Table(
    "bundles",
    metadata,
    Column("bundle_id", String(36), primary_key=True),
    Column("sender", String(64), nullable=False),
    Column("recipient", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("stored_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_bundles_mailbox", "recipient", "state", "stored_at"),
    Index("ix_bundles_expires", "state", "expires_at"),
)

nonces = Table(
    "nonces",
    metadata,
    Column("keyid", String(32), primary_key=True),
    Column("nonce", String(32), primary_key=True),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_nonces_expires", "expires_at"),
)

keyrings = Table(
    "keyrings",
    metadata,
    Column("version", BigInteger, primary_key=True),
    Column("document", LargeBinary, nullable=False),
    Column("installed_at", BigInteger, nullable=False),
)


def is_postgresql(url: str) -> bool:
    """True for a `postgresql://` (or `postgres://`, `postgresql+psycopg://`) URL."""
    return url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{Path(path).resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for `url` with the schema created.

    SQLite: WAL, `synchronous=FULL`, a 10 s busy timeout, one writer at a time queued by SQLite.
    PostgreSQL: the psycopg 3 driver and a small connection pool.

    Raises:
        ValueError: a URL that is neither SQLite nor PostgreSQL.
        sqlalchemy.exc.OperationalError: the database cannot be reached or opened.
    """
    if is_postgresql(url):
        rest = url.split("://", 1)[1]
        engine = create_engine(f"postgresql+psycopg://{rest}", pool_size=8, max_overflow=8, pool_recycle=3600)
    elif url.startswith("sqlite:///"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10.0}, pool_size=8)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    else:
        raise ValueError("the relay database URL must be sqlite:///FILE or postgresql://...")
    metadata.create_all(engine)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling is off: `_sqlite_begin_immediate` opens each one, so a
    # transaction that reads and then writes holds the write lock from the start and never fails
    # to upgrade it (SQLITE_BUSY) under concurrent writers; busy_timeout queues them instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Reads (execution option `readonly`) take no write lock: under WAL they run beside the writer.
    connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get("readonly") else "BEGIN IMMEDIATE")
