"""Limits: sizes refused from Content-Length before the body, rate limit, quotas, expiry (both databases)."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from sync.relay.auth import sign_request
from sync.relay.settings import DAY_S, RelaySettings
from sync.relay_client import Backoff, RelayClient, RelayError
from tests.relay.conftest import CITY, STATION_A, STATION_B, Relay, ed, make_bundle


def _raw_request(relay: Relay, head: str) -> tuple[bytes, float]:
    """Send only a request head (no body), read the answer; returns it and the seconds it took."""
    host, port = relay.url.removeprefix("http://").split(":")
    start = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    return answer, time.perf_counter() - start


def test_oversized_content_length_is_refused_before_the_body(relay: Relay) -> None:
    # A 10 GB PATCH: the relay answers from the header alone; no body is ever sent.
    signed = sign_request(ed("transport:" + STATION_A), "PATCH", "/v1/uploads/x", b"", {"Upload-Offset": "0"}, 0)
    head = (
        "PATCH /v1/uploads/x HTTP/1.1\r\nHost: relay\r\nContent-Length: 10000000000\r\nUpload-Offset: 0\r\n"
        f"Authorization: {signed['Authorization']}\r\nContent-Digest: {signed['Content-Digest']}\r\n\r\n"
    )
    answer, seconds = _raw_request(relay, head)
    assert answer.startswith(b"HTTP/1.1 413")
    assert b'"too_large"' in answer or seconds < 5
    assert seconds < 5
    # A small request may not carry a big body either, nor a body of unknown length.
    answer, _ = _raw_request(relay, "POST /v1/uploads HTTP/1.1\r\nHost: relay\r\nContent-Length: 70000\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413")
    chunked = "POST /v1/uploads HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert _raw_request(relay, chunked)[0].startswith(b"HTTP/1.1 411")


def test_a_bundle_over_the_size_limit_is_refused_at_create(relay: Relay) -> None:
    body = {"bundle_id": "6f1c3b7e-2d4a-4b8e-9c1d-0a2b3c4d5e6f", "recipient": CITY, "length": 2**40, "sha256": "0" * 64}
    response = relay.client(STATION_A).request("POST", "/v1/uploads", json.dumps(body).encode())
    assert (response.status_code, response.json()["error"]) == (413, "too_large")


@pytest.mark.parametrize("relay_settings", [RelaySettings(rate_per_min=6, rate_burst=5)])
def test_rate_limit_per_key(relay: Relay) -> None:
    impatient = relay.client(STATION_A, backoff=Backoff(attempts=1))
    for _ in range(5):
        impatient.mailbox()
    with pytest.raises(RelayError) as refused:
        impatient.mailbox()
    assert (refused.value.status, refused.value.error) == (429, "rate_limited")
    signed = sign_request(ed("transport:" + STATION_A), "GET", "/v1/mailbox", b"", {}, int(time.time()))
    response = httpx.get(relay.url + "/v1/mailbox", headers=signed)
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    assert relay.client(CITY).mailbox() == []  # another key has its own bucket


@pytest.mark.parametrize("relay_settings", [RelaySettings(sender_pending_quota=300_000, mailbox_quota=600_000)])
def test_quotas_per_sender_and_per_mailbox(relay: Relay) -> None:
    senders = (STATION_A, STATION_A, STATION_B)
    big = [make_bundle(relay.folder, sender=s, events=25, pad=8000) for s in senders]  # ~200 KB each
    assert all(150_000 < b.size < 290_000 for b in big)

    def start(client: RelayClient, path: Path) -> httpx.Response:
        data = path.read_bytes()
        body = {
            "bundle_id": path.stem,
            "recipient": CITY,
            "length": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        return client.request("POST", "/v1/uploads", json.dumps(body).encode())

    a, b = relay.client(STATION_A), relay.client(STATION_B)
    assert start(a, big[0].path).status_code == 201  # pending: one unfinished upload
    over = start(a, big[1].path)  # a second unfinished one passes the sender's 300 KB
    assert (over.status_code, over.json()) == (507, {"error": "quota_exceeded", "which": "sender"})
    a.upload(big[0].path)  # finishing it frees the sender's quota, and fills the mailbox
    a.upload(big[1].path)
    assert len(relay.client(CITY).mailbox()) == 2
    full = start(b, big[2].path)  # the city's mailbox holds > 350 KB of its 600 KB
    assert (full.status_code, full.json()) == (507, {"error": "quota_exceeded", "which": "mailbox"})
    city = relay.client(CITY)
    for entry in city.mailbox():
        city.delete(entry.bundle_id)
    assert b.upload(big[2].path).state == "stored"  # delivered bundles no longer count


@pytest.mark.parametrize("relay_settings", [RelaySettings(sweep_every_s=0.1)])
def test_unfetched_bundles_expire_after_30_days(relay: Relay) -> None:
    bundle = make_bundle(relay.folder)
    relay.client(STATION_A).upload(bundle.path)
    blob = relay.blobs / bundle.sha256[:2] / bundle.sha256
    city = relay.client(CITY)
    [entry] = city.mailbox()
    relay.clock.offset = 29 * DAY_S
    assert len(city.mailbox()) == 1  # clients sign with the same moved clock below
    relay.clock.offset = 30 * DAY_S + 60
    late = relay.client(CITY, clock=relay.clock)
    assert late.mailbox() == []
    with pytest.raises(RelayError) as gone:
        late.download(entry, relay.folder / "late.msb")
    assert gone.value.status == 404
    deadline = time.monotonic() + 10
    while blob.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not blob.exists()  # the sweeper deleted the bytes
    assert relay.client(STATION_A, clock=relay.clock).upload(bundle.path).state == "expired"
