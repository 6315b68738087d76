"""The station's sync, as the command line and the 同步 screen use it (DESIGN.md "Sync").

Binds the store side (`sync.exchange`: export, import, status, mark uploaded) to an open
session, finds the relay address and the transport key the store keeps, and runs a round
through the relay (`sync.run.run_round`). Returns DTOs; holds no SQL of its own.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from station_app.clock import Clock
from station_app.errors import NotFound
from station_app.services.session import Session
from station_app.store.db import get_meta, read
from sync import exchange, provisioning
from sync.case_states import AttentionItem, attention_items
from sync.relay_client import Backoff, RelayClient
from sync.run import ExportedLike, ImportedLike, Progress, RunResult, run_round

#: meta keys the store keeps its relay address, transport key and the city-signed keyring under.
RELAY_URL_KEY = "relay_url"
TRANSPORT_KEY = "transport_private"
KEYRING_KEY = "keyring"


class StoreExchange:
    """`sync.run.Exchange` over one open session.

    Built from the `session` and an optional `progress` callback passed to the export and import.
    """

    def __init__(self, session: Session, progress: Callable[..., None] | None = None) -> None:
        self.session = session
        self.progress = progress

    def export_due(self, to_dir: Path) -> Sequence[ExportedLike]:
        """Every due bundle written into `to_dir` (`sync.exchange.export_due`)."""
        result = exchange.export_due(self.session, to_dir, progress=self.progress)
        return list(result.bundles)

    def mark_uploaded(self, bundle_id: str) -> None:
        """Record that the relay stored `bundle_id` (已上传中转).

        A bundle this store has no record of (its store restored from a backup since) is at the relay
        all the same: nothing to mark.
        """
        try:
            exchange.mark_uploaded(self.session, bundle_id)
        except NotFound:
            pass

    def import_path(self, path: Path) -> ImportedLike:
        """Import the bundle file or folder `path` (`sync.exchange.import_path`)."""
        return exchange.import_path(self.session, path, progress=self.progress)


def check_relay_url(url: str) -> str | None:
    """Why `url` cannot be a relay address (a Chinese sentence), or None when it can.

    A relay address is http:// or https:// with a host, e.g. "https://relay.mohe.example", at
    most 2,000 characters, with no space, control or invisible format character inside.
    """
    if len(url) > 2000 or any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in url.strip()):
        return "中转地址不能含空格、控制字符或不可见字符"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "中转地址格式不正确"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "中转地址应以 http:// 或 https:// 开头并包含主机名"
    if port == 0:
        return "中转地址的端口不正确"
    return None


def relay_url_of(session: Session) -> str | None:
    """The relay address this store was provisioned with, or None (standalone, or none given)."""
    with read(session.store.engine) as conn:
        value = get_meta(conn, RELAY_URL_KEY)
    return value.strip() if value and value.strip() else None


def transport_key(session: Session) -> Ed25519PrivateKey:
    """This store's Ed25519 transport key (relay requests only; never the bundle signing key).

    Raises:
        LookupError: the store has no transport key (made before sync existed and not migrated).
    """
    with read(session.store.engine) as conn:
        value = get_meta(conn, TRANSPORT_KEY)
    if not value:
        raise LookupError("no transport key")
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(value))


def relay_client(session: Session, url: str, backoff: Backoff | None = None) -> RelayClient:
    """A client for `url` signing with this store's transport key."""
    return RelayClient(url, transport_key(session), backoff=backoff)


