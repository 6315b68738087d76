"""The city-signed keyring: its document form, and the relay taking only newer root-signed updates."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sync.errors import ReplayRefused
from sync.keyring_doc import KeyringError, KeyRole, check_update, load_keyring
from sync.keys import KeyStatus
from sync.relay.server import RelayThread, build_service
from sync.relay.settings import RelaySettings
from sync.relay_client import RelayClient, RelayError
from tests.relay.conftest import CITY, ROOT, STATION_A, STATION_B, STATION_REVOKED, Relay, ed, keyring_bytes


def test_keyring_document_round_trips_and_is_bound_to_its_root() -> None:
    raw = keyring_bytes(3)
    doc = load_keyring(raw, ROOT.public_key())
    assert (doc.version, doc.city, len(doc.keys)) == (3, CITY, 12)
    assert doc.find(doc.keys[1].kid, KeyRole.TRANSPORT) == doc.keys[1]
    ring = doc.bundle_keyring()
    assert ring.version == 3
    revoked = [k for k in ring.keys if k.owner == STATION_REVOKED]
    assert [k.status for k in revoked] == [KeyStatus.REVOKED]
    assert json.loads(raw)["keys"][0]["pub"] == doc.keys[0].pub.hex()  # public halves only

    with pytest.raises(KeyringError):
        load_keyring(raw, ed("another root").public_key())
    tampered = raw.replace(b'"status":"revoked"', b'"status":"active"')
    with pytest.raises(KeyringError):
        load_keyring(tampered)
    with pytest.raises(KeyringError):
        load_keyring(json.dumps(json.loads(raw), indent=1).encode())  # not canonical


def test_check_update_takes_only_newer_versions_from_the_same_root() -> None:
    held = load_keyring(keyring_bytes(2))
    assert check_update(held, keyring_bytes(3)).version == 3
    for version in (1, 2):
        with pytest.raises(ReplayRefused):
            check_update(held, keyring_bytes(version))
    with pytest.raises(KeyringError):
        check_update(held, keyring_bytes(9, root=ed("another root")))


def test_relay_accepts_a_newer_city_signed_keyring_and_never_rolls_back(relay: Relay, tmp_path: Path) -> None:
    city = relay.client(CITY)
    assert load_keyring(city.keyring()).version == 1
    relay.client(STATION_B).mailbox()  # B is active under version 1

    v2 = keyring_bytes(2, revoked=(STATION_REVOKED, STATION_B))
    assert city.put_keyring(v2) == 2
    assert city.keyring() == v2
    with pytest.raises(RelayError) as revoked:
        relay.client(STATION_B).mailbox()
    assert (revoked.value.status, revoked.value.error) == (403, "revoked_key")

    for stale in (keyring_bytes(1, revoked=()), keyring_bytes(2, revoked=())):
        with pytest.raises(RelayError) as refused:
            city.put_keyring(stale)
        assert (refused.value.status, refused.value.error) == (409, "keyring_not_newer")
    with pytest.raises(RelayError) as forged:
        city.put_keyring(keyring_bytes(5, revoked=(), root=ed("another root")))
    assert (forged.value.status, forged.value.error) == (422, "keyring_invalid")
    assert load_keyring(city.keyring()).version == 2

    # A restart from the operator's old version-1 file keeps version 2 in force.
    relay.thread.stop()
    old_file = tmp_path / "old-keyring.json"
    old_file.write_bytes(keyring_bytes(1, revoked=()))
    service = build_service(old_file, relay.db_url, relay.blobs, replace(RelaySettings(), clock=relay.clock))
    with RelayThread(service) as again:
        with RelayClient(again.url, ed("transport:" + STATION_B)) as b, pytest.raises(RelayError) as still:
            b.mailbox()
        assert still.value.status == 403
        with RelayClient(again.url, ed("transport:" + STATION_A)) as a:
            assert load_keyring(a.keyring()).version == 2
