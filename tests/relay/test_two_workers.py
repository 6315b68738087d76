"""Two relay workers on one database and one blob folder, as behind a proxy (README "Running the
relay for a city": more workers without code changes). An upload started at one resumes at the
other, a request seen by one is a replay at the other, and a keyring installed through one is
in force at the other (both databases)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from sync.relay.auth import sign_request
from sync.relay.server import RelayThread, build_service
from sync.relay.service import KEYRING_RECHECK_S
from sync.relay.settings import RelaySettings
from sync.relay_client import Backoff, RelayClient, RelayError
from tests.relay.conftest import CITY, STATION_A, STATION_B, STATION_REVOKED, Relay, ed, keyring_bytes, make_bundle


class Killed(Exception):
    """Stands for the line dropping for good in the middle of an upload."""


@pytest.fixture
def second(relay: Relay, tmp_path: Path) -> Iterator[RelayThread]:
    """Another worker on the first one's database and blob folder (its own memory, as a process has)."""
    settings = replace(RelaySettings(sweep_every_s=0.2), clock=relay.clock)
    with RelayThread(build_service(tmp_path / "keyring.json", relay.db_url, relay.blobs, settings)) as thread:
        yield thread


def _client(url: str, owner: str, chunk_size: int = 1024 * 1024) -> RelayClient:
    return RelayClient(url, ed("transport:" + owner), backoff=Backoff(2, 0.01, 0.05), chunk_size=chunk_size)


def test_an_upload_started_at_one_worker_finishes_at_the_other(relay: Relay, second: RelayThread) -> None:
    bundle = make_bundle(relay.folder, events=40, pad=8000)
    seen: list[int] = []

    def die_after_two(offset: int, _total: int) -> None:
        seen.append(offset)
        if len(seen) == 3:
            raise Killed

    with _client(relay.url, STATION_A, chunk_size=65536) as first, pytest.raises(Killed):
        first.upload(bundle.path, progress=die_after_two)
    with _client(second.url, STATION_A, chunk_size=65536) as other:
        assert other.upload_offset(bundle.header.bundle_id) == 2 * 65536
        assert other.upload(bundle.path).state == "stored"
    with _client(relay.url, CITY) as city:
        [entry] = city.mailbox()
        assert city.download(entry, relay.folder / "got.msb").read_bytes() == bundle.path.read_bytes()


def test_a_request_seen_by_one_worker_is_a_replay_at_the_other(relay: Relay, second: RelayThread) -> None:
    headers = sign_request(ed("transport:" + CITY), "GET", "/v1/mailbox", b"", {}, int(time.time()))
    assert httpx.get(relay.url + "/v1/mailbox", headers=headers).status_code == 200
    again = httpx.get(second.url + "/v1/mailbox", headers=headers)
    assert (again.status_code, again.json()["error"]) == (401, "replayed_request")


def test_a_keyring_installed_through_one_worker_is_in_force_at_the_other(relay: Relay, second: RelayThread) -> None:
    with _client(second.url, STATION_B) as b:
        assert b.mailbox() == []  # B is active under version 1
        with _client(relay.url, CITY) as city:
            assert city.put_keyring(keyring_bytes(2, revoked=(STATION_REVOKED, STATION_B))) == 2
        deadline = time.monotonic() + KEYRING_RECHECK_S + 30
        refused: RelayError | None = None
        while refused is None and time.monotonic() < deadline:
            try:
                b.mailbox()
            except RelayError as exc:
                refused = exc
            else:
                time.sleep(0.2)
        assert refused is not None and (refused.status, refused.error) == (403, "revoked_key")
        with _client(second.url, STATION_A) as a:
            assert a.keyring() == keyring_bytes(2, revoked=(STATION_REVOKED, STATION_B))
