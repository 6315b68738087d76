"""Bundle format v1: fixed bytes and every limit, in one place (SYNC.md §2.1 and §2.5)."""

from __future__ import annotations

from typing import Final

MAGIC: Final = b"MSYNCB\x00\x01"  # the last byte is the format version
FORMAT_VERSION: Final = 1
PREFIX_LEN: Final = len(MAGIC) + 4  # magic + u32 header length
TRAILER_MAGIC: Final = b"SIG1"
SIGNATURE_LEN: Final = 64
TRAILER_LEN: Final = len(TRAILER_MAGIC) + SIGNATURE_LEN

SUITE: Final = "x25519-hkdf-sha256/chacha20poly1305-stream64k/ed25519-sha512"

CHUNK_SIZE: Final = 64 * 1024  # plaintext bytes per STREAM chunk
TAG_LEN: Final = 16
SEALED_CHUNK: Final = CHUNK_SIZE + TAG_LEN
FILE_KEY_LEN: Final = 32
NONCE_LEN: Final = 16
EPH_LEN: Final = 32
STANZA_BODY_LEN: Final = FILE_KEY_LEN + TAG_LEN

MAX_HEADER: Final = 16 * 1024
MAX_STANZAS: Final = 4
MAX_CIPHERTEXT: Final = 256 * 1024 * 1024
MAX_PLAINTEXT: Final = 1024 * 1024 * 1024
MAX_RATIO: Final = 50  # decompressed bytes per ciphertext byte
DECOMPRESS_PIECE: Final = 1024 * 1024
ZSTD_MAX_WINDOW: Final = 8 * 1024 * 1024
MAX_EVENTS: Final = 20_000
MAX_LINE: Final = 64 * 1024  # bytes per JSON line, newline excluded
MAX_SEQ: Final = 2**53 - 1  # the largest integer every JSON reader keeps exact
IO_BLOCK: Final = 1024 * 1024


def plaintext_limit(ciphertext_len: int) -> int:
    """The most bytes a payload of `ciphertext_len` bytes may decompress to."""
    return min(MAX_PLAINTEXT, MAX_RATIO * ciphertext_len)


def chunk_count(ciphertext_len: int) -> int:
    """How many STREAM chunks a ciphertext of this length holds (at least one)."""
    return max(1, -(-ciphertext_len // SEALED_CHUNK))


def ciphertext_len(compressed_len: int) -> int:
    """Ciphertext bytes for `compressed_len` payload bytes: one tag per chunk, >= 1 chunk."""
    return compressed_len + TAG_LEN * max(1, -(-compressed_len // CHUNK_SIZE))
