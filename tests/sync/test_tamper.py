"""Every single-byte change and every truncation of a small bundle is refused with a bundle error.

By default every byte is changed once (with one of eight single-bit masks, chosen per offset);
with STATION_FULL_TESTS=1 every byte gets every single-bit flip and an all-bits flip.
"""

from __future__ import annotations

from pathlib import Path

from sync.errors import BundleError, ErrorClass
from sync.reader import open_bundle
from tests.conftest import FULL_TESTS
from tests.sync.fixed_keys import city, keyring
from tests.sync.make_vectors import VECTORS, read_vector


def small_bundle() -> bytes:
    return read_vector(VECTORS / "good.vec")[1]


KEYRING, CITY = keyring(), city()


def refusal(data: bytes, folder: Path) -> ErrorClass | None:
    path = folder / "t.msb"
    path.write_bytes(data)
    try:
        open_bundle(path, KEYRING, CITY, temp_dir=folder)
    except BundleError as err:
        return err.error_class
    return None


def masks(offset: int) -> list[int]:
    if FULL_TESTS:
        return [1 << bit for bit in range(8)] + [0xFF]
    return [1 << (offset * 5 % 8)]


def test_the_untouched_bundle_opens(tmp_path: Path) -> None:
    assert refusal(small_bundle(), tmp_path) is None


def test_every_byte_change_is_refused(tmp_path: Path) -> None:
    data = small_bundle()
    accepted, classes = [], set()
    for offset in range(len(data)):
        for mask in masks(offset):
            changed = bytearray(data)
            changed[offset] ^= mask
            result = refusal(bytes(changed), tmp_path)
            if result is None:
                accepted.append((offset, mask))
            classes.add(result)
    assert accepted == []
    # The signature is what catches most changes; the cheap checks catch the rest first.
    assert {ErrorClass.MALFORMED, ErrorClass.BAD_SIGNATURE} <= classes


def test_every_truncation_is_refused(tmp_path: Path) -> None:
    data = small_bundle()
    results = {length: refusal(data[:length], tmp_path) for length in range(len(data))}
    assert None not in results.values()
    # Past the magic, a shorter file is `truncated` (the header states the length).
    assert {results[n] for n in range(8, len(data))} == {ErrorClass.TRUNCATED}
    assert refusal(data + b"\x00", tmp_path) is ErrorClass.MALFORMED
