"""Reading a file that someone named: on the command line, or beside the store.

A plain `open` of a named pipe (FIFO) waits for a writer that never comes, and a read of a
device such as `/dev/zero` never ends: a mistyped path must not hang a command. The file is
opened without blocking, must be a regular file, and is read up to a bound. Each way it can
fail is a kind the caller turns into its own message (or `REASONS`).
"""

from __future__ import annotations

import errno
import os
import stat

MISSING, FOLDER, NOT_REGULAR, UNREADABLE, TOO_LARGE = "missing", "folder", "not_regular", "unreadable", "too_large"
REASONS = {
    MISSING: "文件不存在",
    FOLDER: "应为文件,不是文件夹",
    NOT_REGULAR: "应为普通文件(不是管道、设备或其他特殊文件)",
    UNREADABLE: "文件无法读取(没有读取权限或无法访问)",
    TOO_LARGE: "文件过大",
}
_BLOCK = 1 << 20


class InputFileError(Exception):
    """A named file that cannot be read as one; `kind` says why (MISSING, FOLDER, ...)."""

    def __init__(self, kind: str) -> None:
        super().__init__(REASONS[kind])
        self.kind = kind


def _open(path: str | os.PathLike[str]) -> int:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags)
    except (FileNotFoundError, NotADirectoryError):
        raise InputFileError(MISSING) from None
    except IsADirectoryError:
        raise InputFileError(FOLDER) from None
    except PermissionError:
        raise InputFileError(FOLDER if os.path.isdir(path) else UNREADABLE) from None
    except OSError as exc:
        raise InputFileError(MISSING if exc.errno == errno.ENOENT else UNREADABLE) from None


def check_regular(path: str | os.PathLike[str]) -> None:
    """Refuse `path` unless it is an existing regular file (following links), without opening it.

    Raises:
        InputFileError: MISSING, FOLDER, NOT_REGULAR or UNREADABLE.
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise InputFileError(MISSING) from None
    except OSError:
        raise InputFileError(UNREADABLE) from None
    if stat.S_ISDIR(mode):
        raise InputFileError(FOLDER)
    if not stat.S_ISREG(mode):
        raise InputFileError(NOT_REGULAR)


def read_input_file(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of the regular file at `path`, at most `max_bytes` of them.

    Never blocks on a pipe and never reads a device: the file is opened without waiting and must
    be a regular file.

    Raises:
        InputFileError: MISSING, FOLDER, NOT_REGULAR, UNREADABLE, or TOO_LARGE when the file holds
            more than `max_bytes` bytes.
    """
    fd = _open(path)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputFileError(FOLDER)
        if not stat.S_ISREG(mode):
            raise InputFileError(NOT_REGULAR)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            try:
                block = os.read(fd, min(_BLOCK, max_bytes + 1 - size))
            except OSError:
                raise InputFileError(UNREADABLE) from None
            if not block:
                break
            chunks.append(block)
            size += len(block)
    finally:
        os.close(fd)
    if size > max_bytes:
        raise InputFileError(TOO_LARGE)
    return b"".join(chunks)
