"""The page cache a connection may grow to follows the machine's memory, within its bounds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from station_app.store import db
from station_app.store.db import CACHE_CEILING_KIB, CACHE_FLOOR_KIB, cache_kib, make_engine

GIB = 1 << 30


def _memory(monkeypatch: pytest.MonkeyPatch, total: int | None) -> None:
    def sysconf(name: str) -> int:
        if total is None:
            raise ValueError(name)
        return {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": total // 4096}[name]

    monkeypatch.setattr(db.os, "sysconf", sysconf, raising=False)


@pytest.mark.parametrize(
    ("memory", "kib"),
    [
        (2 * GIB, CACHE_FLOOR_KIB),  # a small office PC keeps the old 128 MiB
        (4 * GIB, 256 * 1024),
        (8 * GIB, 512 * 1024),
        (64 * GIB, CACHE_CEILING_KIB),  # never more than 1 GiB a connection
        (None, CACHE_FLOOR_KIB),  # memory that cannot be read: the floor
    ],
)
def test_cache_is_a_sixteenth_of_memory_within_bounds(
    monkeypatch: pytest.MonkeyPatch, memory: int | None, kib: int
) -> None:
    _memory(monkeypatch, memory)
    assert cache_kib() == kib


def test_a_new_connection_gets_that_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _memory(monkeypatch, 8 * GIB)
    engine = make_engine(tmp_path / "store.db", os.urandom(32))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -512 * 1024
    finally:
        engine.dispose()
