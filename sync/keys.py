"""Keys as the bundle format sees them: key ids, identity fingerprints, the sender keyring.

The format takes `cryptography` key objects; where they are stored (wrapped under the store key)
is the store's business. A key id names one public key in a header (SHA-256 with a domain
string, first 16 bytes, hex). A fingerprint covers a whole public identity (code and every key)
and is read aloud on the phone in groups of four hex digits (SYNC.md §2.7).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KEYID_DOMAIN = b"msync/v1/keyid\x00"
IDENTITY_DOMAIN = b"msync/v1/identity\x00"

PublicKey = Ed25519PublicKey | X25519PublicKey


def raw_public(key: PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 or X25519 public key."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: PublicKey) -> str:
    r"""Key id: 32 lowercase hex digits, SHA-256("msync/v1/keyid\0" || raw public key)[:16]."""
    return hashlib.sha256(KEYID_DOMAIN + raw_public(key)).digest()[:16].hex()


def group_hex(digits: str, size: int = 4) -> str:
    """Hex digits in space-separated groups of `size`, for reading aloud ("3f9c 01ab ...")."""
    return " ".join(digits[i : i + size] for i in range(0, len(digits), size))


@dataclass(frozen=True)
class PublicIdentity:
    """What a store shows the other side: its code and its public keys (transport optional)."""

    code: str
    signing: Ed25519PublicKey
    box: X25519PublicKey
    transport: Ed25519PublicKey | None = None

    def canonical(self) -> bytes:
        """Canonical JSON of the identity (sorted keys, raw keys in hex): what the fingerprint hashes."""
        doc = {
            "box": raw_public(self.box).hex(),
            "code": self.code,
            "signing": raw_public(self.signing).hex(),
            "transport": raw_public(self.transport).hex() if self.transport is not None else None,
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def fingerprint(self) -> str:
        """The full fingerprint: 64 hex digits, SHA-256 over the domain string and `canonical()`."""
        return hashlib.sha256(IDENTITY_DOMAIN + self.canonical()).hexdigest()

    def fingerprint_groups(self) -> str:
        """The full fingerprint in 16 groups of 4 hex digits, as both screens show it."""
        return group_hex(self.fingerprint())


class KeyStatus(StrEnum):
    """A sender key's standing in the keyring."""

    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True)
class SenderKey:
    """One signing key the keyring knows: whose it is (a station or city code) and its status."""

    owner: str
    public_key: Ed25519PublicKey
    status: KeyStatus = KeyStatus.ACTIVE

    @property
    def kid(self) -> str:
        """This key's id (see `key_id`)."""
        return key_id(self.public_key)


@dataclass(frozen=True)
class Keyring:
    """Sender key id -> signing key, plus the keyring's version (never rolled back)."""

    keys: tuple[SenderKey, ...] = ()
    version: int = 0
    _by_kid: dict[str, SenderKey] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_kid", {k.kid: k for k in self.keys})

    @classmethod
    def of(cls, keys: Iterable[SenderKey], version: int = 0) -> Keyring:
        """A keyring holding `keys` (a later key with the same id replaces an earlier one)."""
        return cls(tuple(keys), version)

    def get(self, kid: str) -> SenderKey | None:
        """The key with this id, or None."""
        return self._by_kid.get(kid)


@dataclass(frozen=True)
class Signer:
    """The sending store: its name as a peer (station code or city code) and its signing key."""

    name: str
    key: Ed25519PrivateKey

    @property
    def kid(self) -> str:
        """The id of the signing key's public half."""
        return key_id(self.key.public_key())


@dataclass(frozen=True)
class Recipient:
    """The receiving store: its name as a peer and its X25519 box keys (two during a rotation)."""

    name: str
    box_keys: tuple[X25519PrivateKey, ...]

    def key_for(self, kid: str) -> X25519PrivateKey | None:
        """Our private box key whose public half has id `kid`, or None."""
        for key in self.box_keys:
            if key_id(key.public_key()) == kid:
                return key
        return None
