"""The relay's metadata queries: one method per question, plain SQL through SQLAlchemy Core.

Every method is one short transaction. Sizes in bytes, times in Unix seconds. Rows come out as
frozen dataclasses; nothing here knows HTTP, keys or bundle contents.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync.relay.db import bundles, keyrings, nonces, uploads


@dataclass(frozen=True)
class UploadRow:
    """An unfinished upload."""

    bundle_id: str
    sender: str
    recipient: str
    length: int
    sha256: str
    offset: int
    header_checked: bool
    expires_at: int


@dataclass(frozen=True)
class BundleRow:
    """A published bundle (`state` stored) or a tombstone (`delivered`, `expired`)."""

    bundle_id: str
    sender: str
    recipient: str
    kind: str
    size: int
    sha256: str
    state: str
    stored_at: int
    expires_at: int


@dataclass(frozen=True)
class SweepResult:
    """What one sweep removed, and which files to delete.

    Counts of expired bundles, dropped uploads, forgotten tombstones and nonces, and the SHA-256
    of every blob and the id of every part file to delete.
    """

    expired: int
    dropped_uploads: int
    tombstones: int
    nonces: int
    blobs: tuple[str, ...]
    parts: tuple[str, ...]


def _upload(row: RowMapping) -> UploadRow:
    return UploadRow(
        row["bundle_id"],
        row["sender"],
        row["recipient"],
        row["length"],
        row["sha256"],
        row["upload_offset"],
        bool(row["header_checked"]),
        row["expires_at"],
    )


def _bundle(row: RowMapping) -> BundleRow:
    return BundleRow(
        row["bundle_id"],
        row["sender"],
        row["recipient"],
        row["kind"],
        row["size"],
        row["sha256"],
        row["state"],
        row["stored_at"],
        row["expires_at"],
    )


class RelayStore:
    """Metadata of uploads, bundles, nonces and keyrings in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read-only transaction (on SQLite a deferred one, taking no write lock)."""
        with self.engine.connect() as conn, conn.execution_options(readonly=True).begin():
            yield conn

    # -- nonces ----------------------------------------------------------------------------
    def remember_nonce(self, keyid: str, nonce: str, expires_at: int) -> bool:
        """Record a request nonce; False if this key already used it (a replay).

        The only write of a mailbox poll, so it is committed without waiting for the disk
        (SQLite `synchronous=NORMAL` for this one commit, PostgreSQL `synchronous_commit off`):
        a power cut may forget the last second of nonces, never corrupt anything, and the next
        durable commit carries them to disk. A replay inside that second repeats an idempotent
        request at worst.
        """
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as conn:
            raw: Any = conn.connection.driver_connection
            if sqlite:
                raw.execute("PRAGMA synchronous=NORMAL")  # outside any transaction: autocommit mode
            try:
                with conn.begin():
                    if not sqlite:
                        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                    conn.execute(insert(nonces).values(keyid=keyid, nonce=nonce, expires_at=expires_at))
            except IntegrityError:
                return False
            finally:
                if sqlite:
                    raw.execute("PRAGMA synchronous=FULL")
        return True

    # -- keyrings --------------------------------------------------------------------------
    def newest_keyring(self) -> tuple[int, bytes] | None:
        """(version, document) of the newest installed keyring, or None."""
        with self._reading() as conn:
            row = conn.execute(
                select(keyrings.c.version, keyrings.c.document).order_by(keyrings.c.version.desc()).limit(1)
            ).first()
        return None if row is None else (int(row[0]), bytes(row[1]))

    def newest_keyring_version(self) -> int:
        """The newest installed keyring version, 0 if none."""
        with self._reading() as conn:
            return int(conn.execute(select(func.coalesce(func.max(keyrings.c.version), 0))).scalar_one())

    def install_keyring(self, version: int, document: bytes, now: int) -> bool:
        """Store a keyring version; False if that version is already there."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(keyrings).values(version=version, document=document, installed_at=now))
        except IntegrityError:
            return False
        return True

    # -- uploads ---------------------------------------------------------------------------
    def upload(self, bundle_id: str) -> UploadRow | None:
        """The unfinished upload of `bundle_id`, or None."""
        with self._reading() as conn:
            row = conn.execute(select(uploads).where(uploads.c.bundle_id == bundle_id)).mappings().first()
        return None if row is None else _upload(row)

    def bundle(self, bundle_id: str) -> BundleRow | None:
        """The published bundle or tombstone with this id, or None."""
        with self._reading() as conn:
            row = conn.execute(select(bundles).where(bundles.c.bundle_id == bundle_id)).mappings().first()
        return None if row is None else _bundle(row)

    def usage(self, sender: str, recipient: str) -> tuple[int, int]:
        """The bytes in use for a sender and a recipient, read in one transaction.

        Returns:
            `(bytes of unfinished uploads from sender, bytes waiting for or uploading to recipient)`.
        """
        pending = func.coalesce(func.sum(uploads.c.length), 0)
        waiting = and_(bundles.c.recipient == recipient, bundles.c.state == "stored")
        with self._reading() as conn:
            from_sender = conn.execute(select(pending).where(uploads.c.sender == sender)).scalar_one()
            to_recipient = conn.execute(select(pending).where(uploads.c.recipient == recipient)).scalar_one()
            stored = conn.execute(select(func.coalesce(func.sum(bundles.c.size), 0)).where(waiting)).scalar_one()
        return int(from_sender), int(to_recipient) + int(stored)

    def create_upload(self, row: UploadRow, now: int) -> bool:
        """Insert a new upload; False if the bundle id is already uploading or stored (a race)."""
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(bundles.c.bundle_id).where(bundles.c.bundle_id == row.bundle_id)).first():
                    return False
                conn.execute(
                    insert(uploads).values(
                        bundle_id=row.bundle_id,
                        sender=row.sender,
                        recipient=row.recipient,
                        length=row.length,
                        sha256=row.sha256,
                        upload_offset=row.offset,
                        header_checked=int(row.header_checked),
                        created_at=now,
                        expires_at=row.expires_at,
                    )
                )
        except IntegrityError:
            return False
        return True

    def move_offset(self, bundle_id: str, old: int, new: int, header_checked: bool) -> bool:
        """Set the offset from `old` to `new`; False if it was no longer `old`."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(uploads)
                .where(and_(uploads.c.bundle_id == bundle_id, uploads.c.upload_offset == old))
                .values(upload_offset=new, header_checked=int(header_checked))
            )
        return result.rowcount == 1

    def drop_upload(self, bundle_id: str) -> None:
        """Forget an unfinished upload (its bytes are the caller's to delete)."""
        with self.engine.begin() as conn:
            conn.execute(delete(uploads).where(uploads.c.bundle_id == bundle_id))

    def publish(self, upload_row: UploadRow, kind: str, now: int, expires_at: int) -> None:
        """In one transaction: the upload becomes a stored bundle in its recipient's mailbox."""
        with self.engine.begin() as conn:
            conn.execute(delete(uploads).where(uploads.c.bundle_id == upload_row.bundle_id))
            conn.execute(
                insert(bundles).values(
                    bundle_id=upload_row.bundle_id,
                    sender=upload_row.sender,
                    recipient=upload_row.recipient,
                    kind=kind,
                    size=upload_row.length,
                    sha256=upload_row.sha256,
                    state="stored",
                    stored_at=now,
                    expires_at=expires_at,
                )
            )

    # -- mailbox ---------------------------------------------------------------------------
    def mailbox(self, recipient: str, now: int, limit: int) -> list[BundleRow]:
        """Bundles waiting for `recipient` and not yet expired, oldest first, at most `limit`."""
        query = (
            select(bundles)
            .where(and_(bundles.c.recipient == recipient, bundles.c.state == "stored", bundles.c.expires_at > now))
            .order_by(bundles.c.stored_at, bundles.c.bundle_id)
            .limit(limit)
        )
        with self._reading() as conn:
            return [_bundle(r) for r in conn.execute(query).mappings()]

    def mark_delivered(self, bundle_id: str) -> bool:
        """Turn a stored bundle into a `delivered` tombstone; False if it was not `stored`."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(bundles)
                .where(and_(bundles.c.bundle_id == bundle_id, bundles.c.state == "stored"))
                .values(state="delivered")
            )
        return result.rowcount == 1

    # -- expiry ----------------------------------------------------------------------------
    def sweep(self, now: int, tombstone_ttl_s: int) -> SweepResult:
        """Expire bundles and uploads past their time; forget old tombstones and nonces."""
        with self.engine.begin() as conn:
            due = and_(bundles.c.state == "stored", bundles.c.expires_at <= now)
            blobs = tuple(r[0] for r in conn.execute(select(bundles.c.sha256).where(due)))
            expired = conn.execute(update(bundles).where(due).values(state="expired")).rowcount
            parts = tuple(r[0] for r in conn.execute(select(uploads.c.bundle_id).where(uploads.c.expires_at <= now)))
            dropped = conn.execute(delete(uploads).where(uploads.c.expires_at <= now)).rowcount
            old = and_(bundles.c.state != "stored", bundles.c.stored_at <= now - tombstone_ttl_s)
            tombstones = conn.execute(delete(bundles).where(old)).rowcount
            forgotten = conn.execute(delete(nonces).where(nonces.c.expires_at <= now)).rowcount
        return SweepResult(expired, dropped, tombstones, forgotten, blobs, parts)
