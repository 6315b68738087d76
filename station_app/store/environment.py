"""The computer, not the program: a full disk, a read-only folder, a missing or locked file.

These are told to the user in one Chinese sentence that says what happened and where, never as
an internal error or as "wrong key or damaged file". The store's writes are transactions and
atomic renames, so a failure of this kind leaves the saved data as it was; the message says so.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from station_app.errors import StationError

FULL, READONLY, MISSING, LOCKED, IO = "full", "readonly", "missing", "locked", "io"

_ERRNO = {
    errno.ENOSPC: FULL,
    errno.EDQUOT: FULL,
    errno.EFBIG: FULL,
    errno.EROFS: READONLY,
    errno.EACCES: READONLY,
    errno.EPERM: READONLY,
    errno.ENOENT: MISSING,
    errno.ENOTDIR: MISSING,
    errno.EAGAIN: LOCKED,
    errno.EBUSY: LOCKED,
    errno.EIO: IO,
}
# SQLite's primary result codes (sqlcipher3 errors carry `sqlite_errorname`, e.g. SQLITE_IOERR_WRITE).
_SQLITE = {
    "SQLITE_FULL": FULL,
    "SQLITE_READONLY": READONLY,
    "SQLITE_PERM": READONLY,
    "SQLITE_CANTOPEN": MISSING,
    "SQLITE_BUSY": LOCKED,
    "SQLITE_LOCKED": LOCKED,
    "SQLITE_IOERR": IO,
}
_KEEP = "已保存的数据没有受到影响。"
_MESSAGES = {
    FULL: "磁盘空间不足,无法写入 {where}。请清理该磁盘(或换用空间充足的位置)后重试;" + _KEEP,
    READONLY: "无法写入 {where}:文件夹为只读或没有写入权限。请检查该位置的权限(或换一个可写的位置)后重试;" + _KEEP,
    MISSING: "找不到 {where}:文件或文件夹不存在,或U盘、网络盘未连接。请检查路径后重试。",
    LOCKED: "{where} 正被另一个程序占用。请关闭其他正在使用本站数据的程序后重试;" + _KEEP,
    IO: "读写 {where} 时磁盘出错(磁盘已满、U盘被拔出或磁盘故障)。请检查磁盘后重试;" + _KEEP,
}


class EnvironmentProblem(StationError):
    """The environment refused a read or write.

    Built from `kind` (full | readonly | missing | locked | io) and `where`, the folder or file
    concerned. The message (Chinese) says what, where and what to do.
    """

    def __init__(self, kind: str, where: str) -> None:
        super().__init__(_MESSAGES[kind].format(where=where))
        self.kind = kind
        self.where = where


def _sqlite_error(exc: BaseException) -> BaseException | None:
    """The DB-API error behind `exc` (SQLAlchemy wraps it in `.orig`), if there is one."""
    orig = getattr(exc, "orig", None)
    if orig is not None and hasattr(orig, "sqlite_errorname"):
        return orig  # type: ignore[no-any-return]
    return exc if hasattr(exc, "sqlite_errorname") else None


def classify(exc: BaseException) -> str | None:
    """The environment kind of an exception (see `EnvironmentProblem`), or None.

    None stands for anything else: a wrong key, a damaged file, our own bug.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:  # the cause chain: a wrapped OSError counts
        seen.add(id(current))
        if isinstance(current, EnvironmentProblem):
            return current.kind
        sqlite = _sqlite_error(current)
        if sqlite is not None:
            name = str(getattr(sqlite, "sqlite_errorname", "") or "")
            for prefix, kind in _SQLITE.items():
                if name == prefix or name.startswith(prefix + "_"):
                    return kind
            text = str(sqlite).lower()  # older builds without the error name
            if "disk is full" in text:
                return FULL
            if "readonly" in text:
                return READONLY
            if "disk i/o error" in text:
                return IO
            if "database is locked" in text:
                return LOCKED
            if "unable to open database file" in text:
                return MISSING
        if isinstance(current, OSError) and current.errno in _ERRNO:
            return _ERRNO[current.errno]
        current = current.__cause__ or current.__context__
    return None


def where_of(exc: BaseException, data_dir: Path | None) -> str:
    """Where `exc` happened, for the message.

    The data folder when the file lies in it (or the error names no file), else the file named
    by the error; for a hidden temp file the program was writing (`.station-backup-…`), the
    folder it was writing into, the one place the user knows.
    """
    filename = getattr(exc, "filename", None)
    if filename:
        path = Path(str(filename))
        if path.name.startswith("."):
            path = path.parent
        if data_dir is None or (data_dir not in path.parents and path != data_dir):
            return str(path)
    return f"数据目录 {data_dir}" if data_dir is not None else "数据目录"


def as_environment_problem(exc: BaseException, data_dir: Path | None) -> EnvironmentProblem | None:
    """`exc` told as an EnvironmentProblem, or None when it is not one."""
    if isinstance(exc, EnvironmentProblem):
        return exc
    kind = classify(exc)
    if kind == IO and data_dir is not None and _nearly_full(data_dir):
        kind = FULL  # SQLite reports a write into a full disk's shared memory as an I/O error
    return EnvironmentProblem(kind, where_of(exc, data_dir)) if kind is not None else None


NEARLY_FULL_BYTES = 4 * 1024 * 1024


def _nearly_full(folder: Path) -> bool:
    for candidate in (folder, *folder.parents):
        try:
            return shutil.disk_usage(candidate).free < NEARLY_FULL_BYTES
        except OSError:
            continue
    return False
