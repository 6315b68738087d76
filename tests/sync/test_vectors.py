"""The labelled vectors of SYNC.md §2.8: each file is refused with its class, or opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.errors import BundleError, ErrorClass
from sync.reader import decrypt_bundle, open_bundle, verify_bundle
from sync.replay import ReplayOutcome, SeenFromSender, check_replay
from tests.sync.fixed_keys import CITY_CURRENT, CITY_NEXT, city, keyring
from tests.sync.make_vectors import VECTORS, read_vector, vectors

FILES = sorted(VECTORS.glob("*.vec"))
KEYS = {"current": CITY_CURRENT, "next": CITY_NEXT}


def test_committed_vectors_are_what_the_script_makes() -> None:
    built = vectors()
    assert sorted(p.stem for p in FILES) == sorted(built)
    for path in FILES:
        labels, data = read_vector(path)
        assert (labels, data) == built[path.stem], path.name


def test_every_error_class_of_the_format_has_a_vector() -> None:
    expected = {read_vector(p)[0]["expect"] for p in FILES}
    assert {c.value for c in ErrorClass} <= expected
    assert {"success", "already_imported"} <= expected


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_vector(path: Path, tmp_path: Path) -> None:
    labels, data = read_vector(path)
    bundle = tmp_path / "in.msb"
    bundle.write_bytes(data)
    expect = labels["expect"]
    if "mutate_after_verify" in labels:
        verified = verify_bundle(bundle, keyring(), city())
        offset = int(labels["mutate_after_verify"])
        changed = bytearray(data)
        changed[offset] ^= 0x01
        bundle.write_bytes(bytes(changed))
        with pytest.raises(BundleError) as err:
            decrypt_bundle(verified, city())
        assert err.value.error_class == expect
        return
    if expect in {"success", "already_imported", "replay", "fork"}:
        for name in labels.get("open_with", "current").split():
            opened = open_bundle(bundle, keyring(), city(KEYS[name]), temp_dir=tmp_path)
            assert opened.manifest.events == len(opened.events)
            assert opened.header.bundle_id == opened.manifest.bundle_id
        seen = SeenFromSender(
            bundle_ids={opened.manifest.bundle_id} if labels.get("seen_bundle") == "yes" else set(),
            high_seq=7,
            keyring_version=int(labels.get("held_keyring_version", "0")),
            store_epoch=labels.get("seen_epoch"),
        )
        if expect in {"replay", "fork"}:
            with pytest.raises(BundleError) as err:
                check_replay(opened.manifest, seen)
            assert err.value.error_class == expect
        elif expect == "already_imported":
            assert check_replay(opened.manifest, seen).outcome is ReplayOutcome.ALREADY_IMPORTED
        return
    with pytest.raises(BundleError) as err:
        open_bundle(bundle, keyring(), city(), temp_dir=tmp_path)
    assert err.value.error_class == expect, err.value
    assert list(tmp_path.iterdir()) == [bundle], "the private copy is removed"
