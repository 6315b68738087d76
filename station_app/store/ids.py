"""New identifiers for events and cases.

UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made later sort
later, so the unique indexes on `events.uuid`, `events.case_uuid`, `cases.uuid` and
`case_departments` grow at their end, in pages that are already in the page cache, instead of
at a random page of an index that outgrows the cache as the store grows (every such page read
decrypted once more). Readers treat the id as an opaque string, as with version 4.
"""

from __future__ import annotations

import os
import time
import uuid


def new_uuid() -> str:
    """A new time-ordered random UUID (version 7, variant RFC 4122), as its 36-character string."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")  # 80 random bits: 12 + 62 used
    value = (ms & (2**48 - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a
    value |= 0b10 << 62  # variant
    value |= rand & (2**62 - 1)  # rand_b
    return str(uuid.UUID(int=value))
