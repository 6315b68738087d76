"""The store key wrapped to the city's recovery key (keys.json's `recovery_wrap`).

DESIGN.md "Key recovery", "Store and keys". A station provisioned by a city keeps its store
key wrapped to the city's X25519 recovery public key, readable without any password, so that
the city, and nobody else, can give it back when every password is lost (sync/recovery.py
runs the exchange). The wrap follows the store key: a key rotation (store/rotation.py) wraps
the new key to the same recipient.

Format `msync-recovery-wrap/1`: a fresh X25519 ephemeral key; HKDF-SHA256 with salt = eph ||
recipient and info = domain || station code; ChaCha20-Poly1305 under a random nonce with the
same bytes as associated data. `recipient_kid` is the recipient's key id (sync.keys.key_id's
formula), `recipient` its public key.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

RECOVERY_WRAP_FORMAT = "msync-recovery-wrap/1"
RECOVERY_DOMAIN = b"msync/v1/recovery-wrap\x00"
KEYID_DOMAIN = b"msync/v1/keyid\x00"  # the bundle format's key ids (sync/keys.py)
SECTION = "recovery_wrap"


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def recipient_kid(key: X25519PublicKey) -> str:
    """The key id of a recovery public key: 32 hex digits, as sync.keys.key_id gives it."""
    return hashlib.sha256(KEYID_DOMAIN + _raw(key)).digest()[:16].hex()


def _key(shared: bytes, eph_pub: bytes, recipient_pub: bytes, station_code: str) -> bytes:
    info = RECOVERY_DOMAIN + station_code.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=eph_pub + recipient_pub, info=info).derive(shared)


def wrap_store_key(db_key: bytes, recovery: X25519PublicKey, station_code: str, city_code: str) -> dict[str, Any]:
    """The 32-byte store key `db_key` wrapped to `recovery` for `station_code`.

    Returns the keys.json section: the format, both codes, and the recipient, ephemeral key, nonce
    and ciphertext as hex strings.
    """
    eph = X25519PrivateKey.generate()
    eph_pub, rec_pub = _raw(eph.public_key()), _raw(recovery)
    nonce = os.urandom(12)
    aad = RECOVERY_DOMAIN + station_code.encode("utf-8")
    wrapped = ChaCha20Poly1305(_key(eph.exchange(recovery), eph_pub, rec_pub, station_code)).encrypt(nonce, db_key, aad)
    return {
        "format": RECOVERY_WRAP_FORMAT,
        "station_code": station_code,
        "city_code": city_code,
        "recipient_kid": recipient_kid(recovery),
        "recipient": rec_pub.hex(),
        "eph": eph_pub.hex(),
        "nonce": nonce.hex(),
        "wrapped": wrapped.hex(),
    }


def unwrap_store_key(doc: dict[str, Any], recovery: X25519PrivateKey) -> bytes:
    """Open a recovery wrap with the city's recovery private key.

    Raises:
        ValueError: the wrap is not for this key, is malformed, or does not open.
    """
    if doc.get("format") != RECOVERY_WRAP_FORMAT or doc.get("recipient_kid") != recipient_kid(recovery.public_key()):
        raise ValueError("recovery wrap is not for this recovery key")
    code = str(doc["station_code"])
    eph_pub, rec_pub = bytes.fromhex(str(doc["eph"])), _raw(recovery.public_key())
    key = _key(recovery.exchange(X25519PublicKey.from_public_bytes(eph_pub)), eph_pub, rec_pub, code)
    try:
        return ChaCha20Poly1305(key).decrypt(
            bytes.fromhex(str(doc["nonce"])), bytes.fromhex(str(doc["wrapped"])), RECOVERY_DOMAIN + code.encode("utf-8")
        )
    except InvalidTag:
        raise ValueError("recovery wrap does not open") from None


def rewrap(staged: dict[str, Any], new_key: bytes) -> None:
    """Re-wrap the staged keys.json's recovery wrap around `new_key`, to the same recipient.

    During a key rotation (store/rotation.py). A wrap made without its recipient's public key is
    left as it is.
    """
    wrap = staged.get(SECTION)
    if not isinstance(wrap, dict) or not isinstance(wrap.get("recipient"), str):
        return
    recipient = X25519PublicKey.from_public_bytes(bytes.fromhex(wrap["recipient"]))
    staged[SECTION] = wrap_store_key(new_key, recipient, str(wrap["station_code"]), str(wrap["city_code"]))
