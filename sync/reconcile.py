"""Reconciliation after a restore: the city sends a station its own chains back (SYNC.md §3.8).

A station restored from a backup, recovered, or re-initialised has a new `store_epoch` and may
be behind what the city acknowledged. The city then refuses its bundles (`fork`, reported in
`sync status` and on the stations page) and stops applying that chain. The coordinator answers
with `sync reconcile CODE`: a restore bundle that carries every event of the station's own
chains as the city holds them, plus the city's events for that station, all from the start,
signed by the city like any bundle. Writing it reopens the station's chain at the city: the
next bundle from the station is read under its new epoch.

At the station, `sync import` takes the restore bundle in one transaction (sync/exchange.py):
the events it lacks are appended after its own heads, its number counters move past every case
and paper number they carry, and the city's acks are recorded. Nothing local is deleted; when
the station wrote other events at places the city holds, the bundle is refused whole and the
divergence reported for a person to decide.
"""

from __future__ import annotations

import json
from pathlib import Path

from station_app.errors import PermissionDenied, ValidationError
from station_app.services.session import Session
from station_app.store import sync_state
from station_app.store.db import get_meta, read, write
from station_app.store.events import chain_events, own_origin
from sync.exchange import (
    ExportResult,
    Progress,
    own_name,
    peer_box_key,
    plan_for,
    write_one,
)
from sync.header import BundleKind
from sync.limits import MAX_EVENTS
from sync.provisioning import own_signer, require_coordinator
from sync.run import OUTBOX, SIDECAR, private_folder


def write_restore(
    session: Session, station: str, to_dir: Path | None = None, progress: Progress | None = None
) -> tuple[ExportResult, int]:
    """Write the restore bundle(s) for `station` and reopen its chain at the city.

    Args:
        session: a city coordinator's (or admin's) session.
        station: the station code (enrolled, not revoked).
        to_dir: an existing folder (a USB stick); None writes into the store's `outbox/`, where
            the next `sync run` uploads it to the relay.
        progress: called with (events written, events in all).

    Returns:
        What was written (one bundle per 20,000 events, in chain order, the city's acks of the
        station's chains in each), and how many open forks of the station were closed.

    Raises:
        PermissionDenied: not a city coordinator or admin (or not a city store).
        ValidationError: `station` unknown, not enrolled or revoked; `to` not a folder.
        OSError: the folder cannot be written (nothing is reopened then).
    """
    if not session.is_city:
        raise PermissionDenied("只有市级可以发回调解站的记录")
    require_coordinator(session)
    if to_dir is not None and not to_dir.is_dir():
        raise ValidationError({"to": "目标文件夹不存在" if not to_dir.exists() else "应为文件夹"})
    with read(session.store.engine) as conn:
        peer = sync_state.get_peer(conn, station)
        if peer is None or peer.kind != "station" or peer.identity is None:
            raise ValidationError({"station": "没有登记该调解站"})
        if peer.status == "revoked":
            raise ValidationError({"station": "该调解站已被吊销"})
        me = own_name(conn)
        plan = plan_for(conn, peer)
        city_origin = own_origin(conn)
        ranges = [(o, s, 0) for (o, s) in sorted(sync_state.heads_where(conn, [station], None))]
        ranges += [(o, s, 0) for (o, s, _) in plan.ranges if o == city_origin]
        events = chain_events(conn, ranges)
        epoch = str(get_meta(conn, "store_epoch") or "")
        keyring_version = int(get_meta(conn, "keyring_version") or 0)
        signer = own_signer(conn, me)
        box = peer_box_key(conn, peer)
    folder = to_dir if to_dir is not None else private_folder(session.data_dir / OUTBOX)
    result = ExportResult()
    chunks = [events[i : i + MAX_EVENTS] for i in range(0, len(events), MAX_EVENTS)] or [[]]
    done = 0
    for chunk in chunks:
        bundle = write_one(session, folder, me, plan, chunk, epoch, keyring_version, signer, box, BundleKind.RESTORE)
        result.bundles.append(bundle)
        if to_dir is None:  # the upload queue's record, as `sync run` writes for its own exports
            doc = {**bundle.to_json(), "bundle_id": bundle.bundle_id}
            sidecar = bundle.file.with_name(bundle.file.name + SIDECAR)
            sidecar.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        done += len(chunk)
        if progress is not None:
            progress(done, max(1, len(events)))
    with write(session.store.engine) as conn:
        sync_state.put_peer(conn, station, "station", store_epoch=None)  # its next bundle brings the new epoch
        closed = sync_state.close_forks(conn, station, session.now_iso())
    return result, closed
