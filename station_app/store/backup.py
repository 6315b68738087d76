"""Backup archives of a store, and restoring one into a data folder.

A backup is one file (`*.stbak`, an uncompressed tar: the payload is encrypted and would not
shrink) holding a consistent copy of the database made by `VACUUM INTO` on the keyed
connection (so it is encrypted under the same key, and taken in one read transaction while
other writers go on), `keys.json` (the wraps that open it), an anchor signed for the copy's own
head, and `backup.json`: what it is, when, and the SHA-256 of each member. It is written to a
temp name, fsynced and renamed: complete or absent.

Restoring checks everything before it touches the data folder (the archive's members and
hashes, the station code, the password, SQLCipher's page HMACs, SQLite's integrity check, the
event chains, the anchor), then moves the current store aside into `replaced-<time>/` (never
deleted) and puts the backup in its place with a new `store_epoch`, so that sync reconciles
with the city instead of issuing numbers a second time.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from station_app.errors import StationError
from station_app.store.anchor import ANCHOR_NAME, Anchor, check_against, load_anchor, read_head
from station_app.store.atomic import fsync_dir
from station_app.store.db import get_meta, make_engine, read, set_meta, write
from station_app.store.keystore import Keystore
from station_app.store.station_store import DB_NAME, KEYS_NAME
from station_app.store.verify import verify_chain

FORMAT = "station-backup/1"
SUFFIX = ".stbak"
MANIFEST = "backup.json"
MEMBERS = (DB_NAME, KEYS_NAME, ANCHOR_NAME)
STORE_EPOCH = "store_epoch"
LAST_BACKUP = "last_backup_at"
# Files of a live store that a restore moves aside (the lock file stays: another process may hold it).
STORE_FILES = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", KEYS_NAME, ANCHOR_NAME)
DAMAGED = "备份文件已损坏或不是本程序生成的备份,无法恢复"


class BackupError(StationError):
    """A backup that cannot be made, or an archive that cannot be restored (message in Chinese)."""


@dataclass(frozen=True)
class Contents:
    """What a checked copy of a store holds."""

    cases: int
    events: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _engine(path: Path, key: bytes) -> Iterator[Engine]:
    engine = make_engine(path, key)
    try:
        yield engine
    finally:
        engine.dispose()


def check_copy(engine: Engine) -> Contents:
    """Check the database behind `engine` and say what it holds.

    Checks SQLCipher's page HMACs, SQLite's integrity check and every event chain.

    Raises:
        BackupError: naming the first problem.
    """
    try:
        with read(engine) as conn:
            for pragma in ("cipher_integrity_check", "integrity_check"):
                problems = [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}") if str(r[0]) != "ok"]
                if problems:
                    raise BackupError(f"{DAMAGED}(页面校验未通过)")
            report = verify_chain(conn)
            cases = int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
    except DBAPIError:
        raise BackupError(DAMAGED) from None
    if not report.ok:
        raise BackupError(f"{DAMAGED}(事件日志哈希链校验未通过:{report.reason})")
    return Contents(cases, report.count)


def _keys_without_attempts(source: Keystore) -> bytes:
    """`keys.json` as the copy needs it, as bytes: the wraps and lockout policy.

    Login attempts not yet moved into the database are left out (the live store records them).
    """
    with source.locked():
        data = json.loads(source.path.read_text(encoding="utf-8"))
    data["attempts"] = []
    for entry in data.get("users", {}).values():
        entry["failures"], entry["locked_until"] = 0, None
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def write_backup(engine: Engine, key: bytes, keystore: Keystore, to_dir: Path, at: datetime) -> tuple[Path, Contents]:
    """Write a checked backup archive of the live store into the existing folder `to_dir`.

    Returns the archive's path (`station-<code>-<yyyymmdd-hhmmss>.stbak`) and what it holds.
    Raises BackupError when the copy does not check, OSError when the folder cannot be written.
    """
    staging = Path(tempfile.mkdtemp(prefix=".station-backup-", dir=to_dir))
    try:
        copy = staging / DB_NAME
        with engine.connect() as conn:  # one read transaction: a consistent copy while others write
            conn.exec_driver_sql("VACUUM INTO ?", (str(copy),))
        (staging / KEYS_NAME).write_bytes(_keys_without_attempts(keystore))
        with _engine(copy, key) as copied:
            contents = check_copy(copied)
            with read(copied) as conn:
                head = read_head(conn, from_log=True)
                private, origin = get_meta(conn, "ed25519_private"), get_meta(conn, "origin") or ""
            if private is None:
                raise BackupError("数据库缺少本站签名密钥,无法备份")
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            Anchor(staging / ANCHOR_NAME, Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private)), origin).publish(
                head
            )
        manifest = {
            "format": FORMAT,
            "station_code": keystore.station_code,
            "station_name": keystore.station_name,
            "at": at.isoformat(timespec="seconds"),
            "cases": contents.cases,
            "events": contents.events,
            "head_seq": head.seq,
            "sha256": {name: _sha256(staging / name) for name in MEMBERS},
        }
        name = f"station-{keystore.station_code}-{at.strftime('%Y%m%d-%H%M%S')}"
        target = to_dir / (name + SUFFIX)
        n = 1
        while target.exists():
            n += 1
            target = to_dir / f"{name}-{n}{SUFFIX}"
        partial = staging / ("archive" + SUFFIX)
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            raw = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(raw), 0o600
            tar.addfile(info, io.BytesIO(raw))
            for member in MEMBERS:
                tar.add(staging / member, arcname=member, recursive=False)
        os.chmod(partial, 0o600)
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, target)
        fsync_dir(to_dir)
        return target, contents
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@dataclass
class StagedBackup:
    """An archive unpacked into a private folder beside the data folder, members checked."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def station_code(self) -> str:
        """The station code the backup's manifest names."""
        return str(self.manifest["station_code"])

    def remove(self) -> None:
        """Delete the staging folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)


def stage_backup(file: Path, into: Path) -> StagedBackup:
    """Unpack the archive `file` into a new private folder inside `into`, and check it.

    Checks the manifest and the SHA-256 of every member. Only the expected regular files are
    read; nothing is followed.

    Raises:
        BackupError: anything else than a whole backup written by this program.
    """
    folder = Path(tempfile.mkdtemp(prefix=".restore-", dir=into))
    try:
        try:
            with tarfile.open(file, "r:") as tar:
                members = {m.name: m for m in tar.getmembers()}
                if set(members) != {MANIFEST, *MEMBERS} or not all(m.isfile() for m in members.values()):
                    raise BackupError(DAMAGED)
                # A sparse member unpacks to more than the archive holds: a small forged file
                # could fill the disk. Ours are plain members, together smaller than the archive.
                if any(m.issparse() for m in members.values()) or sum(
                    m.size for m in members.values()
                ) > os.path.getsize(file):
                    raise BackupError(DAMAGED)
                for name, member in members.items():
                    source = tar.extractfile(member)
                    if source is None:
                        raise BackupError(DAMAGED)
                    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as out:
                        shutil.copyfileobj(source, out)
        except (tarfile.TarError, EOFError, OSError, UnicodeError):
            raise BackupError(DAMAGED) from None
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            sums = manifest["sha256"]
            ok = manifest.get("format") == FORMAT and all(_sha256(folder / n) == sums[n] for n in MEMBERS)
            str(manifest["station_code"]), str(manifest["at"])
        except (ValueError, KeyError, TypeError, UnicodeError):
            ok = False
        if not ok:
            raise BackupError(DAMAGED)
        return StagedBackup(folder, manifest)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def check_staged(staged: StagedBackup, key: bytes) -> Contents:
    """Open the staged database with `key` and check it: integrity, chains, and the anchor written with it.

    Raises:
        BackupError: naming the first problem.
    """
    with _engine(staged.folder / DB_NAME, key) as engine:
        try:
            with read(engine) as conn:
                conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
        except (DBAPIError, StationError):
            raise BackupError(DAMAGED) from None
        contents = check_copy(engine)
        with read(engine) as conn:
            try:
                anchored = load_anchor(staged.folder / ANCHOR_NAME, get_meta(conn, "ed25519_public"))
            except StationError:
                raise BackupError(DAMAGED) from None
            if anchored is None:
                raise BackupError(DAMAGED)
            try:
                check_against(conn, anchored)
            except StationError:
                raise BackupError(DAMAGED) from None
    return contents


def swap_in(staged: StagedBackup, data_dir: Path, stamp: str) -> Path | None:
    """Put the staged backup in place of the current store; gives where the old files went.

    The current store's files move into `data_dir/replaced-<stamp>/` (None when there were
    none). The database and anchor move first and `keys.json` last, so a half-done swap never
    offers a login to a store that is not whole.
    """
    present = [name for name in STORE_FILES if (data_dir / name).exists()]
    aside: Path | None = None
    if present:
        aside = data_dir / f"replaced-{stamp}"
        n = 1
        while aside.exists():
            n += 1
            aside = data_dir / f"replaced-{stamp}-{n}"
        aside.mkdir(mode=0o700)
        for name in present:
            os.replace(data_dir / name, aside / name)
        fsync_dir(aside)
    for name in (DB_NAME, ANCHOR_NAME, KEYS_NAME):
        os.replace(staged.folder / name, data_dir / name)
    fsync_dir(data_dir)
    return aside


def new_epoch(engine: Engine) -> str:
    """Give the store a new random `store_epoch` (32 hex digits) and return it.

    A restored store is a new incarnation for sync: the city reconciles its chain instead of
    taking it as a continuation.
    """
    epoch = uuid.uuid4().hex
    with write(engine) as conn:
        set_meta(conn, STORE_EPOCH, epoch)
    return epoch
