"""Pausing Python's cyclic garbage collector while a batch builds many objects.

Reading and importing a bundle makes hundreds of thousands of dicts, strings and tuples that
all stay alive until the batch is stored. Each few hundred new containers start a collection
that walks the young objects, and every so often a full one walks the whole heap: about a tenth
of an import's time was spent proving that none of them is garbage yet. None of this work makes
reference cycles; reference counting still frees whatever is dropped, and the collector runs
again as soon as the batch is done.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0  # blocks inside gc_paused, on any thread
_enable_after = False  # whether the collector was enabled when the first of them began


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; enable it again when the last block ends.

    Blocks may nest and may run on several threads at once (a bundle read ahead on a thread
    while the one before is imported): the collector stays off until every one has ended, and
    is enabled again only if it was enabled when the first began.
    """
    global _paused, _enable_after
    with _lock:
        if _paused == 0:
            _enable_after = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _enable_after:
                gc.enable()
