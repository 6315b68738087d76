"""Compression for the payload, and decompression bounded *while* it runs (SYNC.md §2.5).

`zstandard`'s `decompressobj().decompress()` has no output bound, so zstd is read through the
pull-based `stream_reader` in pieces of at most 1 MiB, with an 8 MiB window cap; zlib uses
`decompress(data, max_length)` and `unconsumed_tail`. Either way the running total is checked
after every piece, so a bomb costs at most one piece over the limit.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import IO, Protocol, cast

import zstandard

from sync.errors import DecompressLimit, PayloadFailure
from sync.header import Compression
from sync.limits import DECOMPRESS_PIECE, ZSTD_MAX_WINDOW

ZSTD_LEVEL = 3
ZLIB_LEVEL = 1


class Compressor(Protocol):
    """Streaming compressor: feed with `compress`, finish with `flush`."""

    def compress(self, data: bytes, /) -> bytes:
        """Compressed output for `data` so far (possibly empty: the compressor may hold it)."""
        ...

    def flush(self) -> bytes:
        """The rest of the compressed output; the stream is complete after it."""
        ...


class _Identity:
    def compress(self, data: bytes, /) -> bytes:
        return data

    def flush(self) -> bytes:
        return b""


class _Zstd:
    def __init__(self) -> None:
        self._obj = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj()

    def compress(self, data: bytes, /) -> bytes:
        return self._obj.compress(data)

    def flush(self) -> bytes:
        return self._obj.flush()


def compressor(kind: Compression) -> Compressor:
    """A fresh streaming compressor for `kind` (zstd level 3, zlib level 1, or none)."""
    if kind is Compression.ZSTD:
        return _Zstd()
    if kind is Compression.ZLIB:
        return zlib.compressobj(ZLIB_LEVEL)
    return _Identity()


def decompress_bounded(kind: Compression, pieces: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """Decompress a stream of compressed pieces, yielding output in pieces of at most 1 MiB.

    Raises:
        DecompressLimit: the output would exceed `limit` bytes.
        PayloadFailure: the compressed stream is corrupt, incomplete or has data after its end.
    """
    if kind is Compression.ZSTD:
        source: Iterator[bytes] = _zstd(pieces)
    elif kind is Compression.ZLIB:
        source = _zlib(pieces)
    else:
        source = iter(pieces)
    total = 0
    for out in source:
        total += len(out)
        if total > limit:
            raise DecompressLimit(f"output over {limit} bytes")
        if out:
            yield out


class _PieceReader:
    """A `read(n)` view of an iterator of byte strings (the source `stream_reader` pulls from)."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces = iter(pieces)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while not self._buffer:
            piece = next(self._pieces, None)
            if piece is None:
                return b""
            self._buffer = piece
        if size < 0 or size >= len(self._buffer):
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _zstd(pieces: Iterable[bytes]) -> Iterator[bytes]:
    dctx = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
    source = cast(IO[bytes], _PieceReader(pieces))  # it has the one method stream_reader calls
    reader = dctx.stream_reader(source, read_size=64 * 1024, read_across_frames=True)
    try:
        while True:
            out = reader.read(DECOMPRESS_PIECE)
            if not out:
                return
            yield out
    except zstandard.ZstdError:
        raise PayloadFailure("zstd stream is corrupt") from None


def _zlib(pieces: Iterable[bytes]) -> Iterator[bytes]:
    obj = zlib.decompressobj()
    try:
        for piece in pieces:
            if obj.eof and piece:
                raise PayloadFailure("data after the end of the zlib stream")
            data = piece
            while True:
                out = obj.decompress(data, DECOMPRESS_PIECE)
                data = obj.unconsumed_tail
                if out:
                    yield out
                if obj.eof or (not out and not data):
                    break
            if obj.unused_data or data:
                raise PayloadFailure("data after the end of the zlib stream")
        # The loop above drains zlib's pending output, so this is empty unless the stream is bad.
        rest = obj.flush()
        if rest:
            yield rest
    except zlib.error:
        raise PayloadFailure("zlib stream is corrupt") from None
    if not obj.eof:
        raise PayloadFailure("zlib stream is incomplete")
