"""The relay's limits and timings, in one place (SYNC.md §4.3). Sizes in bytes, times in seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sync.reader import MAX_FILE
from sync.relay.auth import MAX_SKEW_S

DAY_S = 24 * 3600
MIB = 1024 * 1024


@dataclass(frozen=True)
class RelaySettings:
    """Everything a relay operator may tune; the defaults are the design's.

    Attributes:
        bundle_ttl_s: an unfetched bundle is deleted this long after it was stored (30 days).
        upload_ttl_s: an unfinished upload is dropped this long after it was created (7 days).
        tombstone_ttl_s: how long a delivered or expired bundle id is remembered, so that a late
            re-create still answers instead of storing it again (90 days).
        max_bundle: the largest bundle accepted (the format's own limit).
        max_chunk: the largest PATCH body.
        max_small_body: the largest body of any other request but a keyring upload.
        max_keyring_body: the largest keyring document.
        sender_pending_quota: bytes of unfinished uploads one sender may hold (1 GiB).
        mailbox_quota: bytes one recipient's mailbox may hold, waiting and uploading (2 GiB).
        rate_per_min, rate_burst: the token bucket per transport key (requests).
        max_skew_s: the largest accepted difference between a request's `created` and the clock.
        nonce_ttl_s: how long a nonce is remembered (must exceed twice `max_skew_s`).
        sweep_every_s: how often expired bundles, uploads and nonces are removed.
        list_limit: the most bundles one mailbox listing returns.
        clock: Unix seconds now (tests pass a movable clock).
    """

    bundle_ttl_s: int = 30 * DAY_S
    upload_ttl_s: int = 7 * DAY_S
    tombstone_ttl_s: int = 90 * DAY_S
    max_bundle: int = MAX_FILE
    max_chunk: int = MIB
    max_small_body: int = 64 * 1024
    max_keyring_body: int = 4 * MIB
    sender_pending_quota: int = 1024 * MIB
    mailbox_quota: int = 2048 * MIB
    rate_per_min: float = 120.0
    rate_burst: int = 60
    max_skew_s: int = MAX_SKEW_S
    nonce_ttl_s: int = 2 * MAX_SKEW_S + 60
    sweep_every_s: float = 600.0
    list_limit: int = 500
    clock: Callable[[], float] = field(default=time.time, compare=False)

    def now(self) -> int:
        """The relay's time in whole Unix seconds."""
        return int(self.clock())
