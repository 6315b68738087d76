"""The search-index documents of a batch's new cases, worked out on the machine's other core.

Indexing a new case (its trigram text, its Chinese character pairs, its exact keys with the
pinyin initials of every name) is pure Python and about a quarter of importing a bundle that
registers many cases (a station's first bundles hold thousands). A thread would wait for the
import's own Python (one interpreter lock), so a child process works the documents out while
the import checks chains and hashes and projects the other events, and the import takes them
when it indexes.

The child is forked (POSIX `fork`): it has the batch's payloads in memory already, so nothing is
copied to it, and nothing is set up for it. It runs only pure functions
(`projection.registration_docs`) and never touches what it inherited besides them: no database
connection (SQLite's rule for connections across a fork), no Qt, no file but its end of a pipe;
it leaves with `os._exit`, running no clean-up of the parent's. Its answer comes back through
the pipe, in memory: no personal data is written anywhere, and nothing is logged.

Whatever goes wrong there (no fork on this system, the child dies, it is not done when the
import needs the documents) costs only time: the import works out the documents it has not got
itself, as it always did, and the child is stopped.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from station_app.store.events import Envelope
from station_app.store.projection import registration_docs
from station_app.store.search_index import IndexDocs

NEW_CASE = "case_registered"
MIN_CASES = 1000  # fewer new cases than this are indexed here faster than a child is started
GRACE_S = 0.5  # how long the import waits for a child that is not done yet, then indexes itself
_HEADER = struct.Struct("!Q")  # the length of the pickled answer, written when it is ready


class IndexAhead:
    """A forked child working out `projection.registration_docs` of a batch's new cases.

    `start` forks it (or not); `take` returns its documents, or {} when there are none to take.
    """

    def __init__(self) -> None:
        """No child yet."""
        self._pid = 0
        self._read = -1

    def start(self, events: Sequence[Envelope]) -> None:
        """Fork a child for the `case_registered` events of `events`, when there are MIN_CASES."""
        items = [(e.case_uuid, e.payload) for e in events if e.type == NEW_CASE and e.case_uuid is not None]
        if len(items) < MIN_CASES or not hasattr(os, "fork"):
            return
        try:
            read, write = os.pipe()
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: never returns
            os.close(read)
            _child(items, write)
        os.close(write)
        self._pid, self._read = pid, read

    def take(self) -> Mapping[str, IndexDocs]:
        """The child's documents ({case uuid: docs}); {} when there is no child or no answer.

        Waits at most GRACE_S for a child that has not answered yet. The child is gone after.
        """
        if not self._pid:
            return {}
        try:
            ready, _, _ = select.select([self._read], [], [], GRACE_S)
            return _answer(self._read) if ready else {}
        except (OSError, EOFError, pickle.UnpicklingError, struct.error, ValueError):
            return {}
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop the child, if any, and reap it (idempotent)."""
        if self._read >= 0:
            os.close(self._read)
            self._read = -1
        if self._pid:
            try:
                os.kill(self._pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self._pid, 0)
            except ChildProcessError:
                pass
            self._pid = 0


def _answer(read: int) -> dict[str, IndexDocs]:
    (size,) = _HEADER.unpack(_exactly(read, _HEADER.size))
    docs = pickle.loads(_exactly(read, size))
    if not isinstance(docs, dict):
        raise ValueError("not an answer")
    return docs


def _exactly(fd: int, size: int) -> bytes:
    parts: list[bytes] = []
    left = size
    while left:
        part = os.read(fd, min(left, 1 << 20))
        if not part:
            raise EOFError("the child left before answering")
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _child(items: list[tuple[str, dict[str, Any]]], write: int) -> None:
    """Work out the documents, write them to `write`, leave. Never returns, never raises."""
    code = 1
    try:
        data = pickle.dumps(registration_docs(items), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            view = view[os.write(write, view) :]
        code = 0
    except BaseException:  # the parent indexes itself; nothing of the data may be printed
        code = 1
    finally:
        os._exit(code)
