"""Atomic file writes: temp file in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

# Temp files of a writer killed before its rename: older than this, nobody is still writing them.
ORPHAN_AGE_S = 120.0


def temp_prefix(path: Path) -> str:
    """The name prefix of `path`'s temp copies (`.tmp-keys.json.`): who owns an orphan is known."""
    return f".tmp-{path.name}."


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file."""
    commit_staged(stage_bytes(path, data), path)


def stage_bytes(path: Path, data: bytes) -> str:
    """Write `data` to a new temp copy of `path` in its folder and fsync it.

    Returns the temp file's name, for `commit_staged` or `discard_staged`. Raises OSError (no
    copy is left behind then).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(path), dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        discard_staged(tmp_name)
        raise
    return tmp_name


def commit_staged(tmp_name: str, path: Path, durable: bool = True) -> None:
    """Rename a staged copy over `path`.

    With `durable`, fsync the folder so the rename survives a power cut (without it a power
    cut may bring the previous file back).

    Raises:
        OSError: the rename failed (the copy is removed then).
    """
    try:
        os.replace(tmp_name, path)
    except BaseException:
        discard_staged(tmp_name)
        raise
    if durable:
        fsync_dir(path.parent)


def discard_staged(tmp_name: str) -> None:
    """Remove a staged copy that will not be committed (missing already: fine)."""
    try:
        os.unlink(tmp_name)
    except FileNotFoundError:
        pass


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (no-op where folders cannot be opened, e.g. Windows)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_orphans(path: Path, older_than_s: float = 0.0) -> int:
    """Delete the temp copies of `path` left by a writer that was killed before its rename.

    With the default 0 every copy goes: call it only while holding the lock all writers of
    `path` take. Also removes this folder's unnamed `.tmp-*` copies (older versions) once they
    are `ORPHAN_AGE_S` old. Returns how many were removed; errors are ignored.
    """
    removed = 0
    now = time.time()
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return 0
    for item in candidates:
        own = item.name.startswith(temp_prefix(path))
        legacy = item.name.startswith(".tmp-")
        if not (own or legacy):
            continue
        try:
            age = now - item.stat().st_mtime
            if age >= (older_than_s if own else max(older_than_s, ORPHAN_AGE_S)):
                item.unlink()
                removed += 1
        except OSError:
            continue
    return removed
