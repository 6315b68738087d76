"""An exclusive, non-blocking lock on an open file, the same on Windows and POSIX.

The key file, a sync round and a screenshot's scratch folder use it to keep a second
process out.
"""

from __future__ import annotations

import errno
import os
import sys


def try_lock(fd: int) -> bool:
    """Take the exclusive lock on the open file `fd` if no other process holds it.

    On Windows the lock covers byte 0. Returns False when another process holds it.

    Raises:
        OSError: the lock cannot be taken for another reason than another holder.
    """
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # byte 0: the position is 0 after open
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(fd: int) -> None:
    """Release the lock `try_lock` took on `fd`."""
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