def sync_round(
    session: Session,
    url: str,
    backoff: Backoff | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """One round through the relay at `url`: fetch and import, then export and upload.

    Raises:
        sync.run.SyncBusy, sync.relay_client.RelayUnreachable, sync.run.SyncRefused: see
            `sync.run.run_round`.
    """
    with read(session.store.engine) as conn:
        keyring = get_meta(conn, KEYRING_KEY)
    document = keyring.encode("utf-8") if keyring else None
    with relay_client(session, url, backoff) as client:
        return run_round(StoreExchange(session), client, session.data_dir, progress, document)


# -- the 同步 screen -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncOverview:
    """What the 同步 screen and the status bar show (times are ISO strings as stored).

    `peer` is the city this station is bound to (None: standalone); `events_waiting` the events
    the city has not acknowledged, the oldest of them written at `waiting_since`;
    `last_ack_seq`/`last_ack_at` the city's last acknowledgement of this station's chain.
    """

    peer: str | None
    relay_url: str | None
    events_waiting: int
    waiting_since: str | None
    last_export: str | None
    last_upload: str | None
    last_ack_seq: int | None
    last_ack_at: str | None
    pending: int
    conflicts: int
    attention: tuple[AttentionItem, ...]

    @property
    def bound(self) -> bool:
        """Whether this station exchanges with a city at all."""
        return self.peer is not None


def _status_peer(session: Session) -> dict[str, Any] | None:
    """This station's peer (the city) in `sync_status`, or None.

    None for a standalone station, and for the city's own store, whose peers are stations: its
    console has its own sync page.
    """
    with read(session.store.engine) as conn:
        if get_meta(conn, "profile") == "city":
            return None
    peers = exchange.sync_status(session).to_json().get("peers") or []
    return dict(peers[0]) if peers else None


def sync_overview(session: Session) -> SyncOverview:
    """What waits, since when, the last export, upload and acknowledgement, and what needs a person."""
    from station_app.store.events import own_origin
    from station_app.store.sync_marks import oldest_after

    peer = _status_peer(session)
    attention = tuple(attention_items(session))
    if peer is None:  # a standalone station; or the city, whose relay still drives its rounds
        relay = relay_url_of(session) if session.is_city else None
        return SyncOverview(None, relay, 0, None, None, None, None, None, 0, len(attention), attention)
    ack = peer.get("last_ack") or {}
    through = int(ack.get("through_seq") or 0)
    with read(session.store.engine) as conn:
        since = oldest_after(conn, own_origin(conn), session.station_code, through)
    waiting = int(peer.get("events_waiting") or 0)
    return SyncOverview(
        peer=str(peer.get("peer")),
        relay_url=relay_url_of(session),
        events_waiting=waiting,
        waiting_since=since if waiting else None,
        last_export=peer.get("last_export"),
        last_upload=peer.get("last_upload"),
        last_ack_seq=through if ack else None,
        last_ack_at=ack.get("at"),
        pending=int(peer.get("pending") or 0),
        conflicts=int(peer.get("conflicts") or 0),
        attention=attention,
    )


def export_to(session: Session, folder: Path, progress: Callable[..., None] | None = None) -> list[dict[str, Any]]:
    """Write every due bundle into `folder` (a USB stick): the export objects, [] when nothing is due.

    Raises:
        ValidationError: `to` names no folder (`sync.exchange.export_due`).
    """
    return [b.to_json() for b in StoreExchange(session, progress).export_due(folder)]


def import_from(session: Session, path: Path, progress: Callable[..., None] | None = None) -> dict[str, Any]:
    """Import a bundle file or every bundle in a folder: the `sync import` result object."""
    return StoreExchange(session, progress).import_path(path).to_json()


def removable_drives() -> list[Path]:
    """Mounted removable media, most likely a USB stick first.

    Folders under /media/USER, /run/media/USER and /media (Linux), or removable drive letters
    (Windows).
    """
    import os
    import sys

    if sys.platform == "win32":
        import ctypes
        import string

        kernel = ctypes.windll.kernel32
        drives = []
        for letter in string.ascii_uppercase:
            root = f"{letter}:\\"
            if kernel.GetDriveTypeW(root) == 2:  # DRIVE_REMOVABLE
                drives.append(Path(root))
        return drives
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
    found: list[Path] = []
    for base in (Path("/media") / user, Path("/run/media") / user, Path("/media")):
        try:
            children = sorted(p for p in base.iterdir() if p.is_dir() and os.path.ismount(p))
        except OSError:
            continue
        found += [p for p in children if p not in found]
    return found


# -- first run with a provisioning file ------------------------------------------------------------


@dataclass(frozen=True)
class ProvisionPreview:
    """What a verified provisioning file says, shown before the station is made."""

    station_code: str
    station_name: str
    town_code: str
    city_code: str
    city_name: str
    city_fingerprint: str
    relay: str | None


def preview_provision(path: Path) -> ProvisionPreview:
    """Read and verify a provisioning file (signed by the city's root key).

    Raises:
        ValidationError: on `provision` when the file is missing, unreadable or not a valid,
            city-signed provisioning file.
    """
    prov = provisioning.read_provision(path)
    return ProvisionPreview(
        prov.station_code,
        prov.station_name,
        prov.town_code,
        prov.city.code,
        prov.city.name,
        prov.city.fingerprint(),
        prov.relay,
    )


def init_provisioned(
    data_dir: Path, path: Path, admin: str, password: str, clock: Clock | None = None
) -> tuple[Session, dict[str, Any]]:
    """Make a station bound to the city from a provisioning file (`init --provision`).

    Returns the admin's session and `{"station_code", "station_name", "admin", "data_dir",
    "fingerprint", "city_fingerprint"}`.

    Raises:
        ValidationError: `provision`, `admin` or `password`, before anything is made.
    """
    return provisioning.init_from_provision(data_dir, path, admin, password, clock)


def fingerprint_text(fingerprint: str) -> str:
    """A fingerprint for reading out on the phone: groups of four hex digits, eight to a line."""
    from sync.keys import group_hex

    groups = group_hex(fingerprint).split(" ")
    return "\n".join(" ".join(groups[i : i + 8]) for i in range(0, len(groups), 8))


_REFUSALS = {
    "unknown_key": "中转还不认识本站的密钥:市级登记本站后须同步一次,把新的密钥环交给中转",
    "revoked_key": "本站的同步密钥已被市级吊销,请联系市级",
    "quota_exceeded": "中转的存储配额已满,请联系市级",
    "unknown_recipient": "中转不认识收件单位,请联系市级更新密钥环",
}


def describe_refusal(error: str, bundle_class: str | None = None) -> str:
    """One Chinese sentence for a relay refusal (`sync.run.SyncRefused`'s `error` and class)."""
    if error == "bundle_refused":
        return f"中转拒收本站的同步包({bundle_class or '未知原因'})"
    return _REFUSALS.get(error, f"同步中转拒绝了本站的请求({error})")


def is_bound(session: Session) -> bool:
    """Whether this store exchanges bundles with anyone (a station bound to a city, or a city)."""
    return bool(exchange.sync_status(session).peers)
