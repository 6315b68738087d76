"""Generate the labelled bundle test vectors in tests/sync/vectors (deterministic).

Run `python -m tests.sync.make_vectors` from the checkout to rewrite them; the test suite checks
that the committed files equal what this script produces. Each file is a few `key: value` lines
(`expect:` the error class, or `success`, plus how to open it), a blank line, then the bundle.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import zstandard
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from sync.compression import compressor
from sync.crypto import chunk_nonce, payload_key, sign_prehash, wrap_file_key
from sync.header import BundleHeader, BundleKind, Compression, encode_header
from sync.keys import key_id
from sync.limits import CHUNK_SIZE, MAGIC, TRAILER_MAGIC
from sync.manifest import Ack, ChainRange, Manifest, encode_end, encode_manifest
from sync.writer import plaintext_lines
from tests.sync.fixed_keys import (
    CITY,
    CITY_CURRENT,
    CITY_NEXT,
    STATION_A,
    STATION_B,
    STATION_B_BOX,
    STATION_C,
    STATION_D,
    box_key,
    signing_key,
)

FIXED_ID = "00000000-0000-4000-8000-000000000000"
VECTORS = Path(__file__).resolve().parent / "vectors"

Chunks = list[tuple[bytes, int, bool]]  # (plaintext, counter, last flag) per sealed chunk


@dataclass
class Spec:
    """One bundle to build; every hook defaults to an honest sender."""

    sender: str = STATION_A
    recipient: str = CITY
    box_keys: tuple[X25519PrivateKey, ...] = (CITY_CURRENT,)
    kind: BundleKind = BundleKind.EVENTS
    seq: int = 7
    events: int = 3
    event_pad: int = 0
    epoch: str = "epoch-1"
    keyring_version: int = 5
    compression: Compression = Compression.ZSTD
    manifest_edit: Callable[[Manifest], Manifest] | None = None
    plaintext: bytes | None = None  # replaces the honest plaintext
    compressed: bytes | None = None  # replaces the compressed payload
    header_edit: Callable[[dict[str, Any]], None] | None = None
    header_encode: Callable[[dict[str, Any]], bytes] | None = None
    chunks_edit: Callable[[Chunks], Chunks] | None = None
    sign_with: Ed25519PrivateKey | None = None
    bundle_id: str | None = None  # fixed id, for vectors with a hand-made plaintext
    extra: dict[str, str] = field(default_factory=dict)


def rng_for(name: str) -> random.Random:
    return random.Random(hashlib.sha256(name.encode()).digest())


def make_events(rng: random.Random, count: int, pad: int = 0) -> list[dict[str, Any]]:
    """Synthetic events with no personal data (ids, hashes, a short code)."""
    return [
        {
            "uuid": str(uuid.UUID(bytes=rng.randbytes(16), version=4)),
            "case_uuid": str(uuid.UUID(bytes=rng.randbytes(16), version=4)),
            "type": "case_note",
            "origin": STATION_A,
            "stream": STATION_A,
            "origin_seq": 100 + i,
            "payload": {"text": "备注" + "x" * pad, "n": i},
            "hash": rng.randbytes(32).hex(),
        }
        for i in range(count)
    ]


def build(name: str, spec: Spec) -> bytes:
    """The bytes of the bundle `spec` describes (deterministic for a given `name`)."""
    rng = rng_for(name)
    bundle_id = str(uuid.UUID(bytes=rng.randbytes(16), version=4))
    bundle_id = spec.bundle_id or bundle_id
    manifest = Manifest(
        bundle_id=bundle_id,
        kind=spec.kind,
        sender=spec.sender,
        recipient=spec.recipient,
        sender_seq=spec.seq,
        store_epoch=spec.epoch,
        app_version="0.1.0",
        schema=1,
        keyring_version=spec.keyring_version,
        chains=(ChainRange(STATION_A, STATION_A, 100, 99 + spec.events, "ab" * 32),) if spec.events else (),
        acks=(Ack(f"city:{CITY}", STATION_A, 12, "cd" * 32),),
        events=spec.events,
    )
    events = make_events(rng, spec.events, spec.event_pad)
    if spec.manifest_edit is not None:
        manifest = spec.manifest_edit(manifest)
    plaintext = spec.plaintext if spec.plaintext is not None else b"".join(plaintext_lines(manifest, events))
    if spec.compressed is not None:
        compressed = spec.compressed
    else:
        engine = compressor(spec.compression)
        compressed = engine.compress(plaintext) + engine.flush()
    chunks: Chunks = []
    count = max(1, -(-len(compressed) // CHUNK_SIZE))
    for i in range(count):
        chunks.append((compressed[i * CHUNK_SIZE : (i + 1) * CHUNK_SIZE], i, i == count - 1))
    if spec.chunks_edit is not None:
        chunks = spec.chunks_edit(chunks)
    file_key, nonce = rng.randbytes(32), rng.randbytes(16)
    header = BundleHeader(
        kind=spec.kind,
        bundle_id=bundle_id,
        sender=spec.sender,
        sender_kid=_kid(spec.sender),
        recipient=spec.recipient,
        sender_seq=spec.seq,
        compression=spec.compression,
        nonce=nonce,
        stanzas=tuple(wrap_file_key(file_key, k.public_key(), rng.randbytes) for k in spec.box_keys),
        payload_len=sum(len(p) + 16 for p, _, _ in chunks),
    )
    doc = json.loads(encode_header(header))
    if spec.header_edit is not None:
        spec.header_edit(doc)
    header_bytes = (spec.header_encode or _canonical)(doc)
    aead = ChaCha20Poly1305(payload_key(file_key, nonce, header_bytes))
    sealed = b"".join(aead.encrypt(chunk_nonce(i, last), p, None) for p, i, last in chunks)
    return sign(
        MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + sealed, spec.sign_with or _key(spec.sender)
    )


def sign(body: bytes, key: Ed25519PrivateKey) -> bytes:
    """Append the trailer: a valid signature by `key` over `body`."""
    return body + TRAILER_MAGIC + sign_prehash(key, hashlib.sha512(body).digest())


def split(bundle: bytes) -> tuple[dict[str, Any], int, bytes]:
    """(header document, header length, ciphertext) of a bundle."""
    header_len = int.from_bytes(bundle[8:12], "big")
    return json.loads(bundle[12 : 12 + header_len]), header_len, bundle[12 + header_len : -68]


def resign(header_doc: dict[str, Any], ciphertext: bytes, key: Ed25519PrivateKey) -> bytes:
    """A bundle from a (possibly edited) header and ciphertext, validly signed by `key`."""
    header_bytes = _canonical(header_doc)
    return sign(MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + ciphertext, key)


def _canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _key(name: str) -> Ed25519PrivateKey:
    return signing_key(name)


def _kid(name: str) -> str:
    return key_id(signing_key(name).public_key())


def _bomb(kind: Compression, size: int) -> bytes:
    """A valid compressed stream: a matching manifest line, then `size` bytes of well-formed event
    lines (under 64 KiB each, under 20,000 of them), so only the output bound can stop it."""
    line = b'{"pad":"' + b"x" * (60 * 1024) + b'"}\n'
    block = line * 16
    engine = zlib.compressobj(9) if kind is Compression.ZLIB else zstandard.ZstdCompressor(level=3).compressobj()
    out = [engine.compress(_manifest_line(20_000) + b"\n")]
    out += [engine.compress(block) for _ in range(size // len(block))]
    return b"".join(out) + engine.flush()


def _set(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.update(changes)


def vectors() -> dict[str, tuple[dict[str, str], bytes]]:
    """name -> (labels, bundle bytes) for every vector."""
    out: dict[str, tuple[dict[str, str], bytes]] = {}

    def add(name: str, expect: str, comment: str, data: bytes, **labels: str) -> None:
        out[name] = ({"expect": expect, "comment": comment, **labels}, data)

    good = build("good", Spec())
    add("good", "success", "zstd, one stanza, three events", good)
    add(
        "good_two_stanzas",
        "success",
        "the city's current and next key; opens with either",
        build("good_two_stanzas", Spec(box_keys=(CITY_CURRENT, CITY_NEXT))),
        open_with="current next",
    )
    add("good_zlib", "success", "zlib compression", build("good_zlib", Spec(compression=Compression.ZLIB)))
    add(
        "good_empty_payload",
        "success",
        "an ack-only bundle: no events",
        build("good_empty_payload", Spec(kind=BundleKind.ACK, events=0)),
    )
    exact = _exact_two_chunks()
    add("good_exact_64KiB_final_chunk", "success", "uncompressed, two full 64 KiB chunks", exact)
    add("bad_magic", "malformed", "first byte of the magic changed", b"X" + good[1:])
    add("future_version", "malformed", "magic says format v2", good[:7] + b"\x02" + good[8:])
    add(
        "future_header_version",
        "malformed",
        "header v=2, validly signed",
        build("future_header_version", Spec(header_edit=_set(v=2))),
    )
    add("header_len_huge", "too_large", "header length 4 GiB", good[:8] + b"\xff\xff\xff\xff" + good[12:])
    add(
        "header_len_over_16KiB",
        "too_large",
        "header length 16 KiB + 1",
        good[:8] + (16 * 1024 + 1).to_bytes(4, "big") + good[12:],
    )
    spaced = json.dumps  # a readable alias for the two non-canonical encoders below
    add(
        "header_not_canonical_spaces",
        "malformed",
        "header JSON with spaces, validly signed",
        build("hspaces", Spec(header_encode=lambda d: spaced(d, sort_keys=True).encode())),
    )
    add(
        "header_not_canonical_order",
        "malformed",
        "header keys not sorted, validly signed",
        build("horder", Spec(header_encode=lambda d: _compact(dict(reversed(d.items()))))),
    )
    add(
        "header_duplicate_key",
        "malformed",
        "the recipient key twice, validly signed",
        build("hdup", Spec(header_encode=lambda d: _canonical(d)[:-1] + b',"recipient":"232700"}')),
    )
    add(
        "header_noncanonical_base64_padding",
        "malformed",
        "nonce with '==' padding",
        build("b64pad", Spec(header_edit=lambda d: d.update(nonce=d["nonce"] + "=="))),
    )
    add(
        "header_noncanonical_base64_bits",
        "malformed",
        "nonce with non-zero trailing bits",
        build("b64bits", Spec(header_edit=lambda d: d.update(nonce=d["nonce"][:-1] + "B"))),
    )
    add(
        "stanza_body_47_bytes",
        "malformed",
        "stanza body one byte short",
        build("s47", Spec(header_edit=lambda d: _stanza_body(d, -1))),
    )
    add(
        "stanza_body_49_bytes",
        "malformed",
        "stanza body one byte long",
        build("s49", Spec(header_edit=lambda d: _stanza_body(d, 1))),
    )
    add(
        "five_stanzas",
        "malformed",
        "more than four stanzas",
        build("s5", Spec(box_keys=(*[box_key(f"k{i}") for i in range(4)], CITY_CURRENT))),
    )
    add(
        "stanza_eph_all_zero",
        "payload_failure",
        "low-order ephemeral share: the shared secret is all zero",
        build("eph0", Spec(header_edit=lambda d: d["stanzas"][0].update(eph="A" * 43))),
    )
    _, header_len, _ = split(good)
    add("truncated_in_header", "truncated", "cut inside the header", good[: 12 + header_len // 2])
    add("truncated_in_prefix", "truncated", "cut inside the length field", good[:10])
    add("truncated_last_byte", "truncated", "the last byte removed", good[:-1])
    add("truncated_in_ciphertext", "truncated", "cut in the middle of the ciphertext", good[: 12 + header_len + 20])
    multi = build("multi", Spec(compression=Compression.NONE, events=272, event_pad=280))
    mdoc, mlen, mct = split(multi)
    assert len(mct) > 2 * 65552, "the multi-chunk base needs three chunks"
    add(
        "truncated_at_chunk_boundary",
        "truncated",
        "cut after the first chunk, trailer re-appended",
        multi[: 12 + mlen + 65552] + multi[-68:],
    )
    add(
        "drop_middle_chunk",
        "truncated",
        "the second of three chunks removed",
        multi[: 12 + mlen + 65552] + multi[12 + mlen + 2 * 65552 :],
    )
    add(
        "swap_chunks_resigned",
        "payload_failure",
        "chunks 0 and 1 swapped, validly re-signed",
        resign(mdoc, mct[65552:131104] + mct[:65552] + mct[131104:], _key(STATION_A)),
    )
    add(
        "drop_final_chunk_resigned",
        "payload_failure",
        "final chunk left out by a sender, header length fixed, signed: no chunk has the last flag",
        build(
            "dropfinal",
            Spec(
                compression=Compression.NONE,
                events=150,
                event_pad=280,
                chunks_edit=_drop_final,
            ),
        ),
    )
    add(
        "stream_last_chunk_empty",
        "payload_failure",
        "an empty final chunk after a full one",
        build("lastempty", Spec(compression=Compression.NONE, plaintext=None, chunks_edit=_empty_last_after_full)),
    )
    add("trailing_garbage", "malformed", "one byte after the signature", good + b"\x00")
    add("sig_flipped", "bad_signature", "one bit of the signature flipped", _flip(good, len(good) - 1))
    add("ciphertext_flipped", "bad_signature", "one bit of the ciphertext flipped", _flip(good, 12 + header_len + 5))
    add("trailer_magic_changed", "malformed", "SIG1 marker changed", good[:-68] + b"SIG2" + good[-64:])
    add("unknown_sender", "unknown_sender", "a station not in the keyring", build("unknown", Spec(sender=STATION_D)))
    add("revoked_sender", "revoked_sender", "a revoked station", build("revoked", Spec(sender=STATION_C)))
    add(
        "sender_kid_of_other_station",
        "unknown_sender",
        "sender A naming station B's key id, signed by B",
        build("kidswap", Spec(header_edit=lambda d: d.update(sender_kid=_kid(STATION_B)), sign_with=_key(STATION_B))),
    )
    add(
        "wrong_recipient",
        "wrong_recipient",
        "addressed to station B",
        build("wrongrcpt", Spec(recipient=STATION_B, box_keys=(STATION_B_BOX,))),
    )
    add(
        "wrong_recipient_key",
        "wrong_recipient",
        "addressed to the city but wrapped to another key",
        build("wrongkey", Spec(box_keys=(STATION_B_BOX,))),
    )
    gdoc, _, gct = split(good)
    gdoc.update(sender=STATION_B, sender_kid=_kid(STATION_B))
    add(
        "resigned_by_other_station",
        "payload_failure",
        "A's bundle with the header's sender changed to B, validly signed by B",
        resign(gdoc, gct, _key(STATION_B)),
    )
    other = build("other", Spec(seq=8))
    adoc, _, _ = split(good)
    _, _, bct = split(other)
    adoc["payload_len"] = len(bct)
    add(
        "splice_header_a_body_b_resigned",
        "payload_failure",
        "bundle A's header on bundle B's ciphertext, validly signed by the same station",
        resign(adoc, bct, _key(STATION_A)),
    )
    add(
        "zlib_bomb",
        "decompress_limit",
        "64 MiB of event lines in a small zlib payload",
        build(
            "zlibbomb",
            Spec(bundle_id=FIXED_ID, compression=Compression.ZLIB, compressed=_bomb(Compression.ZLIB, 64 << 20)),
        ),
    )
    add(
        "zstd_bomb",
        "decompress_limit",
        "256 MiB of event lines in a small zstd payload",
        build("zstdbomb", Spec(bundle_id=FIXED_ID, compressed=_bomb(Compression.ZSTD, 256 << 20))),
    )
    add(
        "manifest_mismatch",
        "malformed",
        "the manifest's bundle_id differs from the header's",
        build("mmismatch", Spec(manifest_edit=lambda m: replace(m, bundle_id=str(uuid.UUID(int=1, version=4))))),
    )
    add(
        "end_count_mismatch",
        "malformed",
        "the end line counts one event more",
        build("endcount", Spec(plaintext=_plain_with_end(4), bundle_id=FIXED_ID)),
    )
    add(
        "data_after_end_line",
        "malformed",
        "a line that does not end with a newline after the end line",
        build("afterend", Spec(plaintext=_plain_with_end(3) + b'{"x":1}', bundle_id=FIXED_ID)),
    )
    add(
        "too_many_events",
        "too_large",
        "20,001 events (a sender must split)",
        build("toomany", Spec(plaintext=_tiny_events(20_001), bundle_id=FIXED_ID, compression=Compression.NONE)),
    )
    add(
        "event_line_too_long",
        "too_large",
        "one event line of 64 KiB + 1",
        build("longline", Spec(plaintext=_long_line(), bundle_id=FIXED_ID, compression=Compression.NONE)),
    )
    add("replayed_bundle", "already_imported", "the good bundle, already imported", good, seen_bundle="yes")
    add(
        "keyring_rollback",
        "replay",
        "a keyring bundle with version 4 when 5 is held",
        build("rollback", Spec(kind=BundleKind.KEYRING, events=0, keyring_version=4)),
        held_keyring_version="5",
    )
    add(
        "store_epoch_changed",
        "fork",
        "a known sender with a new store epoch",
        build("epoch", Spec(epoch="epoch-2")),
        seen_epoch="epoch-1",
    )
    add(
        "file_changed_between_passes",
        "bad_signature",
        "the good bundle; the test flips a ciphertext byte after pass 1",
        good,
        mutate_after_verify=str(12 + header_len + 5),
    )
    return out


def _compact(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _drop_final(chunks: Chunks) -> Chunks:
    assert len(chunks) == 2
    return [(p, i, False) for p, i, _ in chunks[:-1]]


def _stanza_body(doc: dict[str, Any], delta: int) -> None:
    body = base64.b64decode(doc["stanzas"][0]["body"] + "==")
    body = body[:-1] if delta < 0 else body + b"\x00"
    doc["stanzas"][0]["body"] = base64.b64encode(body).decode().rstrip("=")


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def _manifest_line(events: int) -> bytes:
    return encode_manifest(
        Manifest(
            bundle_id=FIXED_ID,
            kind=BundleKind.EVENTS,
            sender=STATION_A,
            recipient=CITY,
            sender_seq=7,
            store_epoch="epoch-1",
            app_version="0.1.0",
            schema=1,
            keyring_version=5,
            events=events,
        )
    )


def _plain_with_end(end_count: int) -> bytes:
    events = [b'{"n":%d}' % i for i in range(3)]
    return b"\n".join([_manifest_line(3), *events, encode_end(end_count)]) + b"\n"


def _tiny_events(count: int) -> bytes:
    return b"\n".join([_manifest_line(20_000), *([b"{}"] * count), encode_end(count)]) + b"\n"


def _long_line() -> bytes:
    line = b'{"pad":"' + b"x" * (64 * 1024 - 9) + b'"}'
    return b"\n".join([_manifest_line(1), line, encode_end(1)]) + b"\n"


def _empty_last_after_full(chunks: Chunks) -> Chunks:
    head = chunks[0][0] + b"\x00" * CHUNK_SIZE
    return [(head[:CHUNK_SIZE], 0, False), (b"", 1, True)]


def _exact_two_chunks() -> bytes:
    """An honest bundle whose uncompressed payload is exactly 2 x 64 KiB."""
    rng_name = "exact"
    spec = Spec(compression=Compression.NONE, events=2)
    base = len(build(rng_name, spec))
    _, header_len, _ = split(build(rng_name, spec))
    payload = base - 12 - header_len - 68 - 16
    spec.event_pad, odd = divmod(2 * CHUNK_SIZE - payload, 2)
    spec.epoch += "x" * odd
    data = build(rng_name, spec)
    _, header_len, ct = split(data)
    assert len(ct) == 2 * (CHUNK_SIZE + 16), len(ct)
    return data


def write_vectors(folder: Path = VECTORS) -> list[Path]:
    """Write every vector file into `folder` (replacing old ones); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.vec"):
        old.unlink()
    paths = []
    for name, (labels, data) in sorted(vectors().items()):
        text = "".join(f"{k}: {v}\n" for k, v in labels.items()) + "\n"
        path = folder / f"{name}.vec"
        path.write_bytes(text.encode("utf-8") + data)
        paths.append(path)
    return paths


def read_vector(path: Path) -> tuple[dict[str, str], bytes]:
    """(labels, bundle bytes) of a vector file."""
    raw = path.read_bytes()
    head, _, data = raw.partition(b"\n\n")
    labels = dict(line.split(": ", 1) for line in head.decode("utf-8").splitlines())
    return labels, data


if __name__ == "__main__":
    for written in write_vectors():
        print(written.name, written.stat().st_size)
