r"""The key schedule, built only from `cryptography` primitives (SYNC.md §2.3 and §2.4).

- Stanza (age's X25519 recipient, with our own domain string): an ephemeral X25519 share,
  wrap key = HKDF-SHA256(X25519(eph, R), salt = eph || R, info = "msync/v1/X25519"),
  body = ChaCha20-Poly1305(wrap key, zero nonce, file key): exactly 48 bytes.
- Payload key = HKDF-SHA256(file key, salt = 16-byte nonce, info = "msync/v1/payload\0" ||
  SHA-256(header bytes)): any change to the header, even one re-signed by a registered key,
  gives another key and the payload does not decrypt.
- STREAM: chunk i is sealed with nonce = i as 11 bytes big-endian || 0x01 on the last chunk.
- Signature: Ed25519 over "msync/v1/sig\0" || SHA-512(everything before the trailer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync.errors import PayloadFailure
from sync.header import Stanza
from sync.keys import key_id, raw_public
from sync.limits import EPH_LEN, FILE_KEY_LEN, STANZA_BODY_LEN

STANZA_INFO = b"msync/v1/X25519"
PAYLOAD_INFO = b"msync/v1/payload\x00"
SIG_DOMAIN = b"msync/v1/sig\x00"
ZERO_NONCE = bytes(12)

RandomBytes = Callable[[int], bytes]


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def wrap_file_key(file_key: bytes, recipient: X25519PublicKey, random_bytes: RandomBytes) -> Stanza:
    """Wrap the 32-byte file key to one recipient box key (one fresh ephemeral share each)."""
    eph_key = X25519PrivateKey.from_private_bytes(random_bytes(EPH_LEN))
    eph = raw_public(eph_key.public_key())
    wrap_key = _hkdf(eph_key.exchange(recipient), eph + raw_public(recipient), STANZA_INFO)
    body = ChaCha20Poly1305(wrap_key).encrypt(ZERO_NONCE, file_key, None)
    return Stanza(key_id(recipient), eph, body)


def unwrap_file_key(stanza: Stanza, key: X25519PrivateKey) -> bytes:
    """The file key from a stanza addressed to `key`.

    Raises:
        PayloadFailure: a low-order ephemeral share (all-zero shared secret) or a body that does
            not open with our key.
    """
    if len(stanza.eph) != EPH_LEN or len(stanza.body) != STANZA_BODY_LEN:
        raise PayloadFailure("stanza sizes")  # parse_header already refuses these
    try:
        shared = key.exchange(X25519PublicKey.from_public_bytes(stanza.eph))
    except ValueError:
        raise PayloadFailure("stanza: low-order ephemeral share") from None
    wrap_key = _hkdf(shared, stanza.eph + raw_public(key.public_key()), STANZA_INFO)
    try:
        file_key = ChaCha20Poly1305(wrap_key).decrypt(ZERO_NONCE, stanza.body, None)
    except InvalidTag:
        raise PayloadFailure("stanza does not open") from None
    if len(file_key) != FILE_KEY_LEN:
        raise PayloadFailure("stanza: file key length")
    return file_key


def payload_key(file_key: bytes, nonce: bytes, header_bytes: bytes) -> bytes:
    """The STREAM key, bound to the exact header bytes."""
    return _hkdf(file_key, nonce, PAYLOAD_INFO + hashlib.sha256(header_bytes).digest())


def chunk_nonce(index: int, last: bool) -> bytes:
    """The 12-byte STREAM nonce of chunk `index` (counter || last-chunk flag)."""
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def sign_prehash(key: Ed25519PrivateKey, prehash: bytes) -> bytes:
    """The 64-byte signature over a SHA-512 digest of everything before the trailer."""
    return key.sign(SIG_DOMAIN + prehash)


def verify_prehash(key: Ed25519PublicKey, prehash: bytes, signature: bytes) -> bool:
    """True if `signature` is `key`'s signature over the digest `prehash`."""
    try:
        key.verify(signature, SIG_DOMAIN + prehash)
    except InvalidSignature:
        return False
    return True
