"""Key ids, identity fingerprints, the keyring, and the replay/rollback/fork decisions."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from sync.errors import ERROR_TYPES, BundleError, ErrorClass, ForkDetected, ReplayRefused
from sync.header import BundleKind
from sync.keys import KeyStatus, PublicIdentity, key_id
from sync.manifest import Manifest
from sync.replay import ReplayOutcome, SeenFromSender, check_replay
from tests.sync.fixed_keys import CITY, STATION_A, STATION_C, STATION_D, box_key, keyring, signing_key

DESIGN_CLASSES = {
    "malformed",
    "too_large",
    "truncated",
    "unknown_sender",
    "revoked_sender",
    "bad_signature",
    "wrong_recipient",
    "payload_failure",
    "decompress_limit",
    "replay",
    "fork",
}


def test_one_exception_class_per_error_class() -> None:
    assert {c.value for c in ErrorClass} == DESIGN_CLASSES and len(ErrorClass) == len(DESIGN_CLASSES)
    for error_class, cls in ERROR_TYPES.items():
        err = cls("detail")
        assert isinstance(err, BundleError) and err.error_class == error_class
        assert str(err) == f"{error_class}: detail"


def test_key_id_is_32_hex_digits_and_depends_on_the_key() -> None:
    a, b = signing_key("a").public_key(), signing_key("b").public_key()
    assert re.fullmatch(r"[0-9a-f]{32}", key_id(a))
    assert key_id(a) != key_id(b)
    assert key_id(box_key("a").public_key()) != key_id(a)


def test_fingerprint_covers_the_code_and_every_key_and_groups_for_the_phone() -> None:
    ident = PublicIdentity(
        STATION_A, signing_key("s").public_key(), box_key("b").public_key(), signing_key("t").public_key()
    )
    fp = ident.fingerprint()
    assert re.fullmatch(r"[0-9a-f]{64}", fp)
    groups = ident.fingerprint_groups().split(" ")
    assert len(groups) == 16 and all(len(g) == 4 for g in groups) and "".join(groups) == fp
    variants = [
        replace(ident, code=STATION_D),
        replace(ident, signing=signing_key("s2").public_key()),
        replace(ident, box=box_key("b2").public_key()),
        replace(ident, transport=None),
    ]
    assert len({fp, *(v.fingerprint() for v in variants)}) == 5


def test_keyring_lookup_and_status() -> None:
    ring = keyring()
    entry = ring.get(key_id(signing_key(STATION_C).public_key()))
    assert entry is not None and entry.owner == STATION_C and entry.status is KeyStatus.REVOKED
    assert ring.get(key_id(signing_key(STATION_D).public_key())) is None
    assert ring.version == 5


def manifest(**changes: object) -> Manifest:
    base = Manifest("8b0c6a52-7c39-4a55-9d64-0a3f5c1b2e11", BundleKind.EVENTS, STATION_A, CITY, 10, "e1", "0.1.0", 1, 5)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_replay_outcomes() -> None:
    m = manifest()
    assert check_replay(m, SeenFromSender(set())).outcome is ReplayOutcome.NEW
    assert check_replay(m, SeenFromSender(set(), high_seq=9)) == check_replay(m, SeenFromSender(set(), high_seq=9))
    assert check_replay(m, SeenFromSender(set(), high_seq=9)).missed == 0
    assert check_replay(m, SeenFromSender(set(), high_seq=6)).missed == 3
    assert check_replay(m, SeenFromSender(set(), high_seq=10)).outcome is ReplayOutcome.OLDER_BUNDLE
    assert check_replay(m, SeenFromSender({m.bundle_id}, high_seq=10)).outcome is ReplayOutcome.ALREADY_IMPORTED


def test_keyring_rollback_and_new_epoch_are_refused() -> None:
    ring = manifest(kind=BundleKind.KEYRING, keyring_version=5)
    with pytest.raises(ReplayRefused):
        check_replay(ring, SeenFromSender(set(), keyring_version=5))
    assert check_replay(replace(ring, keyring_version=6), SeenFromSender(set(), keyring_version=5)).outcome == "new"
    with pytest.raises(ForkDetected):
        check_replay(manifest(store_epoch="e2"), SeenFromSender(set(), store_epoch="e1"))
    # A bundle already imported stays "already imported", whatever changed since.
    seen = SeenFromSender({ring.bundle_id}, keyring_version=9, store_epoch="other")
    assert check_replay(ring, seen).outcome is ReplayOutcome.ALREADY_IMPORTED
