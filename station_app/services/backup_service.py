"""Backing up the station while it works, and restoring a backup (store/backup.py does the files).

`backup` is a head's or admin's act (the archive opens with any password of the store, so it
leaves the station only with the head's knowledge); `restore` needs an admin password *of the
backup* and replaces the store in the data folder after confirming, moving the current one
aside, never deleting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from station_app.clock import CHINA_TZ, Clock, SystemClock
from station_app.domain.enums import Role
from station_app.errors import AuthError, StationError, ValidationError
from station_app.services.session import Session
from station_app.store import backup as files
from station_app.store.db import make_engine, read, set_meta, write
from station_app.store.keystore import GENERIC_LOGIN_ERROR, Keystore
from station_app.store.read_model.station import account
from station_app.store.station_store import DB_NAME, KEYS_NAME, keys_path


@dataclass(frozen=True)
class BackupResult:
    """A written, checked backup: the archive, its size in bytes, what it holds, when (ISO)."""

    file: Path
    bytes: int
    cases: int
    events: int
    at: str

    def to_json(self) -> dict[str, Any]:
        """The result as `backup create --json` prints it (paths as text)."""
        return {"file": str(self.file), "bytes": self.bytes, "cases": self.cases, "events": self.events, "at": self.at}


@dataclass(frozen=True)
class RestoreResult:
    """What a restore put in place, and where the store it replaced went.

    From which archive (made `at`), where the replaced store went (None when the folder held none),
    what it holds and its new `store_epoch`.
    """

    file: Path
    data_dir: Path
    moved_aside: Path | None
    cases: int
    events: int
    at: str
    store_epoch: str

    def to_json(self) -> dict[str, Any]:
        """The result as `backup restore --json` prints it (paths as text, None when nothing was moved aside)."""
        return {
            "file": str(self.file),
            "data_dir": str(self.data_dir),
            "moved_aside": str(self.moved_aside) if self.moved_aside else None,
            "cases": self.cases,
            "events": self.events,
            "at": self.at,
            "store_epoch": self.store_epoch,
        }


def _existing_folder(value: Path, field: str) -> Path:
    if not value.is_dir():
        raise ValidationError({field: "文件夹不存在(不会自动创建)"})
    return value


def backup(session: Session, to_dir: Path) -> BackupResult:
    """Write a checked, encrypted backup of the store into the existing folder `to_dir`.

    The station goes on working meanwhile; the time is noted (`last_backup`).

    Raises PermissionDenied (a worker), ValidationError on `to` (no such folder), BackupError
    when the copy does not check, OSError when the folder cannot be written.
    """
    session.require(Role.HEAD, Role.ADMIN)
    folder = _existing_folder(to_dir, "to")
    at = session.clock.now()
    store = session.store
    path, contents = files.write_backup(store.engine, store.key, store.keystore, folder, at)
    stamp = at.isoformat(timespec="seconds")
    with write(store.engine) as conn:
        set_meta(conn, files.LAST_BACKUP, stamp)
    return BackupResult(path, path.stat().st_size, contents.cases, contents.events, stamp)


def last_backup(session: Session) -> str | None:
    """When this store was last backed up (ISO time), or None."""
    return session.store.meta(files.LAST_BACKUP)


def backup_overdue(session: Session, today: date | None = None) -> int | None:
    """Days since the last backup when that is more than the `backup_reminder_days` setting.

    Never backed up: the days since the store was made (Beijing calendar days). None while the
    last backup is recent enough.
    """
    today = today or session.today()
    since = last_backup(session) or session.store.meta("created_at")
    if not since:
        return None
    days = (today - _beijing_date(since)).days
    return days if days > int(session.setting("backup_reminder_days")) else None


def _beijing_date(stamp: str) -> date:
    """The Beijing calendar day of an ISO time; a naive stamp (older stores) is the machine's local time."""
    return datetime.fromisoformat(stamp).astimezone(CHINA_TZ).date()


def _backup_file(file: Path) -> Path:
    if not file.is_file():
        raise ValidationError({"file": "备份文件不存在"})
    return file


def _staging_parent(data_dir: Path) -> Path:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return data_dir


def restore(data_dir: Path, file: Path, user: str | None, password: str, clock: Clock | None = None) -> RestoreResult:
    """Restore the backup archive `file` into `data_dir` (made when missing).

    `user` (default: the backup's only user) must be an admin of the backup and `password`
    theirs. Everything is checked before the data folder changes; then the current store is
    moved into `replaced-<time>/` and the backup takes its place with a new `store_epoch`.
    Raises ValidationError on `file` (missing), BackupError (damaged, not ours, or another
    station's), AuthError (one generic message).
    """
    clock = clock or SystemClock()
    archive = _backup_file(file)
    staged = files.stage_backup(archive, _staging_parent(data_dir))
    try:
        if keys_path(data_dir).exists():
            try:
                current = Keystore.load(keys_path(data_dir)).station_code
            except StationError:
                current = None  # a damaged key file is a reason to restore, not a refusal
            if current is not None and current != staged.station_code:
                raise files.BackupError(
                    f"该备份属于另一调解站(编码 {staged.station_code}),"
                    f"与本数据目录的调解站(编码 {current})不符,不能恢复"
                )
        keystore = Keystore.load(staged.folder / KEYS_NAME)
        if keystore.station_code != staged.station_code:
            raise files.BackupError(files.DAMAGED)
        names = keystore.user_names()
        name = user or (names[0] if len(names) == 1 else None)
        if name is None:
            raise ValidationError({"user": "请用 --user 指定备份中的管理员"})
        key = keystore.unwrap(name, password, clock.now())
        engine = make_engine(staged.folder / DB_NAME, key)
        try:
            with read(engine) as conn:
                found = account(conn, name)
        finally:
            engine.dispose()
        if found is None or not found.active or found.role != Role.ADMIN.value:
            raise AuthError(GENERIC_LOGIN_ERROR if found is None else "只有备份中的管理员可以恢复该备份")
        contents = files.check_staged(staged, key)
        at = str(staged.manifest["at"])
        moved = files.swap_in(staged, data_dir, clock.now().strftime("%Y%m%d-%H%M%S"))
    finally:
        staged.remove()
    engine = make_engine(data_dir / DB_NAME, key)
    try:
        epoch = files.new_epoch(engine)
    finally:
        engine.dispose()
    return RestoreResult(archive, data_dir, moved, contents.cases, contents.events, at, epoch)
