"""Fixed test identities (keys derived from names), shared by the vector generator and the tests."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from sync.keys import Keyring, KeyStatus, Recipient, SenderKey, Signer

STATION_A = "232701100001"
STATION_B = "232701100002"
STATION_C = "232701100003"  # revoked
STATION_D = "232701100004"  # never enrolled
CITY = "232700"


def _seed(name: str) -> bytes:
    return hashlib.sha256(b"msync test key\x00" + name.encode()).digest()


def signing_key(name: str) -> Ed25519PrivateKey:
    """A fixed Ed25519 key for `name`."""
    return Ed25519PrivateKey.from_private_bytes(_seed("sign:" + name))


def box_key(name: str) -> X25519PrivateKey:
    """A fixed X25519 key for `name`."""
    return X25519PrivateKey.from_private_bytes(_seed("box:" + name))


def signer(name: str) -> Signer:
    return Signer(name, signing_key(name))


CITY_CURRENT = box_key("city-current")
CITY_NEXT = box_key("city-next")
STATION_B_BOX = box_key(STATION_B)


def keyring() -> Keyring:
    """The city's view: A and B active, C revoked, D unknown."""
    return Keyring.of(
        [
            SenderKey(STATION_A, signing_key(STATION_A).public_key()),
            SenderKey(STATION_B, signing_key(STATION_B).public_key()),
            SenderKey(STATION_C, signing_key(STATION_C).public_key(), KeyStatus.REVOKED),
        ],
        version=5,
    )


def city(*keys: X25519PrivateKey) -> Recipient:
    """The city as a recipient holding `keys` (both box keys if none given)."""
    return Recipient(CITY, keys or (CITY_CURRENT, CITY_NEXT))
