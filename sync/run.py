"""`sync run`: one round through the relay (DESIGN.md "Sync", SYNC.md §3.7 and §4).

A round fetches what waits in this store's mailbox and imports it, then exports what is due
and uploads it. Nothing counts as sent before the relay confirmed the bundle's SHA-256
("stored"), and a bundle leaves the mailbox only after it was imported here:

- **Outbox.** Bundles are exported into `outbox/` in the data folder (owner-only), each with a
  small sidecar holding its export object (routing data and counts only, never case data). A
  bundle stays there until the relay has stored it; a round killed mid-upload leaves it, and the
  next round resumes it from the relay's offset (same bundle id) before exporting anything new.
- **Inbox.** Waiting bundles are downloaded into `inbox/` (resuming a `.part` with `Range`),
  imported together, then deleted at the relay and here. A bundle the import refuses stays at
  the relay (a person looks at it); the next round reports it again.
- **Relay down.** `RelayUnreachable` after the client's bounded retries: the round stops, what
  was already stored stays marked, nothing else is marked, nothing is lost.
- **One at a time.** A lock file in the data folder keeps two rounds (the app's background
  sync and a command line) from running at once: `SyncBusy`.

The store side comes in through `Exchange` (export, mark uploaded, import), so this module
holds no store code of its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from station_app.filelock import try_lock, unlock
from sync.relay_client import MailboxEntry, RelayClient, RelayError, RelayUnreachable

__all__ = [
    "Exchange",
    "ExportedLike",
    "RelayUnreachable",
    "RunResult",
    "SyncBusy",
    "SyncRefused",
    "run_round",
    "sync_lock",
]

OUTBOX = "outbox"
INBOX = "inbox"
LOCK_NAME = "sync.lock"
SIDECAR = ".export.json"
# Relay states that mean the bytes reached the relay (a later round may find it already fetched).
AT_RELAY = frozenset({"stored", "delivered"})

Progress = Callable[[str, int, int], None]
"""`progress(stage, done, total)`: stage is "download", "import", "export" or "upload";
done/total are bytes for the transfers and bundles for import and export."""


class ExportedLike(Protocol):
    """One bundle written by an export (`sync.exchange.ExportedBundle`)."""

    @property
    def file(self) -> Any:
        """The bundle file written (a path)."""
        ...

    @property
    def bundle_id(self) -> str:
        """The bundle's id, as the relay knows it."""
        ...

    def to_json(self) -> dict[str, Any]:
        """The export object `sync export` prints for this bundle."""
        ...


class ImportedLike(Protocol):
    """An import's result (`sync.exchange.ImportSummary`): `to_json()` gives the contract's object."""

    def to_json(self) -> dict[str, Any]: ...


class Exchange(Protocol):
    """What a round needs from the store (`sync.exchange`, bound to one open session)."""

    def export_due(self, to_dir: Path) -> Sequence[ExportedLike]:
        """Write every due bundle into `to_dir`; [] when nothing is due."""
        ...

    def mark_uploaded(self, bundle_id: str) -> None:
        """Record that the relay stored this bundle (state 已上传中转)."""
        ...

    def import_path(self, path: Path) -> ImportedLike:
        """Import every bundle in the folder `path` addressed to this store."""
        ...


class SyncBusy(Exception):
    """Another sync round holds the lock of this data folder."""


class SyncRefused(Exception):
    """The relay refused this store's request (a revoked key, a refused bundle, a quota).

    Built from `error`, the relay's code, and `bundle_class`, the bundle error class when it
    refused a bundle.
    """

    def __init__(self, error: str, bundle_class: str | None = None) -> None:
        super().__init__(f"relay refused: {error}" + (f" ({bundle_class})" if bundle_class else ""))
        self.error, self.bundle_class = error, bundle_class


@dataclass
class RunResult:
    """What a round did.

    `sent` holds the export objects (each with the relay's "state"); `received` the import result
    (the `sync import` object).
    """

    sent: list[dict[str, Any]] = field(default_factory=list)
    received: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """`{"sent": [...], "received": {...}}` (DESIGN.md "Sync and city command line")."""
        return {"sent": self.sent, "received": self.received}


# -- the lock -------------------------------------------------------------------------------------


@contextmanager
def sync_lock(data_dir: Path) -> Iterator[None]:
    """Hold this data folder's sync lock for the block.

    Raises:
        SyncBusy: another round (this process or another) holds it.
    """
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not try_lock(fd):
            raise SyncBusy("another sync round is running")
        try:
            yield
        finally:
            unlock(fd)
    finally:
        os.close(fd)


# -- the round ------------------------------------------------------------------------------------


