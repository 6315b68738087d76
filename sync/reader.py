"""Reading a bundle: copy to a private file, verify everything, only then decrypt (SYNC.md §2.4).

Pass 1 (`verify_bundle`) checks, cheapest first: magic, header length, canonical header, the
file length the header implies, the trailer, the sender key (known and active), the recipient
(name and a stanza for one of our keys), then SHA-512 over everything before the trailer and
the Ed25519 signature. Nothing is decrypted before it passes.

Pass 2 (`decrypt_bundle`) unwraps the file key, decrypts the STREAM chunks, decompresses within
the limit and parses the manifest, events and end line, hashing the bytes again as it reads. If
that digest differs from pass 1's the file changed in between and the bundle is refused as
`bad_signature`, whatever else went wrong.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from sync.compression import decompress_bounded
from sync.crypto import chunk_nonce, payload_key, unwrap_file_key, verify_prehash
from sync.errors import (
    BadSignature,
    BundleError,
    BundleTooLarge,
    MalformedBundle,
    PayloadFailure,
    RevokedSender,
    TruncatedBundle,
    UnknownSender,
    WrongRecipient,
)
from sync.header import BundleHeader, parse_header
from sync.keys import Keyring, KeyStatus, Recipient
from sync.limits import (
    IO_BLOCK,
    MAGIC,
    MAX_CIPHERTEXT,
    MAX_EVENTS,
    MAX_HEADER,
    MAX_LINE,
    PREFIX_LEN,
    SEALED_CHUNK,
    TAG_LEN,
    TRAILER_LEN,
    TRAILER_MAGIC,
    chunk_count,
    plaintext_limit,
)
from sync.manifest import Manifest, parse_end, parse_event, parse_manifest

MAX_FILE = PREFIX_LEN + MAX_HEADER + MAX_CIPHERTEXT + TRAILER_LEN


@dataclass(frozen=True)
class VerifiedBundle:
    """A file that passed pass 1. `prehash` is the signed SHA-512 digest; `sha256` covers the file."""

    path: Path
    header: BundleHeader
    header_bytes: bytes
    sender_key: Ed25519PublicKey
    size: int
    prehash: bytes
    sha256: str


@dataclass(frozen=True)
class OpenedBundle:
    """A verified, decrypted bundle: routing header, manifest and the events as parsed JSON objects."""

    header: BundleHeader
    manifest: Manifest
    events: list[dict[str, Any]]
    size: int
    sha256: str


def peek_header(path: Path) -> BundleHeader:
    """Read only the cleartext header, unverified: for routing (skip bundles for other stores).

    Raises:
        BundleError: `malformed`, `too_large` or `truncated` as in pass 1.
        OSError: the file cannot be read.
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        header, _ = _read_header(fh, size)
    return header


