"""A token bucket per transport key, in the relay process (SYNC.md §4.3).

Each uvicorn worker keeps its own buckets; with several workers the proxy in front (nginx
`limit_req`) is the shared limit and this one keeps any single key from hogging a worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBuckets:
    """`rate_per_min` requests a minute per key, with bursts up to `burst`."""

    def __init__(self, rate_per_min: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate_per_min / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float:
        """Take one token for `key`; returns 0.0 if allowed, else the seconds until one is free."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget full buckets so the map stays bounded
                self._buckets = {k: v for k, v in self._buckets.items() if v[0] < self._burst}
            return (1.0 - tokens) / self._rate if self._rate > 0 else 3600.0
