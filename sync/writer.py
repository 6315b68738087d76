"""Writing a bundle: encode, compress, seal, sign; temp name, fsync, rename, read back, verify.

A bundle is complete or absent: it is written under a hidden temp name in the target folder,
fsynced, renamed to its final name, the folder fsynced, and then read back from disk and
verified (structure, length and signature) before `write_bundle` returns. A writer killed at
any point leaves at most a `.part` file, never a partial file under the final name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from station_app.store.atomic import fsync_dir
from sync.compression import compressor
from sync.crypto import RandomBytes, chunk_nonce, payload_key, sign_prehash, wrap_file_key
from sync.errors import BundleError
from sync.header import BundleHeader, Compression, canonical_json, encode_header
from sync.keys import Keyring, SenderKey, Signer, key_id
from sync.limits import (
    CHUNK_SIZE,
    FILE_KEY_LEN,
    MAGIC,
    MAX_CIPHERTEXT,
    MAX_EVENTS,
    MAX_HEADER,
    MAX_LINE,
    MAX_PLAINTEXT,
    MAX_RATIO,
    MAX_STANZAS,
    NONCE_LEN,
    TRAILER_MAGIC,
    ciphertext_len,
)
from sync.manifest import Manifest, encode_end, encode_manifest, validate_manifest
from sync.reader import verify_bundle

EventLine = Mapping[str, Any] | bytes
"""An event as a JSON-able mapping, or already as one line of canonical JSON (no newline)."""

SPOOL_IN_MEMORY = 32 * 1024 * 1024


@dataclass(frozen=True)
class WrittenBundle:
    """A bundle on disk, read back and verified: where, what, how big, and its SHA-256 (hex)."""

    path: Path
    header: BundleHeader
    manifest: Manifest
    size: int
    sha256: str


def new_bundle_id() -> str:
    """A fresh bundle UUID (version 4), in canonical form."""
    return str(uuid.uuid4())


def bundle_file_name(manifest: Manifest) -> str:
    """A file name for the bundle: sender, recipient, sequence and id, ending in `.msb`."""
    return f"{manifest.sender}-{manifest.recipient}-{manifest.sender_seq:06d}-{manifest.bundle_id[:8]}.msb"


def write_bundle(
    path: Path,
    manifest: Manifest,
    events: Sequence[EventLine],
    signer: Signer,
    recipients: Sequence[X25519PublicKey],
    *,
    compression: Compression = Compression.ZSTD,
    durable: bool = True,
    random_bytes: RandomBytes = os.urandom,
) -> WrittenBundle:
    """Write a signed, encrypted bundle to `path`, atomically, and verify it from disk.

    Args:
        path: the final file name (its folder must exist; an existing file is replaced).
        manifest: routing, chains and acks; `events` is set here to `len(events)`.
        events: at most 20,000 events, each at most 64 KiB of canonical JSON.
        signer: the sending store; its name must equal `manifest.sender`.
        recipients: 1 to 4 box keys the file key is wrapped to (the recipient's current and next
            key, optionally our own).
        compression: zstd (default), zlib or none. If compression would exceed the reader's
            50:1 bound the payload is stored uncompressed instead.
        durable: fsync the file and its folder (turn off only in benchmarks of the pipeline).
        random_bytes: the randomness source (tests pass a seeded one for fixed vectors).

    Returns:
        The final path, header, manifest (with its event count), size in bytes and SHA-256.

    Raises:
        ValueError: invalid input (sender differs from the signer, too many events or recipients,
            an event line too long, payload over the limits).
        BundleError: the read-back failed (the file is removed).
        OSError: the folder cannot be written (disk full, stick pulled): no file is left under
            `path`.
    """
    path = Path(path)
    manifest = _checked(manifest, events, signer, recipients)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        compressed_len, compression = _compress(manifest, events, compression, spool)
        file_key, nonce = random_bytes(FILE_KEY_LEN), random_bytes(NONCE_LEN)
        header = BundleHeader(
            kind=manifest.kind,
            bundle_id=manifest.bundle_id,
            sender=manifest.sender,
            sender_kid=signer.kid,
            recipient=manifest.recipient,
            sender_seq=manifest.sender_seq,
            compression=compression,
            nonce=nonce,
            stanzas=tuple(wrap_file_key(file_key, r, random_bytes) for r in recipients),
            payload_len=ciphertext_len(compressed_len),
        )
        header_bytes = encode_header(header)
        if len(header_bytes) > MAX_HEADER:
            raise ValueError("header over its limit")
        spool.seek(0)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                seal(out, header_bytes, payload_key(file_key, nonce, header_bytes), spool, compressed_len, signer.key)
                out.flush()
                if durable:
                    os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    if durable:
        fsync_dir(path.parent)
    return WrittenBundle(path, header, manifest, *_read_back(path, signer))


def seal(
    out: IO[bytes],
    header_bytes: bytes,
    key: bytes,
    payload: IO[bytes],
    payload_len: int,
    signing_key: Ed25519PrivateKey,
) -> None:
    """Write magic, header, the STREAM of `payload_len` payload bytes read from `payload`, trailer.

    The low-level step of `write_bundle`, exposed for building test vectors.
    """
    prehash = hashlib.sha512()

    def emit(data: bytes) -> None:
        prehash.update(data)
        out.write(data)

    emit(MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes)
    aead = ChaCha20Poly1305(key)
    count = max(1, -(-payload_len // CHUNK_SIZE))
    for index in range(count):
        chunk = payload.read(CHUNK_SIZE if index < count - 1 else payload_len - index * CHUNK_SIZE)
        emit(aead.encrypt(chunk_nonce(index, index == count - 1), chunk, None))
    out.write(TRAILER_MAGIC + sign_prehash(signing_key, prehash.digest()))


def plaintext_lines(manifest: Manifest, events: Sequence[EventLine]) -> Iterator[bytes]:
    """The plaintext as lines with their newlines: manifest, events, end.

    Raises:
        ValueError: an event line over 64 KiB or one that is not a single JSON object line.
    """
    yield encode_manifest(manifest) + b"\n"
    for event in events:
        line = event if isinstance(event, bytes) else canonical_json(event)
        if len(line) > MAX_LINE:
            raise ValueError(f"an event line over {MAX_LINE} bytes")
        if not line.startswith(b"{") or not line.endswith(b"}") or b"\n" in line:
            raise ValueError("an event line must be one JSON object")
        yield line + b"\n"
    yield encode_end(len(events)) + b"\n"


def _checked(
    manifest: Manifest, events: Sequence[EventLine], signer: Signer, recipients: Sequence[X25519PublicKey]
) -> Manifest:
    if manifest.sender != signer.name:
        raise ValueError("the manifest's sender is not the signer")
    if len(events) > MAX_EVENTS:
        raise ValueError(f"more than {MAX_EVENTS} events: split the backlog")
    if not 1 <= len(recipients) <= MAX_STANZAS:
        raise ValueError(f"1 to {MAX_STANZAS} recipient keys")
    if len({key_id(r) for r in recipients}) != len(recipients):
        raise ValueError("a recipient key given twice")
    manifest = replace(manifest, events=len(events))
    validate_manifest(manifest)
    return manifest


def _compress(
    manifest: Manifest, events: Sequence[EventLine], compression: Compression, spool: IO[bytes]
) -> tuple[int, Compression]:
    """Compress the plaintext into `spool`; fall back to none past the reader's ratio bound."""
    engine = compressor(compression)
    plain_len = compressed_len = 0
    for line in plaintext_lines(manifest, events):
        plain_len += len(line)
        if plain_len > MAX_PLAINTEXT:
            raise ValueError("plaintext over 1 GiB")
        compressed_len += spool.write(engine.compress(line))
    compressed_len += spool.write(engine.flush())
    if compression is not Compression.NONE and plain_len > MAX_RATIO * ciphertext_len(compressed_len):
        spool.seek(0)
        spool.truncate()
        return _compress(manifest, events, Compression.NONE, spool)
    if ciphertext_len(compressed_len) > MAX_CIPHERTEXT:
        raise ValueError("ciphertext over 256 MiB: split the backlog")
    return compressed_len, compression


def _read_back(path: Path, signer: Signer) -> tuple[int, str]:
    own = Keyring.of([SenderKey(signer.name, signer.key.public_key())])
    try:
        verified = verify_bundle(path, own, None)
    except BundleError:
        path.unlink(missing_ok=True)
        raise
    return verified.size, verified.sha256
