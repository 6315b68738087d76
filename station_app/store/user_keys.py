"""Each account's own keys: a 32-byte seed wrapped under the account's password.

From the seed come an X25519 key (the store key is sealed to its public half, so that an admin
can re-seal a new store key to every account without knowing their passwords: key rotation,
re-enabling an account) and an Ed25519 key that signs the account's role-bearing events (users
added, roles changed, accounts disabled), so that nobody can raise a role or act in another
account's name with the store key alone.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEED_BYTES = 32
_RAW = serialization.Encoding.Raw


def _hkdf(seed: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(seed)


def _public_hex(key: X25519PrivateKey | Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw).hex()


@dataclass(frozen=True)
class UserKeys:
    """The keys derived from one account's seed."""

    seed: bytes

    @property
    def box(self) -> X25519PrivateKey:
        """The account's X25519 key (for what is sealed to this account), derived from the seed."""
        return X25519PrivateKey.from_private_bytes(_hkdf(self.seed, b"station-user-box-v1"))

    @property
    def signing(self) -> Ed25519PrivateKey:
        """The account's Ed25519 key (it signs the account's events), derived from the seed."""
        return Ed25519PrivateKey.from_private_bytes(_hkdf(self.seed, b"station-user-sign-v1"))

    @property
    def box_public(self) -> str:
        """The X25519 public key, hex (64 characters)."""
        return _public_hex(self.box)

    @property
    def sign_public(self) -> str:
        """The Ed25519 public key, hex (64 characters): what `user_added` records."""
        return _public_hex(self.signing)

    def sign(self, message: bytes) -> str:
        """An Ed25519 signature of `message`, hex."""
        return self.signing.sign(message).hex()


def new_user_keys() -> UserKeys:
    """A fresh random seed."""
    return UserKeys(os.urandom(SEED_BYTES))


def key_id(sign_public: str) -> str:
    """A short, stable name of a signing key (16 hex digits of its SHA-256)."""
    return hashlib.sha256(bytes.fromhex(sign_public)).hexdigest()[:16]


def verify_signature(sign_public: str, signature: str, message: bytes) -> bool:
    """Whether `signature` (hex) is `sign_public`'s (hex) Ed25519 signature of `message`."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(sign_public)).verify(bytes.fromhex(signature), message)
    except (ValueError, InvalidSignature):
        return False
    return True


def _seal_key(shared: bytes, epk: bytes, box_public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + box_public, info=b"station-db-key-box-v1").derive(
        shared
    )


def seal(secret: bytes, box_public_hex: str, aad: bytes) -> dict[str, str]:
    """`secret` sealed to an account's X25519 public key (ephemeral X25519, HKDF, AES-GCM).

    Returns {"epk", "nonce", "wrapped"} in hex: the shape keys.json keeps under `store`.
    """
    box_public = bytes.fromhex(box_public_hex)
    ephemeral = X25519PrivateKey.generate()
    epk = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    kek = _seal_key(ephemeral.exchange(X25519PublicKey.from_public_bytes(box_public)), epk, box_public)
    nonce = os.urandom(12)
    return {"epk": epk.hex(), "nonce": nonce.hex(), "wrapped": AESGCM(kek).encrypt(nonce, secret, aad).hex()}


def open_sealed(sealed: dict[str, str], keys: UserKeys, aad: bytes) -> bytes | None:
    """The secret `seal` sealed to `keys`, or None when it was sealed to another key or altered."""
    try:
        epk = bytes.fromhex(sealed["epk"])
        box_public = bytes.fromhex(keys.box_public)
        kek = _seal_key(keys.box.exchange(X25519PublicKey.from_public_bytes(epk)), epk, box_public)
        return AESGCM(kek).decrypt(bytes.fromhex(sealed["nonce"]), bytes.fromhex(sealed["wrapped"]), aad)
    except (KeyError, ValueError, InvalidTag):
        return None
