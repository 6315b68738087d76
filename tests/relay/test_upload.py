"""Resumable upload, publication, idempotency and the bundle checks at the relay (both databases)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from sync.relay.auth import sign_request
from sync.relay_client import RelayClient, RelayError
from tests.relay.conftest import CITY, STATION_A, STATION_B, STATION_UNKNOWN, Relay, make_bundle


class Killed(Exception):
    """Stands for the process dying in the middle of an upload."""


def _create(client: RelayClient, path: Path, sha256: str | None = None, bundle_id: str | None = None) -> dict:
    data = path.read_bytes()
    body = {
        "bundle_id": bundle_id or path.stem,
        "recipient": CITY,
        "length": len(data),
        "sha256": sha256 or hashlib.sha256(data).hexdigest(),
    }
    response = client.request("POST", "/v1/uploads", json.dumps(body).encode())
    return {"status": response.status_code, **response.json()}


def test_upload_lists_downloads_and_deletes_after_delivery(relay: Relay) -> None:
    bundle = make_bundle(relay.folder)
    result = relay.client(STATION_A).upload(bundle.path)
    assert (result.state, result.size, result.sha256) == ("stored", bundle.size, bundle.sha256)

    city = relay.client(CITY)
    waiting = city.mailbox()
    assert [(e.bundle_id, e.sender, e.size, e.sha256, e.kind) for e in waiting] == [
        (bundle.header.bundle_id, STATION_A, bundle.size, bundle.sha256, "events")
    ]
    assert relay.client(STATION_B).mailbox() == []  # a mailbox is its recipient's alone
    for not_the_recipient in (STATION_A, STATION_B):  # nor can anyone else fetch or remove what waits in it
        other = relay.client(not_the_recipient)
        with pytest.raises(RelayError) as fetch:
            other.download(waiting[0], relay.folder / f"{not_the_recipient}.msb")
        with pytest.raises(RelayError) as remove:
            other.delete(bundle.header.bundle_id)
        assert (fetch.value.status, remove.value.status) == (404, 404)
    got = city.download(waiting[0], relay.folder / "got.msb")
    assert got.read_bytes() == bundle.path.read_bytes()
    blob = relay.blobs / bundle.sha256[:2] / bundle.sha256
    assert blob.exists()

    city.delete(bundle.header.bundle_id)
    assert city.mailbox() == []
    assert not blob.exists()
    city.delete(bundle.header.bundle_id)  # a repeated ack is harmless
    with pytest.raises(RelayError) as refused:
        city.download(waiting[0], relay.folder / "again.msb")
    assert refused.value.status == 404
    # The sender's re-create after a lost reply still answers: it got there.
    assert relay.client(STATION_A).upload(bundle.path).state == "delivered"


def test_killed_upload_resumes_from_the_servers_offset(relay: Relay) -> None:
    bundle = make_bundle(relay.folder, events=40, pad=8000)  # several 64 KiB chunks
    assert bundle.size > 4 * 65536
    first = relay.client(STATION_A, chunk_size=65536)
    seen: list[int] = []

    def die_after_three(offset: int, _total: int) -> None:
        seen.append(offset)
        if len(seen) == 4:
            raise Killed

    with pytest.raises(Killed):
        first.upload(bundle.path, progress=die_after_three)
    first.close()
    assert seen[-1] == 3 * 65536
    assert relay.client(CITY).mailbox() == []  # nothing published from a partial upload

    second = relay.client(STATION_A, chunk_size=65536)
    assert second.upload_offset(bundle.header.bundle_id) == 3 * 65536
    resumed: list[int] = []
    result = second.upload(bundle.path, progress=lambda offset, _t: resumed.append(offset))
    assert result.state == "stored"
    assert resumed[0] == 3 * 65536  # it did not start again from zero
    [entry] = relay.client(CITY).mailbox()
    assert relay.client(CITY).download(entry, relay.folder / "d.msb").read_bytes() == bundle.path.read_bytes()


def test_stale_offset_gets_409_with_the_servers_offset(relay: Relay) -> None:
    bundle = make_bundle(relay.folder, events=20, pad=8000)
    client = relay.client(STATION_A)
    assert _create(client, bundle.path)["status"] == 201
    chunk = bundle.path.read_bytes()[:1000]
    target = f"/v1/uploads/{bundle.header.bundle_id}"
    assert client.request("PATCH", target, chunk, {"Upload-Offset": "0"}).status_code == 200
    stale = client.request("PATCH", target, chunk, {"Upload-Offset": "0"})  # the reply was lost; sent again
    assert stale.status_code == 409
    assert stale.json() == {"error": "offset_mismatch", "offset": 1000}
    assert stale.headers["upload-offset"] == "1000"
    head = client.request("HEAD", target)
    assert (head.headers["upload-offset"], head.headers["cache-control"]) == ("1000", "no-store")
    assert client.upload(bundle.path).state == "stored"  # and the client carries on from there


def test_hash_mismatch_is_not_published(relay: Relay) -> None:
    bundle = make_bundle(relay.folder)
    client = relay.client(STATION_A)
    assert _create(client, bundle.path, sha256="0" * 64)["status"] == 201
    data = bundle.path.read_bytes()
    target = f"/v1/uploads/{bundle.header.bundle_id}"
    response = client.request("PATCH", target, data, {"Upload-Offset": "0"})
    assert response.status_code == 460 and response.json()["error"] == "checksum_mismatch"
    assert relay.client(CITY).mailbox() == []
    assert client.upload_offset(bundle.header.bundle_id) == 0
    assert not any(p.is_file() and p.suffix != ".part" for p in relay.blobs.rglob("*"))


def test_recreate_is_idempotent_and_other_bytes_under_the_same_id_conflict(relay: Relay) -> None:
    bundle = make_bundle(relay.folder)
    client = relay.client(STATION_A)
    client.upload(bundle.path)
    again = _create(client, bundle.path, bundle_id=bundle.header.bundle_id)
    assert (again["status"], again["state"]) == (200, "stored")
    assert client.upload(bundle.path).state == "stored"
    other = _create(client, bundle.path, sha256="1" * 64, bundle_id=bundle.header.bundle_id)
    assert (other["status"], other["error"]) == (409, "bundle_id_conflict")
    assert len(relay.client(CITY).mailbox()) == 1


def test_create_while_uploading_answers_the_offset(relay: Relay) -> None:
    bundle = make_bundle(relay.folder, events=10, pad=8000)
    client = relay.client(STATION_A)
    assert _create(client, bundle.path, bundle_id=bundle.header.bundle_id)["status"] == 201
    client.request("PATCH", f"/v1/uploads/{bundle.header.bundle_id}", b"x" * 0, {"Upload-Offset": "0"})
    data = bundle.path.read_bytes()
    client.request("PATCH", f"/v1/uploads/{bundle.header.bundle_id}", data[:5000], {"Upload-Offset": "0"})
    again = _create(client, bundle.path, bundle_id=bundle.header.bundle_id)
    assert (again["status"], again["state"], again["offset"]) == (200, "uploading", 5000)


@pytest.mark.parametrize(
    ("sender", "uploader", "signer", "error_class"),
    [
        (STATION_A, STATION_A, STATION_UNKNOWN, "unknown_sender"),  # signed by a key the city never enrolled
        (STATION_B, STATION_A, STATION_B, "unknown_sender"),  # A's transport key passing off B's bundle
    ],
)
def test_bundle_from_an_unknown_sender_is_refused(
    relay: Relay, sender: str, uploader: str, signer: str, error_class: str
) -> None:
    bundle = make_bundle(relay.folder, sender=sender, signer_name=signer)
    with pytest.raises(RelayError) as refused:
        relay.client(uploader).upload(bundle.path)
    assert (refused.value.status, refused.value.error, refused.value.fields["class"]) == (
        422,
        "bundle_refused",
        error_class,
    )
    assert relay.client(CITY).mailbox() == []
    assert list((relay.blobs / "uploads").iterdir()) == []


def test_tampered_bundle_is_refused_by_its_signature(relay: Relay) -> None:
    bundle = make_bundle(relay.folder)
    data = bytearray(bundle.path.read_bytes())
    data[-100] ^= 1  # inside the ciphertext: only the signature notices
    bundle.path.write_bytes(bytes(data))
    with pytest.raises(RelayError) as refused:
        relay.client(STATION_A).upload(bundle.path)
    assert refused.value.fields["class"] == "bad_signature"
    assert relay.client(CITY).mailbox() == []


def test_signed_request_helper_covers_the_offset(relay: Relay) -> None:
    """Changing a signed header after signing is caught (the offset is part of the signature)."""
    bundle = make_bundle(relay.folder)
    client = relay.client(STATION_A)
    _create(client, bundle.path)
    from tests.relay.conftest import ed

    target = f"/v1/uploads/{bundle.header.bundle_id}"
    import time

    import httpx

    headers = sign_request(ed("transport:" + STATION_A), "PATCH", target, b"", {"Upload-Offset": "0"}, int(time.time()))
    response = httpx.patch(relay.url + target, content=b"", headers={**headers, "Upload-Offset": "5"})
    assert (response.status_code, response.json()["error"]) == (401, "bad_signature")