def verify_bundle(path: Path, keyring: Keyring, recipient: Recipient | None) -> VerifiedBundle:
    """Pass 1: every check that needs no decryption, the signature last.

    Args:
        path: the bundle, best a private copy (see `open_bundle`).
        keyring: the sender keys this store trusts.
        recipient: this store; None skips the recipient checks (the writer's read-back).

    Raises:
        BundleError: `malformed`, `too_large`, `truncated`, `unknown_sender`, `revoked_sender`,
            `wrong_recipient` or `bad_signature`.
        OSError: the file cannot be read.
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        header, header_bytes = _read_header(fh, size)
        end = _check_length(header, len(header_bytes), size)
        fh.seek(end)
        trailer = fh.read(TRAILER_LEN + 1)
        if len(trailer) != TRAILER_LEN:
            raise BadSignature("the file changed while it was read")
        if trailer[: len(TRAILER_MAGIC)] != TRAILER_MAGIC:
            raise MalformedBundle("trailer")
        sender_key = _sender_key(header, keyring)
        if recipient is not None:
            _check_recipient(header, recipient)
        fh.seek(0)
        prehash, whole = hashlib.sha512(), hashlib.sha256()
        for block in _blocks(fh, end):
            prehash.update(block)
            whole.update(block)
    whole.update(trailer)
    digest = prehash.digest()
    if not verify_prehash(sender_key, digest, trailer[len(TRAILER_MAGIC) :]):
        raise BadSignature("signature does not verify")
    return VerifiedBundle(Path(path), header, header_bytes, sender_key, size, digest, whole.hexdigest())


def decrypt_bundle(verified: VerifiedBundle, recipient: Recipient) -> OpenedBundle:
    """Pass 2: unwrap, decrypt, decompress (bounded), parse, and re-check the pass-1 digest.

    Raises:
        BundleError: `wrong_recipient`, `payload_failure`, `decompress_limit`, `too_large`
            (events), `malformed` (manifest, end line, framing), or `bad_signature` when the file
            no longer matches what pass 1 verified.
        OSError: the file cannot be read.
    """
    header = verified.header
    end = PREFIX_LEN + len(verified.header_bytes) + header.payload_len
    with open(verified.path, "rb") as fh:
        prehash = hashlib.sha512()
        hashed = _HashingReader(fh, prehash, end)
        try:
            if hashed.read(PREFIX_LEN + len(verified.header_bytes)) != _prefix(verified.header_bytes):
                raise BadSignature("the header changed after it was verified")
            file_key = _unwrap(header, recipient)
            key = payload_key(file_key, header.nonce, verified.header_bytes)
            chunks = _decrypt_chunks(hashed, ChaCha20Poly1305(key), header.payload_len)
            plain = decompress_bounded(header.compression, chunks, plaintext_limit(header.payload_len))
            manifest, events = _parse_lines(plain, header)
            hashed.drain()
        except BundleError as err:
            hashed.drain()
            if prehash.digest() != verified.prehash:
                raise BadSignature("the file changed after it was verified") from err
            raise
    if prehash.digest() != verified.prehash:
        raise BadSignature("the file changed after it was verified")
    return OpenedBundle(header, manifest, events, verified.size, verified.sha256)


def open_bundle(path: Path, keyring: Keyring, recipient: Recipient, *, temp_dir: Path | None = None) -> OpenedBundle:
    """Copy a bundle (from a stick or a download) to a private temp file, verify it, decrypt it.

    Args:
        path: the bundle file; it is only read.
        keyring: trusted sender keys.
        recipient: this store's name and box keys.
        temp_dir: where the private copy goes (the app's own temp folder); the system's if None.
            The copy is removed before returning.

    Returns:
        The header, manifest and events. Replay and chain checks are the caller's (see
        `sync.replay`).

    Raises:
        BundleError: any error class of the bundle format (see `verify_bundle`, `decrypt_bundle`).
        OSError: the file cannot be read, or the temp folder cannot be written.
    """
    fd, tmp_name = tempfile.mkstemp(prefix="bundle-", suffix=".tmp", dir=temp_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as dst, open(path, "rb") as src:
            if os.fstat(src.fileno()).st_size > MAX_FILE:
                raise BundleTooLarge("file over the size limit")
            copied = _copy_bounded(src, dst)
        if copied > MAX_FILE:
            raise BundleTooLarge("file over the size limit")
        verified = verify_bundle(tmp, keyring, recipient)
        return decrypt_bundle(verified, recipient)
    finally:
        tmp.unlink(missing_ok=True)


def _copy_bounded(src: BinaryIO, dst: BinaryIO) -> int:
    copied = 0
    while copied <= MAX_FILE and (block := src.read(IO_BLOCK)):
        dst.write(block)
        copied += len(block)
    return copied


def _prefix(header_bytes: bytes) -> bytes:
    return MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes


def _read_header(fh: BinaryIO, size: int) -> tuple[BundleHeader, bytes]:
    prefix = fh.read(PREFIX_LEN)
    magic = prefix[: len(MAGIC)]
    if magic != MAGIC[: len(magic)]:
        raise MalformedBundle("not a bundle of format v1")
    if len(prefix) < PREFIX_LEN:
        raise TruncatedBundle("shorter than the fixed prefix")
    header_len = int.from_bytes(prefix[len(MAGIC) :], "big")
    if header_len > MAX_HEADER:
        raise BundleTooLarge(f"header of {header_len} bytes over {MAX_HEADER}")
    if header_len == 0:
        raise MalformedBundle("empty header")
    if size < PREFIX_LEN + header_len:
        raise TruncatedBundle("shorter than its header length")
    header_bytes = fh.read(header_len)
    if len(header_bytes) != header_len:
        raise TruncatedBundle("shorter than its header length")
    return parse_header(header_bytes), header_bytes


def _check_length(header: BundleHeader, header_len: int, size: int) -> int:
    """The offset of the trailer, after checking the file length and the chunk layout."""
    end = PREFIX_LEN + header_len + header.payload_len
    if size < end + TRAILER_LEN:
        raise TruncatedBundle("shorter than its header says")
    if size > end + TRAILER_LEN:
        raise MalformedBundle("bytes after the trailer")
    last = header.payload_len - (chunk_count(header.payload_len) - 1) * SEALED_CHUNK
    if last < TAG_LEN:
        raise MalformedBundle("last chunk shorter than its tag")
    return end


def _sender_key(header: BundleHeader, keyring: Keyring) -> Ed25519PublicKey:
    entry = keyring.get(header.sender_kid)
    if entry is None or entry.owner != header.sender:
        raise UnknownSender("sender key id not in the keyring")
    if entry.status is not KeyStatus.ACTIVE:
        raise RevokedSender("sender key revoked")
    return entry.public_key


def _check_recipient(header: BundleHeader, recipient: Recipient) -> None:
    if header.recipient != recipient.name:
        raise WrongRecipient("addressed to another store")
    if not any(recipient.key_for(s.kid) is not None for s in header.stanzas):
        raise WrongRecipient("no stanza for this store's keys")


def _unwrap(header: BundleHeader, recipient: Recipient) -> bytes:
    _check_recipient(header, recipient)
    failure: PayloadFailure | None = None
    for stanza in header.stanzas:
        key = recipient.key_for(stanza.kid)
        if key is None:
            continue
        try:
            return unwrap_file_key(stanza, key)
        except PayloadFailure as err:
            failure = err
    assert failure is not None  # _check_recipient found a stanza for one of our keys
    raise failure


def _decrypt_chunks(reader: _HashingReader, aead: ChaCha20Poly1305, payload_len: int) -> Iterator[bytes]:
    count = chunk_count(payload_len)
    for index in range(count):
        last = index == count - 1
        sealed = reader.read(SEALED_CHUNK if not last else payload_len - index * SEALED_CHUNK)
        try:
            plain = aead.decrypt(chunk_nonce(index, last), sealed, None)
        except InvalidTag:
            raise PayloadFailure(f"chunk {index} does not decrypt") from None
        if last and not plain and count > 1:
            raise PayloadFailure("empty last chunk after a full one")
        yield plain


def _parse_lines(plain: Iterator[bytes], header: BundleHeader) -> tuple[Manifest, list[dict[str, Any]]]:
    manifest: Manifest | None = None
    events: list[dict[str, Any]] = []
    pending: bytes | None = None  # the latest line: an event unless it turns out to be the last
    for line in _lines(plain):
        if manifest is None:
            manifest = parse_manifest(line, header)
            continue
        if pending is not None:
            if len(events) >= MAX_EVENTS:
                raise BundleTooLarge(f"more than {MAX_EVENTS} events")
            events.append(parse_event(pending))
        pending = line
    if manifest is None or pending is None:
        raise MalformedBundle("payload without manifest or end line")
    if parse_end(pending) != len(events) or manifest.events != len(events):
        raise MalformedBundle("event count differs from the manifest or end line")
    return manifest, events


def _lines(plain: Iterator[bytes]) -> Iterator[bytes]:
    """Split the plaintext into lines of at most 64 KiB; the last line must end with a newline."""
    buffer = b""
    for piece in plain:
        buffer += piece
        start = 0
        while (stop := buffer.find(b"\n", start)) >= 0:
            if stop - start > MAX_LINE:
                raise BundleTooLarge(f"a line over {MAX_LINE} bytes")
            yield buffer[start:stop]
            start = stop + 1
        buffer = buffer[start:]
        if len(buffer) > MAX_LINE:
            raise BundleTooLarge(f"a line over {MAX_LINE} bytes")
    if buffer:
        raise MalformedBundle("payload does not end with a newline")


def _blocks(fh: BinaryIO, length: int) -> Iterator[bytes]:
    left = length
    while left > 0:
        block = fh.read(min(IO_BLOCK, left))
        if not block:
            raise BadSignature("the file changed while it was read")
        left -= len(block)
        yield block


class _HashingReader:
    """Reads the first `limit` bytes of a file, hashing all of them, never past `limit`."""

    def __init__(self, fh: BinaryIO, digest: Any, limit: int) -> None:
        self._fh, self._digest, self._left = fh, digest, limit

    def read(self, size: int) -> bytes:
        data = self._fh.read(min(size, self._left))
        self._left -= len(data)
        self._digest.update(data)
        if len(data) != size:
            raise BadSignature("the file changed after it was verified")
        return data

    def drain(self) -> None:
        for block in _blocks(self._fh, self._left) if self._left > 0 else ():
            self._digest.update(block)
        self._left = 0
