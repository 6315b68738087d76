"""Bundle bytes on the filesystem (SYNC.md §4.5): unfinished uploads and published bundles.

An upload grows in `uploads/<bundle id>.part`; each PATCH writes its bytes at the offset, fsyncs,
and only then does the database move the offset, so the offset never runs ahead of the disk. A
complete upload whose hash matches is renamed to `<sha256[:2]>/<sha256>` (content-addressed) and
the folder fsynced: a bundle is published whole or not at all. The relay never decrypts a byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

IO_BLOCK = 1024 * 1024


class BlobStore:
    """The blob folder: `root/uploads/*.part` and `root/ab/abcdef...` published files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.uploads = self.root / "uploads"
        self.uploads.mkdir(parents=True, exist_ok=True)

    def part_path(self, bundle_id: str) -> Path:
        """Where the unfinished upload of `bundle_id` grows."""
        return self.uploads / f"{bundle_id}.part"

    def blob_path(self, sha256: str) -> Path:
        """Where a published bundle with this SHA-256 (hex) lives."""
        return self.root / sha256[:2] / sha256

    @contextlib.contextmanager
    def locked_part(self, bundle_id: str) -> Iterator[int]:
        """Open (creating) the part file with an exclusive lock, held across processes; yields its fd."""
        import fcntl  # the relay runs on a POSIX server; imported here so the module loads anywhere

        fd = os.open(self.part_path(bundle_id), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    @staticmethod
    def write_at(fd: int, offset: int, data: bytes) -> None:
        """Write `data` at `offset`, drop anything after it, and fsync."""
        os.ftruncate(fd, offset)
        view = memoryview(data)
        position = offset
        while view:
            written = os.pwrite(fd, view, position)
            view, position = view[written:], position + written
        os.fsync(fd)

    @staticmethod
    def size_of(fd: int) -> int:
        """The current size of an open file."""
        return os.fstat(fd).st_size

    def sha256_of_part(self, bundle_id: str) -> str:
        """SHA-256 (hex) of the part file."""
        digest = hashlib.sha256()
        with open(self.part_path(bundle_id), "rb") as fh:
            while block := fh.read(IO_BLOCK):
                digest.update(block)
        return digest.hexdigest()

    def publish(self, bundle_id: str, sha256: str) -> Path:
        """Rename the finished part file to its content address and fsync both folders."""
        final = self.blob_path(sha256)
        final.parent.mkdir(exist_ok=True)
        os.replace(self.part_path(bundle_id), final)
        _fsync_dir(final.parent)
        _fsync_dir(self.uploads)
        return final

    def discard_part(self, bundle_id: str) -> None:
        """Remove an unfinished upload's bytes (missing is fine)."""
        self.part_path(bundle_id).unlink(missing_ok=True)

    def delete_blob(self, sha256: str) -> None:
        """Remove a published bundle's bytes (missing is fine)."""
        self.blob_path(sha256).unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
