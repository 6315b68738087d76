"""Replay and rollback checks an importer runs on an opened bundle (SYNC.md §2.6).

The store persists what it has seen (`received_bundles`, per-sender high-water marks, the
keyring version, the sender's store epoch) and passes it in as a `SeenFromSender`; this module
only decides. A replayed bundle is harmless (import is idempotent) and reported, not refused; a
keyring that would go back is refused (`replay`); a new store epoch for a known sender is a fork.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from enum import StrEnum

from sync.errors import ForkDetected, ReplayRefused
from sync.header import BundleKind
from sync.manifest import Manifest


class ReplayOutcome(StrEnum):
    """How a bundle relates to what was already received from its sender."""

    NEW = "new"  # the next bundle, or a later one (`missed` tells how many sequence numbers were skipped)
    ALREADY_IMPORTED = "already_imported"  # this bundle id was imported before: change nothing
    OLDER_BUNDLE = "older_bundle"  # unknown id at or below the high-water mark: import, idempotently


@dataclass(frozen=True)
class SeenFromSender:
    """What the importer already holds about one sender (for this recipient).

    Attributes:
        bundle_ids: ids of bundles already imported from this sender (a set, or a DB-backed view).
        high_seq: the highest `sender_seq` imported from this sender, None if none yet.
        keyring_version: the version of the keyring this store holds.
        store_epoch: the sender's store epoch seen so far, None if none yet.
    """

    bundle_ids: Container[str]
    high_seq: int | None = None
    keyring_version: int = 0
    store_epoch: str | None = None


@dataclass(frozen=True)
class ReplayVerdict:
    """The outcome, and for a NEW bundle how many sender sequence numbers lie unseen before it."""

    outcome: ReplayOutcome
    missed: int = 0


def check_replay(manifest: Manifest, seen: SeenFromSender) -> ReplayVerdict:
    """Classify an opened bundle against what was seen from its sender.

    Args:
        manifest: the opened bundle's manifest (its routing fields equal the verified header's).
        seen: what this store holds about the sender.

    Returns:
        ALREADY_IMPORTED for a known bundle id (checked first: re-importing changes nothing),
        OLDER_BUNDLE for an unknown id with `sender_seq` <= the high-water mark (a late stick),
        else NEW with `missed` = sequence numbers skipped since the high-water mark.

    Raises:
        ReplayRefused: a `keyring` or `provision` bundle whose `keyring_version` is not greater
            than the one held (a rollback of keys).
        ForkDetected: the sender's `store_epoch` differs from the one seen before (a restore or
            re-initialisation that needs reconciliation).
    """
    if manifest.bundle_id in seen.bundle_ids:
        return ReplayVerdict(ReplayOutcome.ALREADY_IMPORTED)
    if manifest.kind in (BundleKind.KEYRING, BundleKind.PROVISION) and (
        manifest.keyring_version <= seen.keyring_version
    ):
        raise ReplayRefused("keyring version not newer than the one held")
    if seen.store_epoch is not None and manifest.store_epoch != seen.store_epoch:
        raise ForkDetected("the sender's store epoch changed")
    if seen.high_seq is not None and manifest.sender_seq <= seen.high_seq:
        return ReplayVerdict(ReplayOutcome.OLDER_BUNDLE)
    if seen.high_seq is None:
        return ReplayVerdict(ReplayOutcome.NEW)
    return ReplayVerdict(ReplayOutcome.NEW, manifest.sender_seq - seen.high_seq - 1)
