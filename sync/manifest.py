"""The encrypted plaintext: a manifest line, the events, an end line (JSON Lines, SYNC.md §2.6).

The manifest repeats the header's routing fields (the reader requires them equal) and carries
what the relay must not see: the chain ranges, the event count and the acknowledgements. The
events themselves are opaque JSON objects supplied by the caller; this module only frames them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NoReturn

import orjson

from sync.errors import BundleTooLarge, MalformedBundle
from sync.header import PEER_RE, BundleHeader, BundleKind, canonical_json, strict_json_object
from sync.limits import MAX_EVENTS, MAX_SEQ

MAX_NAME = 128  # origin, stream, hash, epoch and version strings
MAX_CHAINS = 1024
MAX_ACKS = 1024


@dataclass(frozen=True)
class ChainRange:
    """Events of one chain (origin, stream) in this bundle: `from_seq`..`to_seq`, ending at `head`."""

    origin: str
    stream: str
    from_seq: int
    to_seq: int
    head: str


@dataclass(frozen=True)
class Ack:
    """An acknowledgement: "I hold chain (origin, stream) through `through_seq`, whose hash there is `hash`"."""

    origin: str
    stream: str
    through_seq: int
    hash: str


@dataclass(frozen=True)
class Manifest:
    """The first plaintext line. `events` is the number of event lines (the writer fills it in)."""

    bundle_id: str
    kind: BundleKind
    sender: str
    recipient: str
    sender_seq: int
    store_epoch: str
    app_version: str
    schema: int
    keyring_version: int
    chains: tuple[ChainRange, ...] = ()
    acks: tuple[Ack, ...] = ()
    events: int = 0


MANIFEST_KEYS = frozenset(
    {
        "type",
        "bundle_id",
        "kind",
        "sender",
        "recipient",
        "sender_seq",
        "store_epoch",
        "app_version",
        "schema",
        "keyring_version",
        "chains",
        "acks",
        "events",
    }
)
CHAIN_KEYS = frozenset({"origin", "stream", "from_seq", "to_seq", "head"})
ACK_KEYS = frozenset({"origin", "stream", "through_seq", "hash"})
END_KEYS = frozenset({"type", "events"})


def encode_manifest(manifest: Manifest) -> bytes:
    """The manifest line (canonical JSON, no newline)."""
    doc = {
        "type": "manifest",
        "bundle_id": manifest.bundle_id,
        "kind": manifest.kind.value,
        "sender": manifest.sender,
        "recipient": manifest.recipient,
        "sender_seq": manifest.sender_seq,
        "store_epoch": manifest.store_epoch,
        "app_version": manifest.app_version,
        "schema": manifest.schema,
        "keyring_version": manifest.keyring_version,
        "events": manifest.events,
        "chains": [
            {"origin": c.origin, "stream": c.stream, "from_seq": c.from_seq, "to_seq": c.to_seq, "head": c.head}
            for c in manifest.chains
        ],
        "acks": [
            {"origin": a.origin, "stream": a.stream, "through_seq": a.through_seq, "hash": a.hash}
            for a in manifest.acks
        ],
    }
    return canonical_json(doc)


def encode_end(events: int) -> bytes:
    """The end line (canonical JSON, no newline)."""
    return canonical_json({"type": "end", "events": events})


def parse_manifest(line: bytes, header: BundleHeader) -> Manifest:
    """Parse the manifest line and check it against the header.

    Raises:
        MalformedBundle: not a manifest, a bad field, or routing fields that differ from the header.
        BundleTooLarge: more than 20,000 events announced.
    """
    doc = strict_json_object(line, "manifest")
    if set(doc) != MANIFEST_KEYS or doc["type"] != "manifest":
        _bad("manifest: wrong set of fields")
    try:
        kind = BundleKind(_text(doc["kind"]))
    except ValueError:
        _bad("manifest: unknown kind")
    events = _count(doc["events"])
    if events > MAX_EVENTS:
        raise BundleTooLarge(f"{events} events over {MAX_EVENTS}")
    chains, acks = doc["chains"], doc["acks"]
    if not isinstance(chains, list) or len(chains) > MAX_CHAINS:
        _bad("manifest: chains")
    if not isinstance(acks, list) or len(acks) > MAX_ACKS:
        _bad("manifest: acks")
    manifest = Manifest(
        bundle_id=_text(doc["bundle_id"]),
        kind=kind,
        sender=_text(doc["sender"]),
        recipient=_text(doc["recipient"]),
        sender_seq=_count(doc["sender_seq"]),
        store_epoch=_text(doc["store_epoch"]),
        app_version=_text(doc["app_version"]),
        schema=_count(doc["schema"]),
        keyring_version=_count(doc["keyring_version"]),
        chains=tuple(_chain(c) for c in chains),
        acks=tuple(_ack(a) for a in acks),
        events=events,
    )
    routing = (manifest.bundle_id, manifest.kind, manifest.sender, manifest.recipient, manifest.sender_seq)
    if routing != (header.bundle_id, header.kind, header.sender, header.recipient, header.sender_seq):
        _bad("manifest: routing fields differ from the header")
    return manifest


def parse_end(line: bytes) -> int:
    """The event count of the end line, or `MalformedBundle`."""
    doc = strict_json_object(line, "end line")
    if set(doc) != END_KEYS or doc["type"] != "end":
        _bad("end line: wrong fields")
    return _count(doc["events"])


def parse_event(line: bytes) -> dict[str, Any]:
    """One event line: any JSON object (no NaN or Infinity), else `MalformedBundle`.

    The value is the one `json` gives (`_parse_event_json`, which decides every line `orjson`
    refuses or may read otherwise); `orjson` reads the others, about three times faster.
    """
    classes = line.translate(_CLASSES)
    if _LONG_NUMBER in classes or classes.count(b"[") > _MAX_FAST_BRACKETS:
        return _parse_event_json(line)
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:  # NaN, an overflowing float, a lone surrogate escape, not UTF-8, ...
        return _parse_event_json(line)
    if not isinstance(doc, dict):
        _bad("event line: not a JSON object")
    return doc


def _parse_event_json(line: bytes) -> dict[str, Any]:
    """`parse_event` by the `json` module: the reference for what a line means."""
    try:
        doc = _EVENT_DECODER.decode(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        _bad("event line: not valid JSON")
    if not isinstance(doc, dict):
        _bad("event line: not a JSON object")
    return doc


def validate_manifest(manifest: Manifest) -> None:
    """Check a manifest before writing it (the writer's side of `parse_manifest`).

    Raises:
        ValueError: a field the reader would refuse.
    """
    parsed_ok = PEER_RE.fullmatch(manifest.sender) and PEER_RE.fullmatch(manifest.recipient)
    if not parsed_ok:
        raise ValueError("sender and recipient must be peer names")
    header_like = (manifest.sender_seq, manifest.schema, manifest.keyring_version, manifest.events)
    if any(not 0 <= n <= MAX_SEQ for n in header_like):
        raise ValueError("a counter is out of range")
    if len(manifest.chains) > MAX_CHAINS or len(manifest.acks) > MAX_ACKS:
        raise ValueError("too many chains or acks")
    texts = [manifest.store_epoch, manifest.app_version]
    texts += [t for c in manifest.chains for t in (c.origin, c.stream, c.head)]
    texts += [t for a in manifest.acks for t in (a.origin, a.stream, a.hash)]
    if any(len(t) > MAX_NAME for t in texts):
        raise ValueError(f"a name longer than {MAX_NAME} characters")
    seqs = [n for c in manifest.chains for n in (c.from_seq, c.to_seq)] + [a.through_seq for a in manifest.acks]
    if any(not 0 <= n <= MAX_SEQ for n in seqs):
        raise ValueError("a sequence number is out of range")
    if any(c.from_seq > c.to_seq for c in manifest.chains):
        raise ValueError("a chain range runs backwards")


def _chain(value: object) -> ChainRange:
    if not isinstance(value, dict) or set(value) != CHAIN_KEYS:
        _bad("manifest: chain fields")
    chain = ChainRange(
        _text(value["origin"]),
        _text(value["stream"]),
        _count(value["from_seq"]),
        _count(value["to_seq"]),
        _text(value["head"]),
    )
    if chain.from_seq > chain.to_seq:
        _bad("manifest: chain range")
    return chain


def _ack(value: object) -> Ack:
    if not isinstance(value, dict) or set(value) != ACK_KEYS:
        _bad("manifest: ack fields")
    return Ack(_text(value["origin"]), _text(value["stream"]), _count(value["through_seq"]), _text(value["hash"]))


def _text(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_NAME:
        _bad("manifest: a text field")
    return value


def _count(value: object) -> int:
    if type(value) is not int or not 0 <= value <= MAX_SEQ:
        _bad("manifest: a counter")
    return value


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} not allowed")


def _bad(detail: str) -> NoReturn:
    raise MalformedBundle(detail)


_EVENT_DECODER = json.JSONDecoder(parse_constant=_no_constant)  # one decoder: json.loads(..., kw) builds one per call

# Where `orjson` and `json` could disagree on a line `orjson` accepts, `parse_event` asks `json`:
# - an integer past 64 bits, which `orjson` reads as a float: any run of 19 digits (the longest
#   integer it always reads exactly has 19 digits only when positive; strings with such runs,
#   card numbers say, merely take the slower path);
# - nesting `json` refuses with RecursionError near the interpreter's recursion limit while
#   `orjson` goes to 1024 levels: more than 256 opening brackets (in strings too) anywhere.
# `line.translate(_CLASSES)` maps digits to "0", "[" and "{" to "[" and any other byte to a space.
_CLASSES = bytes(0x30 if 0x30 <= b <= 0x39 else 0x5B if b in (0x5B, 0x7B) else 0x20 for b in range(256))
_LONG_NUMBER = b"0" * 19
_MAX_FAST_BRACKETS = 256
