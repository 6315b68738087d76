"""A batch imported at once leaves the store an event-by-event import leaves.

The batch mixes what a bundle carries: new cases with their follow-ups, duplicates, another
station's own events (a user, a setting), an event of a type this app does not know, a pair of
concurrent events that conflict, a gap filled later in the same batch and one that waits for the
next batch.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from station_app.clock import FixedClock
from station_app.services import audit_service, case_service, query_service, settings_service, user_service
from station_app.services.query_service import search_ids
from station_app.services.session import Session, login
from station_app.services.station_service import init_station
from station_app.store.db import read, write
from station_app.store.events import Envelope, ledger_head
from station_app.store.log import ImportResult, import_foreign, pending_list
from station_app.store.models import PROJECTION_TABLES
from station_app.store.payloads import PAYLOADS, CasePayload, event_type
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, START, STATION_CODE, TOWN_CODE
from tests.factories import joint_intake, refer_intake
from tests.store.conftest import PEER_CODE, export

TABLES = ("events", "chain_heads", "pending_events", *PROJECTION_TABLES)
QUERIES = ("张伟", "李娜", "王芳", "赵敏", "陈静", "zw", "ln", "cj", "社保费", "漠河")


@dataclass(frozen=True)
class HearingScheduled(CasePayload):
    """An event type a newer app knows and the importing one does not."""

    held_on: str


@pytest.fixture
def targets(tmp_path: Path) -> Iterator[tuple[Session, Session]]:
    """Two copies of one third station: one imports batches whole, the other event by event."""
    first = init_station(tmp_path / "bulk", "232701100003", "第三调解站", TOWN_CODE, ADMIN, ADMIN_PASSWORD,
                         FixedClock(START), FAST_KDF)  # fmt: skip
    first.close()
    shutil.copytree(tmp_path / "bulk", tmp_path / "single")
    bulk = login(tmp_path / "bulk", ADMIN, ADMIN_PASSWORD, FixedClock(START))
    single = login(tmp_path / "single", ADMIN, ADMIN_PASSWORD, FixedClock(START))
    yield bulk, single
    bulk.close()
    single.close()


def _case_uuid(session: Session, no: str) -> str:
    return query_service.get_case(session, no).summary.uuid


def _batches(station: Session, peer: Session) -> tuple[list[Envelope], list[Envelope], dict[str, str]]:
    """Work at two stations; the batches a third one receives (the second fills a gap)."""
    user_service.add_user(station, "wangli", "head", "head-pass-1234", "王丽", FAST_KDF)
    settings_service.set_setting(station, "station_phone", "0457-2719999")
    nos = {"routed": case_service.intake(station, joint_intake(name="张伟")).case_no}
    nos["on_spot"] = case_service.intake(station, refer_intake(name="李娜")).case_no
    case_service.perform(station, nos["on_spot"], "close_on_spot", {"text": "当场解释政策。"})
    nos["unknown"] = case_service.intake(station, joint_intake(name="王芳")).case_no
    event_type("hearing_scheduled")(HearingScheduled)  # the station runs a newer app
    try:
        with write(station.store.engine) as conn:
            station.record(conn, "hearing_scheduled", {"held_on": "2025-11-25", "set": {"stage": "hearing"}},
                           _case_uuid(station, nos["unknown"]))  # fmt: skip
    finally:
        PAYLOADS.pop("hearing_scheduled")
    case_service.perform(station, nos["routed"], "route")
    assert import_foreign(peer.store.engine, export(station)).committed
    # concurrent at the two stations: a return against a signature, an archive against a callback
    case_service.perform(peer, nos["routed"], "sign", {"dept": "tax"})
    case_service.perform(peer, nos["on_spot"], "callback", {"satisfaction": "satisfied", "text": "回访。"})
    nos["peer"] = case_service.intake(peer, refer_intake(name="赵敏")).case_no
    case_service.perform(peer, nos["peer"], "close_on_spot", {"text": "当场答复。"})
    case_service.perform(peer, nos["peer"], "callback", {"satisfaction": "satisfied", "text": "回访满意。"})
    case_service.perform(station, nos["on_spot"], "archive", {"text": "归档。"})
    case_service.perform(station, nos["routed"], "return", {"dept": "tax", "reason": "不属于本部门职责。"})
    nos["last"] = case_service.intake(station, joint_intake(name="陈静")).case_no
    own = [e for e in export(station) if e.origin == STATION_CODE]
    peers = [e for e in export(peer) if e.origin == PEER_CODE]
    registered = next(e for e in peers if e.type == "case_registered")
    # the peer's events (with the station's it holds: duplicates), one of them missing; the
    # station's last two swapped (the gap fills within the batch, the conflict is met on the way)
    first = [*own[:-2], *export(peer), own[-1], own[-2]]
    first = [e for e in first if e.uuid != registered.uuid]
    return first, [registered], nos


def _dump(session: Session) -> dict[str, Any]:
    with read(session.store.engine) as conn:
        out: dict[str, Any] = {t: conn.execute(text(f"SELECT rowid, * FROM {t} ORDER BY rowid")).all() for t in TABLES}
        out["ledger_head"] = ledger_head(conn)
        out["search"] = {q: search_ids(conn, q) for q in QUERIES}
    return out


def _totals(results: list[ImportResult]) -> tuple[int, int, int, int]:
    return (
        sum(len(r.new) for r in results),
        sum(r.duplicates for r in results),
        sum(r.changes.conflicts_opened for r in results),
        sum(len(r.changes.flagged) for r in results),
    )


def test_a_batch_at_once_and_event_by_event_leave_the_same_store(
    station: Session, peer: Session, targets: tuple[Session, Session]
) -> None:
    """Events, ledger, chain heads, pending, projections, conflicts, flags and search agree."""
    first, second, nos = _batches(station, peer)
    bulk, single = targets
    at_once = [import_foreign(bulk.store.engine, first, "bundle-1")]
    one_by_one = [import_foreign(single.store.engine, [e], "bundle-1") for e in first]
    assert all(r.committed for r in at_once + one_by_one)
    assert _dump(bulk) == _dump(single)
    assert _totals(at_once) == _totals(one_by_one)
    _, duplicates, conflicts, flagged = _totals(at_once)
    assert duplicates > 0 and conflicts == 2 and flagged == 1
    with read(bulk.store.engine) as conn:
        waiting = pending_list(conn)
    assert waiting and {p.reason for p in waiting} == {"gap"} and {p.origin for p in waiting} == {PEER_CODE}
    statuses = {k: query_service.get_case(bulk, nos[k]).summary.status.value for k in ("on_spot", "unknown", "last")}
    assert statuses == {"on_spot": "archived", "unknown": "registered", "last": "registered"}
    with read(bulk.store.engine) as conn:
        assert search_ids(conn, "赵敏") == []  # the peer's case waits behind the gap
        users = conn.execute(text("SELECT name FROM users")).scalars().all()
    assert users == [ADMIN] and bulk.setting("station_phone") != "0457-2719999"

    at_once.append(import_foreign(bulk.store.engine, second, "bundle-2"))
    one_by_one += [import_foreign(single.store.engine, [e], "bundle-2") for e in second]
    assert _dump(bulk) == _dump(single)
    assert _totals(at_once) == _totals(one_by_one)
    assert len(at_once[-1].released) == len(waiting)
    with read(bulk.store.engine) as conn:
        assert pending_list(conn) == []
        assert len(search_ids(conn, "赵敏")) == 1
    assert query_service.get_case(bulk, nos["peer"]).summary.status.value == "closed_on_spot"
    for side in (bulk, single):
        assert audit_service.verify(side).ok
        assert audit_service.rebuild_projections(side)["identical"] is True
