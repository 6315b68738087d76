"""Signed requests: unsigned, replayed, revoked, unknown, tampered and wrong-clock requests (both databases)."""

from __future__ import annotations

import time

import httpx
import pytest

from sync.relay.auth import sign_request
from sync.relay_client import RelayError
from tests.relay.conftest import CITY, STATION_A, STATION_REVOKED, STATION_UNKNOWN, Relay, ed


def _signed_get(relay: Relay, owner: str, path: str = "/v1/mailbox", created: int | None = None) -> dict[str, str]:
    return sign_request(ed("transport:" + owner), "GET", path, b"", {}, created or int(time.time()))


def test_unsigned_request_is_refused(relay: Relay) -> None:
    response = httpx.get(relay.url + "/v1/mailbox")
    assert (response.status_code, response.json()["error"]) == (401, "unsigned")


def test_replayed_request_is_refused(relay: Relay) -> None:
    headers = _signed_get(relay, CITY)
    first = httpx.get(relay.url + "/v1/mailbox", headers=headers)
    again = httpx.get(relay.url + "/v1/mailbox", headers=headers)  # byte for byte the same request
    assert first.status_code == 200
    assert (again.status_code, again.json()["error"]) == (401, "replayed_request")


def test_revoked_and_unknown_keys_are_refused(relay: Relay) -> None:
    revoked = httpx.get(relay.url + "/v1/mailbox", headers=_signed_get(relay, STATION_REVOKED))
    assert (revoked.status_code, revoked.json()["error"]) == (403, "revoked_key")
    unknown = httpx.get(relay.url + "/v1/mailbox", headers=_signed_get(relay, STATION_UNKNOWN))
    assert (unknown.status_code, unknown.json()["error"]) == (401, "unknown_key")
    with pytest.raises(RelayError) as refused:
        relay.client(STATION_REVOKED).mailbox()
    assert (refused.value.status, refused.value.error) == (403, "revoked_key")


def test_a_signing_key_is_not_a_transport_key(relay: Relay) -> None:
    headers = sign_request(ed("sign:" + STATION_A), "GET", "/v1/mailbox", b"", {}, int(time.time()))
    response = httpx.get(relay.url + "/v1/mailbox", headers=headers)
    assert (response.status_code, response.json()["error"]) == (401, "unknown_key")


def test_tampered_path_and_body_are_refused(relay: Relay) -> None:
    headers = _signed_get(relay, CITY, "/v1/mailbox")
    other = httpx.get(relay.url + "/v1/keyring", headers=headers)
    assert (other.status_code, other.json()["error"]) == (401, "bad_signature")
    body = b'{"bundle_id": "x"}'
    signed = sign_request(ed("transport:" + STATION_A), "POST", "/v1/uploads", body, {}, int(time.time()))
    changed = httpx.post(relay.url + "/v1/uploads", content=body.replace(b"x", b"y"), headers=signed)
    assert (changed.status_code, changed.json()["error"]) == (401, "bad_digest")


def test_wrong_clock_gets_the_servers_time_and_the_client_corrects(relay: Relay) -> None:
    late = int(time.time()) - 3 * 3600
    response = httpx.get(relay.url + "/v1/mailbox", headers=_signed_get(relay, CITY, created=late))
    assert (response.status_code, response.json()["error"]) == (401, "clock_skew")
    assert abs(response.json()["server_time"] - time.time()) < 5
    assert "date" in response.headers

    client = relay.client(CITY, clock=lambda: time.time() - 3 * 3600)
    assert client.mailbox() == []  # refused once, corrected, answered
    assert abs(client.clock_offset_s - 3 * 3600) < 5
    assert client.mailbox() == []  # and from then on signed with the corrected time
