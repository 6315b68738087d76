"""No silent overwrite: concurrent case events on two stores, exchanged both ways."""

from __future__ import annotations

import pytest

from station_app.errors import PermissionDenied
from station_app.services import audit_service, case_service, conflict_service, query_service
from station_app.services.session import Session
from tests.factories import joint_intake
from tests.store.conftest import exchange, state

# (what the station does, what the peer does at the same time, from which status, conflict fields)
MATRIX = [
    pytest.param(
        ("return", {"dept": "tax", "reason": "不属于本部门职责。"}),
        ("sign", {"dept": "tax"}),
        "route",
        ["status"],
        id="status-both-ways",
    ),
    # an opinion moves the case's deadline to the latest one still owed, a withdrawal clears it
    pytest.param(
        ("withdraw", {"reason": "申请人自愿撤回。"}),
        ("opinion", {"dept": "tax", "text": "应补缴。"}),
        "route",
        ["due_date", "status"],
        id="terminal-against-a-status",
    ),
    pytest.param(
        ("archive", {"text": "归档。"}),
        ("callback", {"satisfaction": "satisfied", "text": "回访。"}),
        "close_on_spot",
        ["status"],
        id="terminal-against-disjoint-fields",
    ),
    pytest.param(
        ("extend", {"dept": "tax", "days": 3, "reason": "需调取台账。"}),
        ("sign", {"dept": "tax"}),
        "route",
        [],
        id="disjoint-merges",
    ),
    pytest.param(("sign", {"dept": "tax"}), ("sign", {"dept": "hrss"}), "route", [], id="same-value-merges"),
]


def _case_row(session: Session, no: str) -> tuple[str, str | None, bool, str | None]:
    s = query_service.get_case(session, no).summary
    return s.status.value, s.due_date, s.extended, s.lead.value if s.lead else None


def _shared_case(station: Session, peer: Session, first: str) -> str:
    no = case_service.intake(station, joint_intake(name="张伟")).case_no
    case_service.perform(station, no, first, {"text": "当场解释政策。"} if first == "close_on_spot" else {})
    assert exchange(station, peer).committed
    return no


def _pairs(session: Session) -> list[tuple[str, str, tuple[str, ...], str]]:
    return [(c.versions[0].uuid, c.versions[1].uuid, c.fields, c.state) for c in conflict_service.conflicts(session)]


@pytest.mark.parametrize(("local", "remote", "first", "fields"), MATRIX)
def test_concurrent_events_conflict_on_both_sides_or_merge(
    station: Session, peer: Session, local: tuple, remote: tuple, first: str, fields: list[str]
) -> None:
    no = _shared_case(station, peer, first)
    case_service.perform(station, no, local[0], local[1])
    case_service.perform(peer, no, remote[0], remote[1])
    to_peer = exchange(station, peer)
    to_station = exchange(peer, station)
    assert to_peer.committed and to_station.committed
    if fields:
        assert to_peer.changes.conflicts_opened == to_station.changes.conflicts_opened == 1
        assert _pairs(station) == _pairs(peer) and len(_pairs(station)) == 1
        assert _pairs(station)[0][2:] == (tuple(fields), "open")
        # each side keeps its own version applied and holds the other's
        held_here = conflict_service.conflicts(station)[0].held
        held_there = conflict_service.conflicts(peer)[0].held
        assert {held_here, held_there} == {c.uuid for c in conflict_service.conflicts(station)[0].versions}
        assert held_here != held_there
        assert query_service.get_case(station, no).summary.status.value != query_service.get_case(
            peer, no).summary.status.value  # fmt: skip
    else:
        assert to_peer.changes.conflicts_opened == to_station.changes.conflicts_opened == 0
        assert _pairs(station) == _pairs(peer) == []
        assert _case_row(station, no) == _case_row(peer, no)
    for side in (station, peer):
        assert audit_service.verify(side).ok
        assert audit_service.rebuild_projections(side)["identical"] is True  # the same conflicts from the ledger


def test_a_resolution_closes_the_conflict_on_both_sides(station: Session, peer: Session) -> None:
    no = _shared_case(station, peer, "route")
    case_service.perform(station, no, "return", {"dept": "tax", "reason": "不属于本部门职责。"})
    case_service.perform(peer, no, "sign", {"dept": "tax"})
    exchange(station, peer)
    exchange(peer, station)
    (conflict,) = conflict_service.conflicts(station, no, open_only=True)
    signed = next(v for v in conflict.versions if v.type == "department_signed")
    assert query_service.get_case(station, no).summary.status.value == "returned"

    conflict_service.resolve(station, no, signed.uuid, "部门已签收,以签收为准。")
    assert conflict_service.conflicts(station, no, open_only=True) == []
    assert query_service.get_case(station, no).summary.status.value == "in_progress"
    result = exchange(station, peer)
    assert result.changes.conflicts_closed == 1
    assert conflict_service.conflicts(peer, no, open_only=True) == []
    assert _case_row(station, no) == _case_row(peer, no)
    assert [c.state for c in conflict_service.conflicts(peer)] == ["resolved"]
    before = state(peer)
    assert audit_service.rebuild_projections(peer)["identical"] is True
    assert state(peer) == before


def test_only_a_head_resolves(station: Session, peer: Session) -> None:
    from station_app.domain.enums import Role

    no = _shared_case(station, peer, "route")
    case_service.perform(station, no, "return", {"dept": "tax", "reason": "不属于本部门职责。"})
    case_service.perform(peer, no, "sign", {"dept": "tax"})
    exchange(peer, station)
    (conflict,) = conflict_service.conflicts(station, no)
    worker = Session(station.store, "wangli", Role.WORKER, station.clock)
    with pytest.raises(PermissionDenied):
        conflict_service.resolve(worker, no, conflict.versions[0].uuid, "理由")
