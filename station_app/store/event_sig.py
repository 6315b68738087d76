"""Who signs an event: its author's personal key, or the store's key for system events.

Every event carries `key_id` (the short id of the signing public key, `user_keys.key_id`) and
`sig`, an Ed25519 signature over a domain string and the event's portable `hash`. The hash
already covers the event's place in its chain (uuid, origin, stream, origin_seq, prev), its
type, payload, base, author and time, so the signature binds the whole chain up to it: a
payload edited in place with recomputed hashes no longer verifies without the author's key.

A user's own events are signed with that user's key (unwrapped with their password at login);
events written without a logged-in user's key (background work, bulk loads, a store made
before per-account keys) are signed with the store's Ed25519 key (meta `ed25519_private`).
Checking who may sign what is `signature_check.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection

from station_app.store.db import get_meta
from station_app.store.user_keys import UserKeys, key_id, verify_signature

EVENT_SIG_DOMAIN = b"station-event-sig-v1\x00"
KEY_ID_DIGITS = 16
SIG_DIGITS = 128


def event_message(hash_: str) -> bytes:
    """What an event's signature covers: the domain string and the event's hash (ASCII hex)."""
    return EVENT_SIG_DOMAIN + hash_.encode("ascii")


@dataclass(frozen=True)
class EventSigner:
    """An Ed25519 key that signs events, with its public half (hex) and key id."""

    public: str
    private: Ed25519PrivateKey = field(repr=False, compare=False)

    @property
    def key_id(self) -> str:
        """The id events carry for this key (`user_keys.key_id` of its public half)."""
        return key_id(self.public)

    def sign(self, hash_: str) -> str:
        """The signature (hex, 128 digits) of the event whose hash is `hash_`."""
        return self.private.sign(event_message(hash_)).hex()


def _public_hex(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def user_signer(keys: UserKeys) -> EventSigner:
    """The signer of a user's own events: their personal Ed25519 key."""
    private = keys.signing
    return EventSigner(_public_hex(private), private)


def store_signer(conn: Connection) -> EventSigner | None:
    """The signer of system events: the store's Ed25519 key.

    None for a store without one (the benchmark's plain copy), whose events are then written
    unsigned.
    """
    raw = get_meta(conn, "ed25519_private")
    if not raw:
        return None
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(raw))
    return EventSigner(_public_hex(private), private)


def signature_valid(public: str, sig: str, hash_: str) -> bool:
    """Whether `sig` (hex) is the signature by `public` (hex Ed25519 key) of the event `hash_`."""
    return verify_signature(public, sig, event_message(hash_))


def well_formed(key_id_: object, sig: object) -> bool:
    """Whether a key id and a signature read from outside have the shape signing gives them.

    That is 16 and 128 lowercase hex digits.
    """
    return (
        isinstance(key_id_, str)
        and isinstance(sig, str)
        and _KEY_ID_RE.fullmatch(key_id_) is not None
        and _SIG_RE.fullmatch(sig) is not None
    )


# one match each, not a Python test per digit: every imported event is checked
_KEY_ID_RE = re.compile(f"[0-9a-f]{{{KEY_ID_DIGITS}}}")
_SIG_RE = re.compile(f"[0-9a-f]{{{SIG_DIGITS}}}")
