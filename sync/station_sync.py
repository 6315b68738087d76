"""The station's sync, as the command line and the 同步 screen use it (DESIGN.md "Sync").

Binds the store side (`sync.exchange`: export, import, status, mark uploaded) to an open
session, finds the relay address and the transport key the store keeps, and runs a round
through the relay (`sync.run.run_round`). Returns DTOs; holds no SQL of its own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from station_app.services.session import Session
from station_app.store.db import get_meta, read
from sync.relay_client import Backoff, RelayClient
from sync.run import ExportedLike, ImportedLike, Progress, RunResult, run_round

#: meta keys the store keeps its relay address and transport key under (set at provisioning).
RELAY_URL_KEY = "relay_url"
TRANSPORT_KEY = "transport_private"


def _exchange() -> Any:
    """The store-side module (`sync.exchange`), loaded when first needed."""
    return importlib.import_module("sync.exchange")


class StoreExchange:
    """`sync.run.Exchange` over one open session."""

    def __init__(self, session: Session, progress: Callable[..., None] | None = None) -> None:
        self.session = session
        self.progress = progress

    def export_due(self, to_dir: Path) -> Sequence[ExportedLike]:
        """Every due bundle written into `to_dir` (`sync.exchange.export_due`)."""
        result = _exchange().export_due(self.session, to_dir, progress=self.progress)
        return list(result.bundles)

    def mark_uploaded(self, bundle_id: str) -> None:
        """The relay stored `bundle_id` (已上传中转)."""
        _exchange().mark_uploaded(self.session, bundle_id)

    def import_path(self, path: Path) -> ImportedLike:
        """Import the bundle file or folder `path` (`sync.exchange.import_path`)."""
        summary: ImportedLike = _exchange().import_path(self.session, path, progress=self.progress)
        return summary


def check_relay_url(url: str) -> str | None:
    """Why `url` cannot be a relay address (a Chinese sentence), or None when it can.

    A relay address is http:// or https:// with a host, e.g. "https://relay.mohe.example".
    """
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
    with relay_client(session, url, backoff) as client:
        return run_round(StoreExchange(session), client, session.data_dir, progress)
