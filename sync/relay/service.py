"""What the relay does, without HTTP: authenticate, create, append, publish, list, deliver, expire.

Every refusal is a `Refusal` carrying the HTTP status and a short error code (never content from
a bundle). The service holds the keyring in force and re-reads the database for a newer one now
and then, so several workers on one PostgreSQL agree within seconds of an update.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import Engine

from sync.errors import BundleError, TruncatedBundle
from sync.header import PEER_RE, BundleHeader
from sync.keyring_doc import KeyEntry, KeyringDocument, KeyRole, check_update, load_keyring
from sync.keys import KeyStatus
from sync.reader import peek_header, verify_bundle
from sync.relay.auth import AuthFormatError, SignedAuth, check_digest, parse_authorization, verify_request
from sync.relay.blobs import BlobStore
from sync.relay.ratelimit import TokenBuckets
from sync.relay.settings import RelaySettings
from sync.relay.store import BundleRow, RelayStore, UploadRow

log = logging.getLogger(__name__)
SHA256_RE = re.compile(r"[0-9a-f]{64}")
KEYRING_RECHECK_S = 5.0


@dataclass
class Refusal(Exception):
    """A request refused: HTTP `status`, an `error` code, extra JSON fields and response headers."""

    status: int
    error: str
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UploadState:
    """Where an upload stands: `state` created | uploading | stored | delivered | expired, and the offset."""

    state: str
    offset: int
    length: int


class RelayService:
    """The relay's behaviour over a metadata store, a blob folder and the keyring in force."""

    def __init__(self, engine: Engine, blobs: BlobStore, keyring: KeyringDocument, settings: RelaySettings) -> None:
        self.store = RelayStore(engine)
        self.blobs = blobs
        self.settings = settings
        self.buckets = TokenBuckets(settings.rate_per_min, settings.rate_burst)
        self._lock = threading.Lock()
        self._keyring = keyring
        self._keyring_checked = 0.0
        self._start_keyring(keyring)

    # -- keyring ---------------------------------------------------------------------------
    def _start_keyring(self, given: KeyringDocument) -> None:
        """Use the newer of the given keyring and the newest stored one: never roll back."""
        stored = self.store.newest_keyring()
        if stored is not None and stored[0] > given.version:
            self._keyring = load_keyring(stored[1], given.root)
        else:
            self.store.install_keyring(given.version, given.raw, self.settings.now())
        self._keyring_checked = time.monotonic()

    @property
    def keyring(self) -> KeyringDocument:
        """The keyring in force (a newer one installed by another worker is picked up within 5 s)."""
        if time.monotonic() - self._keyring_checked > KEYRING_RECHECK_S:
            self._keyring_checked = time.monotonic()
            if self.store.newest_keyring_version() > self._keyring.version:
                stored = self.store.newest_keyring()
                if stored is not None:
                    with self._lock:
                        self._keyring = load_keyring(stored[1], self._keyring.root)
        return self._keyring

    def update_keyring(self, raw: bytes) -> KeyringDocument:
        """Install a newer keyring signed by the root key of the one in force.

        Raises:
            Refusal: 422 `keyring_invalid` (malformed, another root, bad signature), 409
                `keyring_not_newer` (same or older version).
        """
        with self._lock:
            held = self.keyring
            try:
                new = check_update(held, raw)
            except BundleError as err:
                if err.error_class == "replay":
                    raise Refusal(409, "keyring_not_newer", {"version": held.version}) from None
                raise Refusal(422, "keyring_invalid") from None
            if not self.store.install_keyring(new.version, new.raw, self.settings.now()):
                raise Refusal(409, "keyring_not_newer", {"version": held.version})
            self._keyring = new
        log.info("keyring version %d installed", new.version)
        return new

    # -- authentication --------------------------------------------------------------------
    def pre_authenticate(self, authorization: str | None) -> tuple[SignedAuth, KeyEntry]:
        """The checks that need no body: the header's form, the key, its status, the clock.

        Raises:
            Refusal: 401 `unsigned`, 401 `unknown_key`, 403 `revoked_key`, 401 `clock_skew`
                (with `server_time` in Unix seconds and a `Date` header).
        """
        try:
            auth = parse_authorization(authorization)
        except AuthFormatError:
            raise Refusal(401, "unsigned") from None
        entry = self.keyring.find(auth.keyid, KeyRole.TRANSPORT)
        if entry is None:
            raise Refusal(401, "unknown_key")
        if entry.status is not KeyStatus.ACTIVE:
            raise Refusal(403, "revoked_key")
        now = self.settings.now()
        if abs(auth.created - now) > self.settings.max_skew_s:
            raise Refusal(401, "clock_skew", {"server_time": now})
        return auth, entry

    def authenticate(
        self,
        auth: SignedAuth,
        entry: KeyEntry,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
    ) -> str:
        """Finish authenticating a request; returns the sender's code (the key's owner).

        Raises:
            Refusal: 401 `bad_digest`, 401 `bad_signature`, 429 `rate_limited` (with
                `Retry-After`), 401 `replayed_request`.
        """
        digest = headers.get("content-digest")
        if digest is None or not check_digest(digest, body):
            raise Refusal(401, "bad_digest")
        range_, offset = headers.get("range", ""), headers.get("upload-offset", "")
        if not verify_request(entry.ed25519(), auth, method, target, range_, offset, digest):
            raise Refusal(401, "bad_signature")
        wait = self.buckets.take(auth.keyid)
        if wait > 0:
            raise Refusal(429, "rate_limited", {"retry_after": round(wait, 1)}, {"Retry-After": str(int(wait) + 1)})
        if not self.store.remember_nonce(auth.keyid, auth.nonce, self.settings.now() + self.settings.nonce_ttl_s):
            raise Refusal(401, "replayed_request")
        return entry.owner

    # -- uploads ---------------------------------------------------------------------------
    def create_upload(self, sender: str, bundle_id: str, recipient: str, length: int, sha256: str) -> UploadState:
        """Start an upload, or answer where an earlier one with the same bundle id stands.

        Returns:
            state `created` (new, offset 0), `uploading` (resume from `offset`), or `stored` /
            `delivered` / `expired` (the bundle already reached the relay: nothing to send).

        Raises:
            Refusal: 400 `bad_request`, 413 `too_large`, 422 `unknown_recipient`, 409
                `bundle_id_conflict` (the id is taken by other bytes or another sender), 507
                `quota_exceeded` (with `which`: sender | mailbox).
        """
        _check_create(bundle_id, recipient, length, sha256)
        if length > self.settings.max_bundle:
            raise Refusal(413, "too_large", {"limit": self.settings.max_bundle})
        for _ in range(3):  # a concurrent create of the same id: look again
            known = self._known(sender, bundle_id, recipient, length, sha256)
            if known is not None:
                return known
            if recipient not in self.keyring.owners:
                raise Refusal(422, "unknown_recipient")
            sender_pending, waiting = self.store.usage(sender, recipient)
            if sender_pending + length > self.settings.sender_pending_quota:
                raise Refusal(507, "quota_exceeded", {"which": "sender"})
            if waiting + length > self.settings.mailbox_quota:
                raise Refusal(507, "quota_exceeded", {"which": "mailbox"})
            now = self.settings.now()
            row = UploadRow(bundle_id, sender, recipient, length, sha256, 0, False, now + self.settings.upload_ttl_s)
            self.blobs.discard_part(bundle_id)
            if self.store.create_upload(row, now):
                return UploadState("created", 0, length)
        raise Refusal(409, "bundle_id_conflict")

    def _known(self, sender: str, bundle_id: str, recipient: str, length: int, sha256: str) -> UploadState | None:
        same = (sender, recipient, length, sha256)
        done = self.store.bundle(bundle_id)
        if done is not None:
            if (done.sender, done.recipient, done.size, done.sha256) != same:
                raise Refusal(409, "bundle_id_conflict")
            return UploadState(done.state, done.size, done.size)
        pending = self.store.upload(bundle_id)
        if pending is not None:
            if (pending.sender, pending.recipient, pending.length, pending.sha256) != same:
                raise Refusal(409, "bundle_id_conflict")
            return UploadState("uploading", pending.offset, pending.length)
        return None

    def upload_state(self, sender: str, bundle_id: str) -> UploadState:
        """HEAD: the server's offset of an upload (a finished one reports its full length).

        Raises:
            Refusal: 404 `not_found` (unknown, or another sender's).
        """
        pending = self.store.upload(bundle_id)
        if pending is not None and pending.sender == sender:
            return UploadState("uploading", pending.offset, pending.length)
        done = self.store.bundle(bundle_id)
        if done is not None and done.sender == sender:
            return UploadState(done.state, done.size, done.size)
        raise Refusal(404, "not_found")

    def append(self, sender: str, bundle_id: str, offset: int, data: bytes) -> UploadState:
        """PATCH: write `data` at `offset`; when the upload is complete, check and publish it.

        Raises:
            Refusal: 404 `not_found`; 409 `offset_mismatch` (with the server's `offset` and an
                `Upload-Offset` header); 400 `beyond_length`; 460 `checksum_mismatch` (the upload
                starts again from 0); 422 `bundle_refused` with `class` (the bundle format's error
                class: the upload is dropped).
        """
        pending = self.store.upload(bundle_id)
        if pending is None or pending.sender != sender:
            done = self.store.bundle(bundle_id)
            if done is not None and done.sender == sender and not data:
                return UploadState(done.state, done.size, done.size)
            raise Refusal(404, "not_found")
        with self.blobs.locked_part(bundle_id) as fd:
            pending = self.store.upload(bundle_id)  # another worker may have moved it meanwhile
            if pending is None:
                raise Refusal(404, "not_found")
            if offset != pending.offset:
                raise _mismatch(pending.offset)
            if offset + len(data) > pending.length:
                raise Refusal(400, "beyond_length")
            if data:
                self.blobs.write_at(fd, offset, data)
            new = offset + len(data)
            if new == pending.length:
                # The last chunk publishes straight away: one durable commit instead of two. A
                # crash before the publish leaves the old offset, and the client resends this chunk.
                return self._complete(pending, fd, offset)
            checked = pending.header_checked or self._check_header_early(pending, new)
            if not self.store.move_offset(bundle_id, offset, new, checked):
                raise _mismatch(self._offset_now(bundle_id))
            return UploadState("uploading", new, pending.length)

    def _offset_now(self, bundle_id: str) -> int:
        row = self.store.upload(bundle_id)
        return row.offset if row is not None else 0

    def _check_header_early(self, pending: UploadRow, size: int) -> bool:
        """Refuse a bundle from an unknown or revoked sender as soon as its header has arrived."""
        try:
            header = peek_header(self.blobs.part_path(pending.bundle_id))
        except TruncatedBundle:
            return False  # not all of the header yet
        except BundleError as err:
            self._refuse_upload(pending, err.error_class.value)
        self._check_routing(pending, header)
        return True

    def _check_routing(self, pending: UploadRow, header: BundleHeader) -> None:
        if header.bundle_id != pending.bundle_id or header.recipient != pending.recipient:
            self._refuse_upload(pending, "malformed")
        if header.sender != pending.sender:
            self._refuse_upload(pending, "unknown_sender")
        signing = self.keyring.find(header.sender_kid, KeyRole.SIGNING)
        if signing is None or signing.owner != header.sender:
            self._refuse_upload(pending, "unknown_sender")
        if signing.status is not KeyStatus.ACTIVE:
            self._refuse_upload(pending, "revoked_sender")

    def _complete(self, pending: UploadRow, fd: int, offset: int) -> UploadState:
        if self.blobs.sha256_of_part(pending.bundle_id) != pending.sha256:
            self.blobs.write_at(fd, 0, b"")
            self.store.move_offset(pending.bundle_id, offset, 0, False)
            raise Refusal(460, "checksum_mismatch", {"offset": 0}, {"Upload-Offset": "0"})
        path = self.blobs.part_path(pending.bundle_id)
        try:
            verified = verify_bundle(path, self.keyring.bundle_keyring(), None)
        except BundleError as err:
            self._refuse_upload(pending, err.error_class.value)
        self._check_routing(pending, verified.header)
        self.blobs.publish(pending.bundle_id, pending.sha256)
        now = self.settings.now()
        self.store.publish(pending, verified.header.kind.value, now, now + self.settings.bundle_ttl_s)
        log.info("bundle stored for a mailbox (%d bytes)", pending.length)
        return UploadState("stored", pending.length, pending.length)

    def _refuse_upload(self, pending: UploadRow, error_class: str) -> NoReturn:
        self.store.drop_upload(pending.bundle_id)
        self.blobs.discard_part(pending.bundle_id)
        log.info("upload refused: %s", error_class)
        raise Refusal(422, "bundle_refused", {"class": error_class})

    # -- mailbox ---------------------------------------------------------------------------
    def mailbox(self, recipient: str) -> list[BundleRow]:
        """The bundles waiting for `recipient`, oldest first."""
        return self.store.mailbox(recipient, self.settings.now(), self.settings.list_limit)

    def bundle_file(self, recipient: str, bundle_id: str) -> tuple[BundleRow, Path]:
        """A waiting bundle of `recipient` and its file.

        Raises:
            Refusal: 404 `not_found` (unknown, another recipient's, delivered or expired).
        """
        row = self.store.bundle(bundle_id)
        if row is None or row.recipient != recipient or row.state != "stored" or row.expires_at <= self.settings.now():
            raise Refusal(404, "not_found")
        return row, self.blobs.blob_path(row.sha256)

    def deliver(self, recipient: str, bundle_id: str) -> str:
        """DELETE after delivery: the bytes go, a tombstone stays; returns `delivered` (idempotent).

        Raises:
            Refusal: 404 `not_found` (unknown, another recipient's, or expired).
        """
        row = self.store.bundle(bundle_id)
        if row is None or row.recipient != recipient or row.state == "expired":
            raise Refusal(404, "not_found")
        if self.store.mark_delivered(bundle_id):
            self.blobs.delete_blob(row.sha256)
        return "delivered"

    def sweep(self) -> None:
        """Expire unfetched bundles and unfinished uploads; forget old tombstones and nonces."""
        result = self.store.sweep(self.settings.now(), self.settings.tombstone_ttl_s)
        for sha256 in result.blobs:
            self.blobs.delete_blob(sha256)
        for bundle_id in result.parts:
            self.blobs.discard_part(bundle_id)
        if result.expired or result.dropped_uploads:
            log.info("sweep: %d bundles expired, %d uploads dropped", result.expired, result.dropped_uploads)


def _mismatch(offset: int) -> Refusal:
    return Refusal(409, "offset_mismatch", {"offset": offset}, {"Upload-Offset": str(offset)})


def _check_create(bundle_id: str, recipient: str, length: int, sha256: str) -> None:
    try:
        canonical = str(uuid.UUID(bundle_id))
    except (ValueError, AttributeError, TypeError):
        canonical = ""
    if canonical != bundle_id or not PEER_RE.fullmatch(recipient) or not SHA256_RE.fullmatch(sha256):
        raise Refusal(400, "bad_request")
    if length < 1:
        raise Refusal(400, "bad_request")
