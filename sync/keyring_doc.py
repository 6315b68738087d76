r"""The city-signed keyring document: every public key the city vouches for (SYNC.md §2.7).

JSON form (UTF-8, canonical: sorted keys, no spaces)::

    {"format": "msync-keyring/1", "version": 7, "issued_at": 1763600000, "city": "232700",
     "root": "<hex of the root Ed25519 public key>",
     "keys": [{"kid": "<32 hex>", "owner": "232701100001", "role": "signing" | "transport" | "box",
               "pub": "<64 hex>", "status": "active" | "revoked", "revoked_at": int | null,
               "reason": str | null}, ...],
     "signature": "<128 hex>"}

`signature` is the city root key's Ed25519 signature over "msync/v1/keyring\0" || the canonical
JSON of every other field. The root key itself never appears in `keys`: a holder pins the root of
the first keyring it trusts (a provisioning file, the relay's `--keyring`) and accepts an update
only when that root signed it and its `version` is higher (`check_update`). A `signing` key signs
bundles, a `transport` key signs relay requests, a `box` key receives bundles; the roles are
kept apart so that a key used by background sync cannot forge a bundle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.errors import MalformedBundle, ReplayRefused
from sync.header import KID_RE, PEER_RE, canonical_json, strict_json_object
from sync.keys import KEYID_DOMAIN, Keyring, KeyStatus, SenderKey, key_id, raw_public

KEYRING_FORMAT = "msync-keyring/1"
KEYRING_DOMAIN = b"msync/v1/keyring\x00"
MAX_KEYRING_BYTES = 4 * 1024 * 1024
DOC_KEYS = frozenset({"format", "version", "issued_at", "city", "root", "keys", "signature"})
ENTRY_KEYS = frozenset({"kid", "owner", "role", "pub", "status", "revoked_at", "reason"})


class KeyRole(StrEnum):
    """What a key in the keyring is for."""

    SIGNING = "signing"
    TRANSPORT = "transport"
    BOX = "box"


class KeyringError(MalformedBundle):
    """A keyring document that is not well formed or whose root signature does not verify."""


@dataclass(frozen=True)
class KeyEntry:
    """One public key in the keyring: whose (a station or city code), what for, and its status.

    `pub` is the 32 raw bytes; `revoked_at` is Unix seconds or None.
    """

    owner: str
    role: KeyRole
    pub: bytes
    status: KeyStatus = KeyStatus.ACTIVE
    revoked_at: int | None = None
    reason: str | None = None

    @property
    def kid(self) -> str:
        """The key id (SHA-256 with the key-id domain, first 16 bytes, hex)."""
        return hashlib.sha256(KEYID_DOMAIN + self.pub).digest()[:16].hex()

    def ed25519(self) -> Ed25519PublicKey:
        """The key as an Ed25519 public key (signing and transport roles)."""
        return Ed25519PublicKey.from_public_bytes(self.pub)

    def to_json(self) -> dict[str, Any]:
        """The entry as it appears in the document."""
        return {
            "kid": self.kid,
            "owner": self.owner,
            "role": self.role.value,
            "pub": self.pub.hex(),
            "status": self.status.value,
            "revoked_at": self.revoked_at,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class KeyringDocument:
    """A parsed, root-verified keyring. `raw` is the exact signed file (what is stored and served)."""

    version: int
    issued_at: int
    city: str
    root: Ed25519PublicKey
    keys: tuple[KeyEntry, ...]
    raw: bytes

    @property
    def root_kid(self) -> str:
        """The key id of the root key that signed this keyring."""
        return key_id(self.root)

    @cached_property
    def _index(self) -> dict[tuple[str, KeyRole], KeyEntry]:
        return {(e.kid, e.role): e for e in self.keys}

    def find(self, kid: str, role: KeyRole) -> KeyEntry | None:
        """The entry with this key id and role, or None."""
        return self._index.get((kid, role))

    @cached_property
    def owners(self) -> frozenset[str]:
        """Every station or city code that holds a key in this keyring."""
        return frozenset(e.owner for e in self.keys)

    @cached_property
    def _bundle_keyring(self) -> Keyring:
        signing = [SenderKey(e.owner, e.ed25519(), e.status) for e in self.keys if e.role is KeyRole.SIGNING]
        return Keyring.of(signing, self.version)

    def bundle_keyring(self) -> Keyring:
        """The bundle-signing keys as the reader's `Keyring` (same version)."""
        return self._bundle_keyring


def _signed_part(doc: dict[str, Any]) -> bytes:
    return KEYRING_DOMAIN + canonical_json({k: v for k, v in doc.items() if k != "signature"})


