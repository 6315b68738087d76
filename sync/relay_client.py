"""The relay's client (httpx): signed requests, resumable upload, Range download, ack-delete.

Built for bad lines. Every request is signed with the store's transport key (`sync.relay.auth`)
and retried with exponential backoff on a dropped connection, a timeout, 429 or a 5xx; each try
is signed afresh (new nonce, new time). A refusal for clock skew carries the server's time: the
client keeps the difference and signs with the corrected time from then on (station PC clocks
drift). An upload asks the server where it stands before sending, so it resumes from the
server's offset after a dropped connection or a restart; a download resumes from the bytes
already on disk with `Range` and is checked against the SHA-256 before it is renamed into place.

Nothing here touches the store: what counts as sent or received is the caller's decision.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.reader import peek_header
from sync.relay.auth import sign_request

CHUNK = 1024 * 1024
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class RelayError(Exception):
    """The relay refused a request: HTTP `status`, its `error` code and any extra fields."""

    def __init__(self, status: int, error: str, fields: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"relay refused ({status} {error})")
        self.status, self.error, self.fields = status, error, dict(fields or {})


class RelayUnreachable(Exception):
    """The relay could not be reached after every retry (the line is down, or the relay is)."""


@dataclass(frozen=True)
class UploadResult:
    """A finished upload: the bundle id, the relay's state, the size in bytes and the SHA-256 (hex).

    The state is `stored`, or `delivered` / `expired` when an earlier try already got it there.
    """

    bundle_id: str
    state: str
    size: int
    sha256: str


@dataclass(frozen=True)
class MailboxEntry:
    """A bundle waiting in this store's mailbox. `stored_at` is Unix seconds."""

    bundle_id: str
    sender: str
    kind: str
    size: int
    sha256: str
    stored_at: int


