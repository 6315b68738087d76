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
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; it is enabled again after if it was before.

    Nested or concurrent blocks are harmless: only the block that disabled it enables it again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
