"""The relay stores no plaintext: a byte scan of its database and blob folder after a sync
finds none of the canary's name, ID number, phone or summary (both databases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.relay.pgtemp import TempPostgres
from tests.relay.conftest import (
    CANARY_ID,
    CANARY_NAME,
    CANARY_PHONE,
    CANARY_SUMMARY,
    CITY,
    STATION_A,
    STATION_B,
    Relay,
    make_bundle,
)

CANARIES = [
    text.encode(enc)
    for text in (CANARY_NAME, CANARY_ID, CANARY_PHONE, CANARY_SUMMARY)
    for enc in ("utf-8", "utf-16-le")
]


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_no_canary_in_the_relays_files(relay: Relay, request: pytest.FixtureRequest) -> None:
    kept = make_bundle(relay.folder, sender=STATION_A, events=5)  # waits in the mailbox
    fetched = make_bundle(relay.folder, sender=STATION_B, events=5)  # delivered and deleted
    partial = make_bundle(relay.folder, sender=STATION_A, events=30, pad=8000)  # half uploaded
    assert CANARY_NAME.encode() not in kept.path.read_bytes()  # the writer encrypts; sanity
    relay.client(STATION_A).upload(kept.path)
    relay.client(STATION_B).upload(fetched.path)

    class Stop(Exception):
        pass

    def stop_half_way(offset: int, total: int) -> None:
        if offset > total // 2:
            raise Stop

    with pytest.raises(Stop):
        relay.client(STATION_A, chunk_size=65536).upload(partial.path, progress=stop_half_way)
    city = relay.client(CITY)
    entry = next(e for e in city.mailbox() if e.bundle_id == fetched.header.bundle_id)
    city.download(entry, relay.folder / "fetched.msb")
    city.delete(entry.bundle_id)
    relay.thread.stop()  # everything flushed and closed

    if relay.backend == "postgresql":
        cluster: TempPostgres = request.getfixturevalue("postgres")
        scanned = _files(cluster.data) + _files(relay.blobs)
    else:
        scanned = _files(relay.blobs.parent)  # relay.db, its WAL and the blob folder
    assert any(p.name.startswith("relay.db") for p in scanned) or relay.backend == "postgresql"
    assert any(p.suffix == ".part" for p in scanned)  # the half-finished upload is scanned too
    found = [(p.name, c) for p in scanned for c in CANARIES if c in p.read_bytes()]
    assert found == []
    # The relay did hold the bundles: their ids are in its metadata.
    blob_bytes = b"".join(p.read_bytes() for p in _files(relay.blobs))
    assert kept.header.bundle_id.encode() in blob_bytes  # the cleartext header, routing only
