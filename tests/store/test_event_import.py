"""Importing another store's events: duplicates, forks, gaps, unknown types, foreign identity."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from station_app.clock import FixedClock
from station_app.services import audit_service, case_service, query_service, settings_service, user_service
from station_app.services.session import Session, login
from station_app.store.db import read, write
from station_app.store.events import envelope_hash
from station_app.store.log import MalformedEvent, import_foreign, pending_list
from station_app.store.payloads import PAYLOADS, CasePayload, event_type
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, START, STATION_CODE, STATION_NAME, TOWN_CODE
from tests.factories import joint_intake, refer_intake
from tests.store.conftest import PEER_CODE, PEER_NAME, exchange, export, state


def _worked(station: Session) -> list[str]:
    nos = [case_service.intake(station, joint_intake(name=n)).case_no for n in ("张伟", "李娜")]
    case_service.perform(station, nos[0], "route")
    case_service.perform(station, nos[0], "sign", {"dept": "tax"})
    return nos


def _users(session: Session) -> list[tuple[str, str]]:
    with read(session.store.engine) as conn:
        return [(r[0], r[1]) for r in conn.execute(text("SELECT name, role FROM users ORDER BY name"))]


def test_importing_the_same_batch_twice_changes_nothing_the_second_time(station: Session, peer: Session) -> None:
    nos = _worked(station)
    batch = export(station)
    first = import_foreign(peer.store.engine, batch)
    assert first.committed and len(first.new) == len(batch) and first.duplicates == 0
    assert {c.case_no for c in query_service.list_cases(peer, query_service.CaseQuery())} == set(nos)
    before = state(peer)
    second = import_foreign(peer.store.engine, batch)
    assert (len(second.new), second.duplicates, second.pending, second.forks) == (0, len(batch), [], [])
    assert state(peer) == before
    assert audit_service.verify(peer).ok


def test_a_foreign_station_identity_and_users_stay_out_of_this_store(station: Session, peer: Session) -> None:
    user_service.add_user(station, "wangli", "head", "head-pass-1234", "王丽", FAST_KDF)
    settings_service.set_setting(station, "station_phone", "0457-2719999")
    _worked(station)
    users_before = _users(peer)
    phone_before = peer.setting("station_phone")
    result = exchange(station, peer)
    assert result.committed and not result.changes.identity and not result.changes.users
    assert not result.changes.settings
    assert (peer.store.meta("station_code"), peer.store.meta("station_name")) == (PEER_CODE, PEER_NAME)
    assert _users(peer) == users_before == [(ADMIN, "admin")]
    peer._settings = None
    assert peer.setting("station_phone") == phone_before
    with read(peer.store.engine) as conn:  # kept for audit all the same
        kept = {r[0] for r in conn.execute(text("SELECT type FROM events WHERE origin = :o"), {"o": STATION_CODE})}
    assert {"station_initialised", "user_added", "setting_changed"} <= kept
    result = audit_service.rebuild_projections(peer)
    assert result["identical"] is True
    assert peer.store.meta("station_code") == PEER_CODE and _users(peer) == users_before


def test_a_fork_is_refused_whole_and_nothing_is_stored(
    station: Session, peer: Session, data_dir: Path, tmp_path: Path, clock: FixedClock
) -> None:
    case_service.intake(station, refer_intake(name="张伟"))
    station.close()
    clone = tmp_path / "restored"
    shutil.copytree(data_dir, clone)  # the same station restored from a copy: one origin, two writers
    here = login(data_dir, ADMIN, ADMIN_PASSWORD, clock)
    there = login(clone, ADMIN, ADMIN_PASSWORD, clock)
    try:
        case_service.intake(here, refer_intake(name="李娜"))
        case_service.intake(there, refer_intake(name="王芳"))
        assert exchange(here, peer).committed
        before = state(peer)
        result = exchange(there, peer)
        assert not result.committed
        assert [f.reason for f in result.forks] == ["position_taken"]
        assert result.forks[0].origin == STATION_CODE
        assert state(peer) == before
        # a known event with another hash is a fork too, even among good new events
        batch = export(here)
        forged = replace(batch[3], hash="f" * 64)
        result = import_foreign(peer.store.engine, [*batch, forged])
        assert [(f.uuid, f.reason) for f in result.forks] == [(forged.uuid, "same_uuid_other_hash")]
        assert state(peer) == before
    finally:
        here.close()
        there.close()


def test_a_malformed_payload_is_refused_with_the_event_named(station: Session, peer: Session) -> None:
    _worked(station)
    batch = export(station)
    index = next(i for i, e in enumerate(batch) if e.type == "case_routed")
    prev = batch[index - 1].hash
    broken = replace(batch[index], payload={k: v for k, v in batch[index].payload.items() if k != "routing"})
    broken = replace(broken, hash=envelope_hash(prev, broken))  # a well-hashed event with a bad payload
    before = state(peer)
    with pytest.raises(MalformedEvent) as info:
        import_foreign(peer.store.engine, [*batch[:index], broken, *batch[index + 1 :]])
    assert info.value.uuid == broken.uuid and "routing" in info.value.why
    assert state(peer) == before
    with pytest.raises(MalformedEvent) as info:
        import_foreign(peer.store.engine, [{**batch[0].to_json(), "origin_seq": "1"}])
    assert info.value.uuid == batch[0].uuid and "origin_seq" in info.value.why
    assert state(peer) == before


def test_a_gap_waits_in_the_pending_list_until_it_fills(station: Session, peer: Session) -> None:
    nos = _worked(station)
    batch = export(station)
    missing = next(e for e in batch if e.type == "case_registered")  # the first case's registration
    after = [e for e in batch if e.origin_seq > missing.origin_seq]
    result = import_foreign(peer.store.engine, [e for e in batch if e is not missing])
    assert result.committed and sorted(result.pending) == sorted(e.uuid for e in after)
    with read(peer.store.engine) as conn:
        waiting = pending_list(conn)
    assert [p.origin_seq for p in waiting] == [e.origin_seq for e in after]
    assert {p.reason for p in waiting} == {"gap"}
    assert query_service.list_cases(peer, query_service.CaseQuery()) == []  # nothing past the gap applied
    assert audit_service.verify(peer).ok

    result = import_foreign(peer.store.engine, [missing])
    assert result.new[0] == missing.uuid and sorted(result.released) == sorted(e.uuid for e in after)
    with read(peer.store.engine) as conn:
        assert pending_list(conn) == []
    cases = {c.case_no: c.status.value for c in query_service.list_cases(peer, query_service.CaseQuery())}
    assert cases == {nos[0]: "in_progress", nos[1]: "registered"}
    assert audit_service.verify(peer).ok


def test_an_event_whose_base_is_not_here_waits_for_it(station: Session, peer: Session, tmp_path: Path) -> None:
    from station_app.services.station_service import init_station

    no = case_service.intake(station, joint_intake(name="张伟")).case_no
    exchange(station, peer)
    # the peer's event on the station's case (not its first receiver: a reason, 首问责任制)
    case_service.perform(peer, no, "route", {"reason": "首位受理人在本站之外,由本站分流。"})
    third = init_station(tmp_path / "third", "232701100003", "第三调解站", TOWN_CODE, ADMIN, ADMIN_PASSWORD,
                         FixedClock(START), FAST_KDF)  # fmt: skip
    try:
        own = [e for e in export(peer) if e.origin == PEER_CODE]
        result = import_foreign(third.store.engine, own)
        routed = next(e for e in own if e.type == "case_routed")
        assert result.pending == [routed.uuid]
        with read(third.store.engine) as conn:
            assert [(p.uuid, p.reason) for p in pending_list(conn)] == [(routed.uuid, "missing_base")]
        result = exchange(station, third)
        assert result.released == [routed.uuid]
        assert query_service.get_case(third, no).summary.status.value == "routed"
    finally:
        third.close()


@dataclass(frozen=True)
class HearingScheduled(CasePayload):
    """An event type a newer app knows and this one does not."""

    held_on: str


@pytest.fixture
def newer_type() -> Iterator[None]:
    event_type("hearing_scheduled")(HearingScheduled)
    yield
    PAYLOADS.pop("hearing_scheduled", None)


def _notes(session: Session, no: str) -> list[str]:
    return [n["kind"] for n in query_service.get_case(session, no).notes]


def test_an_unknown_type_is_kept_flagged_and_applied_once_learnt(
    station: Session, peer: Session, newer_type: None
) -> None:
    no = case_service.intake(station, refer_intake(name="张伟")).case_no
    case_uuid = query_service.get_case(station, no).summary.uuid
    with write(station.store.engine) as conn:
        station.record(conn, "hearing_scheduled", {"held_on": "2025-11-25", "set": {"stage": "hearing"}}, case_uuid)
    assert "hearing_scheduled" in _notes(station, no)
    batch = export(station)
    PAYLOADS.pop("hearing_scheduled")  # the peer runs the older app

    result = import_foreign(peer.store.engine, batch)
    unknown = batch[-1]
    assert result.committed and unknown.uuid in result.new and result.changes.flagged == [unknown.uuid]
    assert "hearing_scheduled" not in _notes(peer, no)
    with read(peer.store.engine) as conn:
        assert conn.execute(text("SELECT flag FROM event_flags")).scalars().all() == ["unknown_type"]
    assert audit_service.verify(peer).ok  # the chain holds it all the same
    assert audit_service.rebuild_projections(peer)["identical"] is True  # still unknown: same flags

    event_type("hearing_scheduled")(HearingScheduled)  # the peer's app is upgraded
    result_after = audit_service.rebuild_projections(peer)
    assert result_after["identical"] is False  # the flag went, the event was applied
    assert "hearing_scheduled" in _notes(peer, no)
    with read(peer.store.engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM event_flags")).scalar_one() == 0


def test_an_unknown_payload_version_is_kept_and_flagged(station: Session, peer: Session) -> None:
    no = case_service.intake(station, refer_intake(name="张伟")).case_no
    old = PAYLOADS["closed_on_spot"]

    @dataclass(frozen=True)
    class ClosedOnSpotV2(CasePayload):
        V = 2
        text: str
        channel: str

    PAYLOADS["closed_on_spot"] = ClosedOnSpotV2  # a newer app, version 2 of the payload
    try:
        with write(station.store.engine) as conn:
            case_uuid = query_service.get_case(station, no).summary.uuid
            station.record(conn, "closed_on_spot", {"text": "当场答复。", "channel": "desk", "set": {}}, case_uuid)
    finally:
        PAYLOADS["closed_on_spot"] = old
    result = import_foreign(peer.store.engine, export(station))
    assert result.committed and len(result.changes.flagged) == 1
    assert query_service.get_case(peer, no).summary.status.value == "registered"
    with read(peer.store.engine) as conn:
        assert conn.execute(text("SELECT flag, v FROM event_flags")).all() == [("unknown_version", 2)]


def test_local_events_of_an_unregistered_type_are_a_bug_not_data(station: Session) -> None:
    with pytest.raises(KeyError, match="payload class"), write(station.store.engine) as conn:
        station.record(conn, "hearing_scheduled", {"held_on": "2025-11-25"})
    bad: dict[str, Any] = {"name": "wangli"}
    with pytest.raises(ValueError, match="role"), write(station.store.engine) as conn:
        station.record(conn, "user_added", {**bad, "role": 3})


def test_the_station_name_in_a_fresh_store_comes_from_its_own_init(station: Session) -> None:
    assert (station.store.meta("origin"), station.store.meta("station_name")) == (STATION_CODE, STATION_NAME)
