"""The cleartext header: routing data only, canonical JSON, parsed strictly (SYNC.md §2.2).

The relay sees this header, so it holds who sends to whom and nothing about the content. A header
must re-encode byte for byte (sorted keys, no spaces, ASCII, canonical unpadded base64): one
meaning has exactly one byte string, and the signature and the payload key cover those bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

from sync.errors import BundleTooLarge, MalformedBundle
from sync.limits import (
    EPH_LEN,
    FORMAT_VERSION,
    MAX_CIPHERTEXT,
    MAX_SEQ,
    MAX_STANZAS,
    NONCE_LEN,
    STANZA_BODY_LEN,
    SUITE,
    TAG_LEN,
)

PEER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,63}")
KID_RE = re.compile(r"[0-9a-f]{32}")
B64_RE = re.compile(r"[A-Za-z0-9+/]*")
E = TypeVar("E", bound=StrEnum)


class BundleKind(StrEnum):
    """What a bundle carries; every kind goes through the same verify path."""

    EVENTS = "events"
    ACK = "ack"
    KEYRING = "keyring"
    PROVISION = "provision"
    RESTORE = "restore"  # the city's copy of a station's own chains, sent back after a restore (SYNC.md §3.8)


class Compression(StrEnum):
    """How the plaintext is compressed before encryption."""

    ZSTD = "zstd"
    ZLIB = "zlib"
    NONE = "none"


@dataclass(frozen=True)
class Stanza:
    """The file key wrapped to one recipient box key: key id, ephemeral share, 48-byte body."""

    kid: str
    eph: bytes
    body: bytes


@dataclass(frozen=True)
class BundleHeader:
    """The parsed cleartext header. `payload_len` is the ciphertext length in bytes."""

    kind: BundleKind
    bundle_id: str
    sender: str
    sender_kid: str
    recipient: str
    sender_seq: int
    compression: Compression
    nonce: bytes
    stanzas: tuple[Stanza, ...]
    payload_len: int


def b64encode(data: bytes) -> str:
    """Standard base64 without padding (the only form a header accepts)."""
    return base64.b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str, length: int, what: str) -> bytes:
    """Decode canonical unpadded base64 of exactly `length` bytes, else `MalformedBundle`."""
    if len(text) != -(-length * 4 // 3) or not B64_RE.fullmatch(text):
        _bad(f"{what}: not canonical base64 of {length} bytes")
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        _bad(f"{what}: not base64")
    if len(data) != length or b64encode(data) != text:
        _bad(f"{what}: not canonical base64")
    return data


def canonical_json(doc: object) -> bytes:
    """Sorted keys, no spaces, UTF-8: the one encoding of a JSON document used in bundles."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_header(header: BundleHeader) -> bytes:
    """The canonical bytes of `header` (what is written, hashed and signed)."""
    doc = {
        "v": FORMAT_VERSION,
        "suite": SUITE,
        "compression": header.compression.value,
        "kind": header.kind.value,
        "bundle_id": header.bundle_id,
        "sender": header.sender,
        "sender_kid": header.sender_kid,
        "recipient": header.recipient,
        "sender_seq": header.sender_seq,
        "nonce": b64encode(header.nonce),
        "stanzas": [{"kid": s.kid, "eph": b64encode(s.eph), "body": b64encode(s.body)} for s in header.stanzas],
        "payload_len": header.payload_len,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


HEADER_KEYS = frozenset(
    {
        "v",
        "suite",
        "compression",
        "kind",
        "bundle_id",
        "sender",
        "sender_kid",
        "recipient",
        "sender_seq",
        "nonce",
        "stanzas",
        "payload_len",
    }
)
STANZA_KEYS = frozenset({"kid", "eph", "body"})


def parse_header(raw: bytes) -> BundleHeader:
    """Parse and validate header bytes.

    Raises:
        MalformedBundle: not canonical JSON, an unknown version, suite, kind or compression, a
            missing or extra field, a bad stanza (count 1-4, eph 32 bytes, body 48 bytes).
        BundleTooLarge: `payload_len` over 256 MiB.
    """
    doc = strict_json_object(raw, "header")
    if set(doc) != HEADER_KEYS:
        _bad("header: wrong set of fields")
    if doc["v"] != FORMAT_VERSION or type(doc["v"]) is not int:
        _bad("header: unknown format version")
    if doc["suite"] != SUITE:
        _bad("header: unknown suite")
    kind = _enum(BundleKind, doc["kind"], "kind")
    compression = _enum(Compression, doc["compression"], "compression")
    bundle_id = _uuid(doc["bundle_id"])
    sender = _peer(doc["sender"], "sender")
    recipient = _peer(doc["recipient"], "recipient")
    sender_kid = _kid(doc["sender_kid"])
    sender_seq = _int(doc["sender_seq"], "sender_seq", 0, MAX_SEQ)
    payload_len = _int(doc["payload_len"], "payload_len", TAG_LEN, MAX_SEQ)
    if payload_len > MAX_CIPHERTEXT:
        raise BundleTooLarge(f"ciphertext of {payload_len} bytes over {MAX_CIPHERTEXT}")
    nonce = b64decode(_str(doc["nonce"], "nonce"), NONCE_LEN, "nonce")
    stanzas = _stanzas(doc["stanzas"])
    header = BundleHeader(
        kind, bundle_id, sender, sender_kid, recipient, sender_seq, compression, nonce, stanzas, payload_len
    )
    if encode_header(header) != raw:
        _bad("header: not in canonical form")
    return header


def strict_json_object(raw: bytes, what: str) -> dict[str, Any]:
    """Parse UTF-8 JSON that must be an object with no duplicate keys, NaN or floats."""
    try:
        doc = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=_no_float,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        _bad(f"{what}: not valid JSON")
    if not isinstance(doc, dict):
        _bad(f"{what}: not a JSON object")
    return doc


def _stanzas(value: object) -> tuple[Stanza, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_STANZAS:
        _bad(f"header: stanzas must be a list of 1 to {MAX_STANZAS}")
    stanzas = []
    for item in value:
        if not isinstance(item, dict) or set(item) != STANZA_KEYS:
            _bad("header: stanza fields")
        eph = b64decode(_str(item["eph"], "stanza eph"), EPH_LEN, "stanza eph")
        body = b64decode(_str(item["body"], "stanza body"), STANZA_BODY_LEN, "stanza body")
        stanzas.append(Stanza(_kid(item["kid"]), eph, body))
    if len({s.kid for s in stanzas}) != len(stanzas):
        _bad("header: two stanzas for one key")
    return tuple(stanzas)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        raise ValueError("duplicate key")
    return doc


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} not allowed")


def _no_float(text: str) -> NoReturn:
    raise ValueError("floats not allowed")


def _bad(detail: str) -> NoReturn:
    raise MalformedBundle(detail)


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        _bad(f"header: {what} must be a string")
    return value


def _int(value: object, what: str, low: int, high: int) -> int:
    if type(value) is not int or not low <= value <= high:
        _bad(f"header: {what} out of range")
    return value


def _peer(value: object, what: str) -> str:
    text = _str(value, what)
    if not PEER_RE.fullmatch(text):
        _bad(f"header: {what} is not a peer name")
    return text


def _kid(value: object) -> str:
    text = _str(value, "key id")
    if not KID_RE.fullmatch(text):
        _bad("header: key id is not 32 hex digits")
    return text


def _uuid(value: object) -> str:
    text = _str(value, "bundle_id")
    try:
        canonical = str(uuid.UUID(text))
    except ValueError:
        _bad("header: bundle_id is not a UUID")
    if canonical != text:
        _bad("header: bundle_id is not a canonical UUID")
    return text


def _enum(cls: type[E], value: object, what: str) -> E:
    try:
        return cls(_str(value, what))
    except ValueError:
        _bad(f"header: unknown {what}")