def sign_keyring(root: Ed25519PrivateKey, city: str, version: int, issued_at: int, keys: Iterable[KeyEntry]) -> bytes:
    """Build and sign a keyring document; returns its canonical UTF-8 bytes.

    Args:
        root: the city's root signing key (kept offline).
        city: the city code, e.g. "232700".
        version: a positive integer, higher than any keyring issued before.
        issued_at: Unix seconds.
        keys: the entries (their key ids are computed here).

    Raises:
        ValueError: a version below 1, or two entries with the same key id and role.
    """
    entries = list(keys)
    if version < 1:
        raise ValueError("keyring version must be at least 1")
    if len({(e.kid, e.role) for e in entries}) != len(entries):
        raise ValueError("two keyring entries with the same key id and role")
    doc: dict[str, Any] = {
        "format": KEYRING_FORMAT,
        "version": version,
        "issued_at": issued_at,
        "city": city,
        "root": raw_public(root.public_key()).hex(),
        "keys": [e.to_json() for e in entries],
    }
    doc["signature"] = root.sign(_signed_part(doc)).hex()
    return canonical_json(doc)


def load_keyring(raw: bytes, root: Ed25519PublicKey | None = None) -> KeyringDocument:
    """Parse a keyring document and verify its root signature.

    Args:
        raw: the document bytes (at most 4 MiB).
        root: the pinned root key; None trusts the root named in the document (first use only:
            the file given to the relay or in a provisioning file).

    Raises:
        KeyringError: too large, not canonical JSON of the form above, a root other than the pinned
            one, or a signature that does not verify.
    """
    if len(raw) > MAX_KEYRING_BYTES:
        raise KeyringError("keyring document over 4 MiB")
    try:
        doc = strict_json_object(raw, "keyring")
    except MalformedBundle as err:
        raise KeyringError(err.detail) from None
    if set(doc) != DOC_KEYS or doc["format"] != KEYRING_FORMAT:
        raise KeyringError("keyring: wrong format or fields")
    version, issued_at = _int(doc["version"], 1), _int(doc["issued_at"], 0)
    city = doc["city"]
    if not isinstance(city, str) or not PEER_RE.fullmatch(city):
        raise KeyringError("keyring: city is not a peer name")
    named_root = Ed25519PublicKey.from_public_bytes(_hex(doc["root"], 32))
    if root is not None and raw_public(root) != raw_public(named_root):
        raise KeyringError("keyring: signed by another root key")
    try:
        named_root.verify(_hex(doc["signature"], 64), _signed_part(doc))
    except InvalidSignature:
        raise KeyringError("keyring: root signature does not verify") from None
    if not isinstance(doc["keys"], list):
        raise KeyringError("keyring: keys must be a list")
    entries = tuple(_entry(item) for item in doc["keys"])
    if canonical_json(doc) != raw:
        raise KeyringError("keyring: not in canonical form")
    return KeyringDocument(version, issued_at, city, named_root, entries, raw)


def check_update(held: KeyringDocument, raw: bytes) -> KeyringDocument:
    """Accept `raw` as the next keyring only if the held root signed it and it is newer.

    Raises:
        KeyringError: malformed, or not signed by the held keyring's root key.
        ReplayRefused: its version is not higher than the held one (never roll back).
    """
    new = load_keyring(raw, held.root)
    if new.version <= held.version:
        raise ReplayRefused(f"keyring version {new.version} not newer than {held.version}")
    return new


def _entry(item: object) -> KeyEntry:
    if not isinstance(item, dict) or set(item) != ENTRY_KEYS:
        raise KeyringError("keyring: entry fields")
    owner, reason, revoked_at = item["owner"], item["reason"], item["revoked_at"]
    if not isinstance(owner, str) or not PEER_RE.fullmatch(owner):
        raise KeyringError("keyring: owner is not a peer name")
    if reason is not None and not isinstance(reason, str):
        raise KeyringError("keyring: reason must be text or null")
    try:
        role, status = KeyRole(item["role"]), KeyStatus(item["status"])
    except ValueError:
        raise KeyringError("keyring: unknown role or status") from None
    entry = KeyEntry(
        owner, role, _hex(item["pub"], 32), status, None if revoked_at is None else _int(revoked_at, 0), reason
    )
    if not isinstance(item["kid"], str) or not KID_RE.fullmatch(item["kid"]) or item["kid"] != entry.kid:
        raise KeyringError("keyring: key id does not match the key")
    return entry


def _int(value: object, low: int) -> int:
    if type(value) is not int or not low <= value < 2**53:
        raise KeyringError("keyring: integer out of range")
    return value


def _hex(value: object, length: int) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * length or value != value.lower():
        raise KeyringError("keyring: bad hex field")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise KeyringError("keyring: bad hex field") from None
