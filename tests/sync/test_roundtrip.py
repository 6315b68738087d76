"""Bundles written by `write_bundle` open with `open_bundle` and give back what went in."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sync.errors import BundleError, ErrorClass
from sync.header import BundleKind, Compression
from sync.limits import CHUNK_SIZE, MAX_EVENTS
from sync.manifest import Ack, ChainRange, Manifest
from sync.reader import open_bundle, peek_header
from sync.writer import bundle_file_name, new_bundle_id, write_bundle
from tests.sync.fixed_keys import CITY, CITY_CURRENT, CITY_NEXT, STATION_A, city, keyring, signer
from tests.sync.make_vectors import make_events


def manifest(kind: BundleKind = BundleKind.EVENTS, seq: int = 1) -> Manifest:
    return Manifest(
        bundle_id=new_bundle_id(),
        kind=kind,
        sender=STATION_A,
        recipient=CITY,
        sender_seq=seq,
        store_epoch="3f9c",
        app_version="0.1.0",
        schema=1,
        keyring_version=5,
        chains=(ChainRange(STATION_A, STATION_A, 1, 9, "ab" * 32),),
        acks=(Ack(f"city:{CITY}", STATION_A, 3, "cd" * 32),),
    )


def write(tmp_path: Path, events: list[dict[str, object]], compression: Compression = Compression.ZSTD) -> Path:
    m = manifest()
    path = tmp_path / bundle_file_name(m)
    written = write_bundle(path, m, events, signer(STATION_A), [CITY_CURRENT.public_key()], compression=compression)
    assert written.path == path and written.size == path.stat().st_size
    assert written.manifest.events == len(events)
    return path


@pytest.mark.parametrize("count", [0, 1, 25])
@pytest.mark.parametrize("compression", list(Compression))
def test_round_trip(tmp_path: Path, count: int, compression: Compression) -> None:
    events = make_events(random.Random(count), count)
    path = write(tmp_path, events, compression=compression)
    opened = open_bundle(path, keyring(), city(), temp_dir=tmp_path)
    assert opened.events == events
    assert opened.header.compression is compression
    assert opened.manifest.chains[0].head == "ab" * 32 and opened.manifest.acks[0].through_seq == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "no temp or copy left behind"


@pytest.mark.parametrize("compression", [Compression.ZSTD, Compression.NONE])
def test_multi_chunk_bundle_of_several_mib(tmp_path: Path, compression: Compression) -> None:
    rng = random.Random(7)
    events = [{"n": i, "blob": rng.randbytes(1500).hex()} for i in range(1500)]  # ~4.5 MB, incompressible
    path = write(tmp_path, events, compression=compression)
    header = peek_header(path)
    assert header.payload_len > 30 * (CHUNK_SIZE + 16)  # > 2 MB even zstd-compressed
    assert open_bundle(path, keyring(), city()).events == events


def test_pre_encoded_event_lines_are_carried_verbatim(tmp_path: Path) -> None:
    lines = [b'{"a":1,"payload":{"t":"\xe5\xa4\x87"}}', b'{"b":2}']
    m = manifest()
    write_bundle(tmp_path / "x.msb", m, lines, signer(STATION_A), [CITY_CURRENT.public_key()])
    assert open_bundle(tmp_path / "x.msb", keyring(), city()).events == [{"a": 1, "payload": {"t": "备"}}, {"b": 2}]


def test_two_stanzas_open_with_either_city_key(tmp_path: Path) -> None:
    m = manifest(BundleKind.ACK)
    keys = [CITY_CURRENT.public_key(), CITY_NEXT.public_key()]
    write_bundle(tmp_path / "x.msb", m, [], signer(STATION_A), keys)
    for key in (CITY_CURRENT, CITY_NEXT):
        assert open_bundle(tmp_path / "x.msb", keyring(), city(key)).manifest.bundle_id == m.bundle_id


def test_highly_compressible_payload_is_stored_uncompressed(tmp_path: Path) -> None:
    events = [{"pad": "x" * 60_000} for _ in range(5)]  # zstd would beat the reader's 50:1 bound
    path = write(tmp_path, events)
    assert peek_header(path).compression is Compression.NONE
    assert open_bundle(path, keyring(), city()).events == events


def test_writer_refuses_what_the_reader_would(tmp_path: Path) -> None:
    key = [CITY_CURRENT.public_key()]
    with pytest.raises(ValueError, match="20000"):
        write_bundle(tmp_path / "x.msb", manifest(), [{}] * (MAX_EVENTS + 1), signer(STATION_A), key)
    with pytest.raises(ValueError, match="line over"):
        write_bundle(tmp_path / "x.msb", manifest(), [{"p": "x" * 70_000}], signer(STATION_A), key)
    with pytest.raises(ValueError, match="signer"):
        write_bundle(tmp_path / "x.msb", manifest(), [], signer(CITY), key)
    with pytest.raises(ValueError, match="recipient"):
        write_bundle(tmp_path / "x.msb", manifest(), [], signer(STATION_A), key * 5)
    assert list(tmp_path.iterdir()) == []


def test_a_bundle_for_another_store_is_refused_as_wrong_recipient(tmp_path: Path) -> None:
    path = write(tmp_path, [])
    other = city()
    with pytest.raises(BundleError) as err:
        open_bundle(path, keyring(), type(other)("232701100009", other.box_keys))
    assert err.value.error_class is ErrorClass.WRONG_RECIPIENT
    assert peek_header(path).recipient == CITY  # what a folder import uses to skip it


def test_a_missing_file_is_an_os_error_and_leaves_no_temp_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(FileNotFoundError):
        open_bundle(tmp_path / "absent.msb", keyring(), city(), temp_dir=work)
    assert list(work.iterdir()) == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_copied(tmp_path: Path) -> None:
    big = tmp_path / "big.msb"
    with open(big, "wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(BundleError) as err:
        open_bundle(big, keyring(), city(), temp_dir=work)
    assert err.value.error_class is ErrorClass.TOO_LARGE
    assert list(work.iterdir()) == []
