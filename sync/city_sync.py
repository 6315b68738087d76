"""The city console's sync page (DESIGN.md "City console").

Per station what the city holds of its chain and what waits to go down to it, the relay the
city syncs through, and the relay address itself (set by a city admin; `sync run` and the
console's 立即同步 use it).

Returns DTOs; holds no SQL of its own (`sync.exchange.sync_status` and
`sync.provisioning.list_stations` answer, `station_sync` finds the relay).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station_app.errors import ValidationError
from station_app.services.session import Session
from station_app.store.db import set_meta, write
from sync import exchange, provisioning
from sync.case_states import AttentionItem, attention_items
from sync.run import OUTBOX, SIDECAR
from sync.station_sync import RELAY_URL_KEY, check_relay_url, relay_url_of


@dataclass(frozen=True)
class StationSyncRow:
    """One station on the city's sync page (times are ISO strings as stored).

    `events_waiting`: the city's events for this station it has not acknowledged yet (what the
    next return bundle carries); `events_held`: the station's events the city holds;
    `last_ack_seq`/`last_ack_at`: the station's last acknowledgement of the city's chain.
    """

    station_code: str
    station_name: str
    revoked: bool
    events_waiting: int
    events_held: int
    last_bundle_at: str | None
    last_export: str | None
    last_upload: str | None
    last_ack_seq: int | None
    last_ack_at: str | None
    pending: int
    conflicts: int
    forks: int = 0  # refused bundles whose history disagrees (a restore at the station): see sync/reconcile.py


@dataclass(frozen=True)
class CitySyncOverview:
    """What the city's sync page shows.

    `relay_url` is None when the city syncs by USB only; `outbox_bundles` counts the return
    bundles exported for the relay and not yet stored there (a round was cut short).
    """

    relay_url: str | None
    stations: tuple[StationSyncRow, ...]
    outbox_bundles: int
    attention: tuple[AttentionItem, ...]

    @property
    def events_waiting(self) -> int:
        """Events waiting to go down, over every station."""
        return sum(s.events_waiting for s in self.stations)


def _outbox_count(session: Session) -> int:
    """Bundles in the data folder's outbox with their export record.

    Read only: the round that uploads them tidies the folder.
    """
    outbox = Path(session.data_dir) / OUTBOX
    try:
        return sum(1 for p in outbox.glob("*.msb") if p.with_name(p.name + SIDECAR).exists())
    except OSError:
        return 0


def city_sync_overview(session: Session) -> CitySyncOverview:
    """The city's sync page: every station with what waits and the last export, upload and ack.

    Raises:
        StationError: not a city store; PermissionDenied: not a coordinator.
    """
    rows = station_sync_rows(session, provisioning.list_stations(session))
    return CitySyncOverview(relay_url_of(session), rows, _outbox_count(session), tuple(attention_items(session)))


def station_sync_rows(session: Session, stations: list[dict[str, Any]]) -> tuple[StationSyncRow, ...]:
    """One `StationSyncRow` per station of `stations`, in their order.

    `stations` as `provisioning.list_stations` gives them; what waits to go down to each and its
    last acknowledgement come from the sync state.

    Raises:
        PermissionDenied: not a coordinator.
    """
    peers = {str(p["peer"]): p for p in exchange.sync_status(session).to_json()["peers"]}
    rows = []
    for s in stations:
        peer = peers.get(str(s["station_code"])) or {}
        ack = peer.get("last_ack") or {}
        rows.append(
            StationSyncRow(
                station_code=str(s["station_code"]),
                station_name=str(s["station_name"]),
                revoked=s["status"] == "revoked",
                events_waiting=int(peer.get("events_waiting") or 0),
                events_held=int(s["events_held"] or 0),
                last_bundle_at=s["last_bundle_at"],
                last_export=peer.get("last_export"),
                last_upload=peer.get("last_upload"),
                last_ack_seq=int(ack["through_seq"]) if ack else None,
                last_ack_at=ack.get("at") if ack else None,
                pending=int(peer.get("pending") or 0),
                conflicts=int(peer.get("conflicts") or 0),
                forks=int(peer.get("forks") or 0),
            )
        )
    return tuple(rows)


def set_relay_url(session: Session, url: str | None) -> str | None:
    """Set (or clear, with None or "") the relay the city syncs through (city admin only).

    The address is kept where a provisioned station keeps its own, so `sync run` without
    `--relay` and the console's background rounds use it; the change is a `setting_changed`
    event (`relay_url`) in the city's log.

    Returns:
        The address stored, or None when cleared.

    Raises:
        ValidationError: on `relay_url` when the address is not http(s)://host[:port]...;
        StationError/PermissionDenied: not a city store, or not an admin.
    """
    provisioning.require_city(session)
    provisioning.require_admin(session)
    value = (url or "").strip()
    if value:
        problem = check_relay_url(value)
        if problem:
            raise ValidationError({"relay_url": problem})
    with write(session.store.engine) as conn:
        set_meta(conn, RELAY_URL_KEY, value)
        session.record(conn, "setting_changed", {"key": "relay_url", "value": value})
    return value or None


def city_relay(session: Session) -> str | None:
    """The relay the city syncs through, or None (USB only).

    Raises:
        StationError: not a city store; PermissionDenied: not a coordinator.
    """
    provisioning.require_city(session)
    provisioning.require_coordinator(session)
    return relay_url_of(session)