def private_folder(path: Path) -> Path:
    """`path` created if missing, readable by this user only (0700 where modes exist)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path


def run_round(
    exchange: Exchange,
    client: RelayClient,
    data_dir: Path,
    progress: Progress | None = None,
    keyring: bytes | None = None,
) -> RunResult:
    """Fetch and import what waits, then export and upload what is due, through one relay.

    The city's keyring travels too: when `keyring` (the city-signed keyring this store holds)
    is newer than the relay's, the relay gets it first, so a station enrolled since the relay
    last heard is let in.

    Args:
        exchange: the store side, bound to an open session.
        client: a relay client signing with this store's transport key.
        data_dir: the store's data folder (holds `outbox/`, `inbox/` and the lock).
        progress: called as `progress(stage, done, total)` (see `Progress`).
        keyring: the signed keyring document this store holds, or None.

    Returns:
        The sent export objects (relay state "stored", or "delivered" when an earlier round
        already got it there and it was fetched) and the import result.

    Raises:
        SyncBusy: another round is running on this data folder.
        RelayUnreachable: the relay could not be reached after the client's retries; what was
            stored before stays marked, nothing else is.
        SyncRefused: the relay refused a request of this store.
        OSError: the data folder cannot be written.
    """
    with sync_lock(data_dir):
        result = RunResult()
        try:
            if keyring is not None:
                _push_keyring(client, keyring)
            result.received = _fetch_and_import(exchange, client, private_folder(data_dir / INBOX), progress)
            outbox = private_folder(data_dir / OUTBOX)
            result.sent.extend(_upload_outbox(exchange, client, outbox, progress))
            _export_into(exchange, outbox, progress)
            result.sent.extend(_upload_outbox(exchange, client, outbox, progress))
        except RelayError as exc:
            bundle_class = exc.fields.get("class")
            raise SyncRefused(exc.error, str(bundle_class) if bundle_class else None) from None
        return result


def _keyring_version(document: bytes) -> int:
    try:
        doc = json.loads(document)
    except ValueError:
        return 0
    version = doc.get("version") if isinstance(doc, dict) else None
    return version if isinstance(version, int) else 0


def _push_keyring(client: RelayClient, keyring: bytes) -> None:
    """Give the relay our keyring when it is newer than the one the relay holds.

    The relay checks the city's root signature and never goes back to an older version.
    """
    if _keyring_version(keyring) <= _keyring_version(client.keyring()):
        return
    try:
        client.put_keyring(keyring)
    except RelayError as exc:
        if exc.status != 409:  # 409: someone gave it this version or a newer one meanwhile
            raise


def _fetch_and_import(
    exchange: Exchange, client: RelayClient, inbox: Path, progress: Progress | None
) -> dict[str, Any]:
    waiting = client.mailbox()
    total = sum(e.size for e in waiting)
    done = 0
    fetched: list[tuple[MailboxEntry, Path]] = []
    for entry in waiting:
        dest = inbox / f"{entry.bundle_id}.msb"
        if not (dest.exists() and dest.stat().st_size == entry.size):
            try:
                client.download(entry, dest)
            except RelayError as exc:
                if exc.status == 404:  # gone meanwhile (expired, or fetched by another round)
                    continue
                raise
        done += entry.size
        fetched.append((entry, dest))
        if progress is not None:
            progress("download", done, total)
    if progress is not None:
        progress("import", 0, len(fetched))
    received = exchange.import_path(inbox).to_json()
    if progress is not None:
        progress("import", len(fetched), len(fetched))
    kept = {Path(str(r.get("file", ""))).name for r in received.get("refused", [])}
    kept |= {Path(str(s.get("file", ""))).name for s in received.get("skipped", [])}
    for entry, dest in fetched:
        if dest.name not in kept:
            client.delete(entry.bundle_id)  # delivered: the relay deletes the bytes
    for leftover in inbox.glob("*.msb"):  # imported, or refused (it stays at the relay)
        leftover.unlink(missing_ok=True)
    return received


def _export_into(exchange: Exchange, outbox: Path, progress: Progress | None) -> None:
    if progress is not None:
        progress("export", 0, 1)
    for bundle in exchange.export_due(outbox):
        path = Path(str(bundle.file))
        doc = {**bundle.to_json(), "bundle_id": bundle.bundle_id}
        sidecar = path.with_name(path.name + SIDECAR)
        sidecar.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    if progress is not None:
        progress("export", 1, 1)


def _waiting_uploads(outbox: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Bundles in the outbox with their export object, oldest first.

    A bundle without a sidecar was never completely exported (killed in between) and is dropped:
    the next export holds it.
    """
    found = []
    for path in sorted(outbox.glob("*.msb"), key=lambda p: (p.stat().st_mtime, p.name)):
        sidecar = path.with_name(path.name + SIDECAR)
        try:
            doc = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            continue
        found.append((path, doc))
    for sidecar in outbox.glob("*" + SIDECAR):
        if not sidecar.with_name(sidecar.name.removesuffix(SIDECAR)).exists():
            sidecar.unlink(missing_ok=True)
    return found


def _upload_outbox(
    exchange: Exchange, client: RelayClient, outbox: Path, progress: Progress | None
) -> list[dict[str, Any]]:
    waiting = _waiting_uploads(outbox)
    total = sum(path.stat().st_size for path, _ in waiting)
    before = 0
    sent = []
    for path, doc in waiting:

        def step(offset: int, _size: int, base: int = before) -> None:
            if progress is not None:
                progress("upload", base + offset, total)

        result = client.upload(path, progress=step)
        before += result.size
        if result.state in AT_RELAY:
            exchange.mark_uploaded(str(doc["bundle_id"]))
            sent.append(_export_object(doc, result.state, path))
        # "expired": the relay dropped an unfinished upload; the next export holds the events again.
        path.unlink(missing_ok=True)
        path.with_name(path.name + SIDECAR).unlink(missing_ok=True)
    return sent


def _export_object(doc: Mapping[str, Any], state: str, path: Path) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k != "bundle_id"}
    out.setdefault("file", str(path))
    out["state"] = state
    return out