@dataclass(frozen=True)
class Backoff:
    """Retry policy: `attempts` tries in all, waits of `base_s` x 2^n (at most `max_s`) with jitter."""

    attempts: int = 6
    base_s: float = 0.5
    max_s: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before try `attempt` + 1 (jittered between half and the full delay)."""
        full = min(self.max_s, self.base_s * 2.0**attempt)
        return full / 2 + random.random() * full / 2


class RelayClient:
    """A signed-request client for one relay and one transport key.

    Args:
        base_url: the relay, e.g. "https://relay.example:443".
        transport_key: this store's Ed25519 transport key.
        backoff: the retry policy.
        timeout_s: per request (connect, read and write).
        clock: Unix seconds now (tests pass a wrong one).
        sleep: how to wait between tries.
        chunk_size: bytes per PATCH (at most the relay's 1 MiB).

    Attributes:
        clock_offset_s: seconds added to `clock` when signing, learned from a clock-skew refusal.
    """

    def __init__(
        self,
        base_url: str,
        transport_key: Ed25519PrivateKey,
        *,
        backoff: Backoff | None = None,
        timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        chunk_size: int = CHUNK,
    ) -> None:
        self._key = transport_key
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self._backoff = backoff or Backoff()
        self._clock, self._sleep = clock, sleep
        self.chunk_size = chunk_size
        self.clock_offset_s = 0

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> RelayClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------------
    def request(
        self, method: str, path: str, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """One signed request with retries; returns the response once it is not a retryable failure.

        Args:
            method: HTTP method.
            path: the path with its query, e.g. "/v1/mailbox".
            body: the request body.
            headers: extra headers (`Range` and `Upload-Offset` are signed).

        Raises:
            RelayUnreachable: no answer after every try (connection errors, timeouts, 429 or 5xx).
        """
        skew_fixed = False
        attempt = 0
        while True:
            try:
                response = self._send(method, path, body, headers or {})
            except httpx.TransportError as err:
                if attempt + 1 >= self._backoff.attempts:
                    raise RelayUnreachable(f"relay unreachable: {type(err).__name__}") from None
            else:
                if response.status_code == 401 and _error(response) == "clock_skew" and not skew_fixed:
                    self._learn_time(response)
                    skew_fixed = True
                    continue
                if response.status_code not in RETRY_STATUS or attempt + 1 >= self._backoff.attempts:
                    return response
                retry_after = response.headers.get("retry-after", "")
                if retry_after.isdigit():
                    self._sleep(min(float(retry_after), self._backoff.max_s))
                    attempt += 1
                    continue
            self._sleep(self._backoff.delay(attempt))
            attempt += 1

    def _send(self, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
        created = int(self._clock()) + self.clock_offset_s
        signed = sign_request(self._key, method, path, body, headers, created)
        all_headers = {**headers, **signed}
        if body or method in ("POST", "PUT", "PATCH"):
            all_headers["Content-Length"] = str(len(body))
        return self._http.request(method, path, content=body, headers=all_headers)

    def _learn_time(self, response: httpx.Response) -> None:
        server_time = response.json().get("server_time")
        if isinstance(server_time, int):
            self.clock_offset_s = server_time - int(self._clock())

    def _checked(self, response: httpx.Response, *ok: int) -> httpx.Response:
        if response.status_code not in ok:
            try:
                doc = response.json()
            except ValueError:
                doc = {}
            fields = {k: v for k, v in doc.items() if k != "error"} if isinstance(doc, dict) else {}
            error = doc.get("error", "") if isinstance(doc, dict) else ""
            raise RelayError(response.status_code, str(error or response.reason_phrase), fields)
        return response

    # -- upload ----------------------------------------------------------------------------
    def upload(self, path: Path, progress: Callable[[int, int], None] | None = None) -> UploadResult:
        """Upload a bundle file to the mailbox its header names, resuming wherever the relay stands.

        Args:
            path: a bundle written by `sync.writer.write_bundle`.
            progress: called with (bytes the relay holds, total bytes) after each chunk.

        Returns:
            The bundle id, the relay's state and the size and SHA-256 of the file.

        Raises:
            RelayError: refused (`status`, `error`; `fields["class"]` names the bundle error class
                when the relay refused the bundle itself, e.g. unknown_sender).
            RelayUnreachable: the relay cannot be reached.
            sync.errors.BundleError: the file is not a bundle.
            OSError: the file cannot be read.
        """
        header = peek_header(path)
        size, sha256 = _size_and_sha256(path)
        create = {"bundle_id": header.bundle_id, "recipient": header.recipient, "length": size, "sha256": sha256}
        body = json.dumps(create, separators=(",", ":")).encode("utf-8")
        doc = self._checked(self.request("POST", "/v1/uploads", body), 200, 201).json()
        state, offset = doc["state"], int(doc["offset"])
        resyncs = 0
        with open(path, "rb") as fh:
            while state in ("created", "uploading"):
                if progress is not None:
                    progress(offset, size)
                fh.seek(offset)
                chunk = fh.read(min(self.chunk_size, size - offset))
                target = f"/v1/uploads/{header.bundle_id}"
                response = self.request("PATCH", target, chunk, {"Upload-Offset": str(offset)})
                if response.status_code in (409, 460) and resyncs < self._backoff.attempts:
                    # A stale offset (a reply lost after the relay wrote the chunk) or a hash
                    # mismatch: continue from where the relay says it stands.
                    resyncs += 1
                    offset = self.upload_offset(header.bundle_id)
                    continue
                doc = self._checked(response, 200).json()
                state, offset = doc["state"], int(doc["offset"])
        if progress is not None:
            progress(size, size)
        return UploadResult(header.bundle_id, state, size, sha256)

    def upload_offset(self, bundle_id: str) -> int:
        """The relay's offset of an upload (HEAD).

        Raises:
            RelayError: 404 when the relay knows no such upload of ours.
            RelayUnreachable: the relay cannot be reached.
        """
        response = self._checked(self.request("HEAD", f"/v1/uploads/{bundle_id}"), 200)
        return int(response.headers["upload-offset"])

    # -- mailbox ---------------------------------------------------------------------------
    def mailbox(self) -> list[MailboxEntry]:
        """The bundles waiting for this store, oldest first.

        Raises:
            RelayError, RelayUnreachable.
        """
        doc = self._checked(self.request("GET", "/v1/mailbox"), 200).json()
        return [
            MailboxEntry(b["bundle_id"], b["sender"], b["kind"], b["size"], b["sha256"], b["stored_at"])
            for b in doc["bundles"]
        ]

    def download(self, entry: MailboxEntry, dest: Path) -> Path:
        """Fetch a waiting bundle to `dest`, resuming a partial `dest.part` with `Range`.

        The bytes go to `dest` with ".part" appended, are checked against the listed SHA-256,
        fsynced, and renamed to `dest`. A part whose hash does not match is discarded.

        Raises:
            RelayError: refused (404 when it is gone: delivered elsewhere or expired), or
                `hash_mismatch` when the whole file does not match its SHA-256.
            RelayUnreachable: the relay cannot be reached.
            OSError: `dest` cannot be written.
        """
        part = dest.with_name(dest.name + ".part")
        dropped = False
        for attempt in range(self._backoff.attempts):
            have = part.stat().st_size if part.exists() else 0
            if have > entry.size:
                part.unlink()
                have = 0
            if have < entry.size:
                try:
                    self._fetch_into(entry, part, have)
                except httpx.TransportError:
                    dropped = True  # what arrived stays in the part file; the next try resumes
                    self._sleep(self._backoff.delay(attempt))
                    continue
            if _size_and_sha256(part) == (entry.size, entry.sha256):
                with open(part, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(part, dest)
                return dest
            if part.stat().st_size >= entry.size:
                part.unlink()
        if dropped:
            raise RelayUnreachable("relay unreachable during a download")
        raise RelayError(0, "hash_mismatch")

    def _fetch_into(self, entry: MailboxEntry, part: Path, have: int) -> None:
        """Append the bytes from `have` on to `part`, streamed (a dropped line keeps what came)."""
        headers = {"Range": f"bytes={have}-"} if have else {}
        path = f"/v1/bundles/{entry.bundle_id}"
        created = int(self._clock()) + self.clock_offset_s
        signed = {**headers, **sign_request(self._key, "GET", path, b"", headers, created)}
        with self._http.stream("GET", path, headers=signed) as response:
            if response.status_code in (200, 206):
                self._write_stream(part, response, append=response.status_code == 206)
                return
            response.read()
        # Anything else (clock skew, rate limit, 5xx, a refusal): the retrying path decides.
        response = self._checked(self.request("GET", path, headers=headers), 200, 206)
        with open(part, "ab" if response.status_code == 206 else "wb") as fh:
            fh.write(response.content)

    @staticmethod
    def _write_stream(part: Path, response: httpx.Response, append: bool) -> None:
        with open(part, "ab" if append else "wb") as fh:
            for block in response.iter_bytes(CHUNK):
                fh.write(block)

    def delete(self, bundle_id: str) -> None:
        """Tell the relay a bundle was delivered (imported): it deletes the bytes.

        Raises:
            RelayError: refused (404: unknown, another store's, or expired).
            RelayUnreachable: the relay cannot be reached.
        """
        self._checked(self.request("DELETE", f"/v1/bundles/{bundle_id}"), 200)

    # -- keyring ---------------------------------------------------------------------------
    def keyring(self) -> bytes:
        """The keyring document in force at the relay (check it with `sync.keyring_doc.load_keyring`)."""
        return self._checked(self.request("GET", "/v1/keyring"), 200).content

    def put_keyring(self, document: bytes) -> int:
        """Give the relay a newer city-signed keyring; returns the version now in force.

        Raises:
            RelayError: 409 `keyring_not_newer`, 422 `keyring_invalid`.
            RelayUnreachable: the relay cannot be reached.
        """
        return int(self._checked(self.request("PUT", "/v1/keyring", document), 200).json()["version"])


def _error(response: httpx.Response) -> str:
    try:
        doc = response.json()
    except ValueError:
        return ""
    return str(doc.get("error", "")) if isinstance(doc, dict) else ""


def _size_and_sha256(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()
