"""`audit verify` checks every (origin, stream) chain and the ledger of a store holding several.

The store under test holds three chains: its own (its identity, users, settings), the other
station's own chain (imported), and its own events on the other station's case. Each kind of
damage, in each chain, is caught and named at the first bad event of that chain.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from station_app.clock import FixedClock
from station_app.services import audit_service, case_service, settings_service
from station_app.services.session import login
from station_app.services.station_service import init_station
from station_app.store.anchor import ANCHORED_META, anchor_path
from station_app.store.station_store import db_path
from tests.conftest import (
    ADMIN,
    ADMIN_PASSWORD,
    FAST_KDF,
    START,
    STATION_CODE,
    STATION_NAME,
    TOWN_CODE,
    run_cli,
    sqlcipher_connect,
)
from tests.factories import joint_intake
from tests.store.conftest import PEER_CODE, PEER_NAME, exchange

CHAINS = {
    "own": (PEER_CODE, PEER_CODE),
    "foreign": (STATION_CODE, STATION_CODE),
    "own-on-foreign-case": (PEER_CODE, STATION_CODE),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A peer store holding three chains of at least four events each, and its key."""
    root = tmp_path_factory.mktemp("chains")
    station = init_station(root / "station", STATION_CODE, STATION_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD,
                           FixedClock(START), FAST_KDF)  # fmt: skip
    peer = init_station(root / "peer", PEER_CODE, PEER_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD, FixedClock(START),
                        FAST_KDF)  # fmt: skip
    try:
        nos = [case_service.intake(station, joint_intake(name=n)).case_no for n in ("张伟", "李娜")]
        exchange(station, peer)
        settings_service.set_setting(peer, "station_phone", "0457-2719999")
        for no in nos:
            case_service.perform(peer, no, "route", {"reason": "首位受理人在本站之外,由本站分流。"})  # 首问责任制
            case_service.perform(peer, no, "sign", {"dept": "tax"})
        assert exchange(peer, station).committed
        key = peer.store.key
    finally:
        station.close()
        peer.close()
    return root / "peer", key


@pytest.fixture
def store(template: tuple[Path, bytes], tmp_path: Path) -> tuple[Path, bytes]:
    target = tmp_path / "peer"
    shutil.copytree(template[0], target)
    return target, template[1]


def _rows(data_dir: Path, key: bytes, chain: tuple[str, str]) -> list[dict[str, Any]]:
    conn = sqlcipher_connect(db_path(data_dir), key)
    cur = conn.execute("SELECT seq, uuid, origin_seq FROM events WHERE origin = ? AND stream = ? ORDER BY origin_seq",
                       chain)  # fmt: skip
    rows = [{"seq": r[0], "uuid": r[1], "origin_seq": r[2]} for r in cur.fetchall()]
    conn.close()
    return rows


def _tamper(data_dir: Path, key: bytes, *statements: tuple[str, tuple[Any, ...]]) -> None:
    conn = sqlcipher_connect(db_path(data_dir), key)
    conn.execute("BEGIN")
    for sql, params in statements:
        conn.execute(sql, params)
    conn.execute("COMMIT")
    conn.close()


def _verify(data_dir: Path) -> audit_service.ChainReport:
    session = login(data_dir, ADMIN, ADMIN_PASSWORD, FixedClock(START))
    try:
        return audit_service.verify(session)
    finally:
        session.close()


def test_an_untouched_store_with_several_chains_verifies(store: tuple[Path, bytes]) -> None:
    data_dir, _ = store
    report = _verify(data_dir)
    assert report.ok, report
    assert {(c.origin, c.stream) for c in report.chains} == set(CHAINS.values())
    assert all(c.count >= 4 for c in report.chains)
    assert report.ledger is not None and report.ledger.ok and report.ledger.count == report.count
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 0 and json.loads(proc.stdout)["ok"] is True


@pytest.mark.parametrize("chain", sorted(CHAINS))
@pytest.mark.parametrize("damage", ["modified", "deleted", "reordered", "truncated"])
def test_damage_in_any_chain_is_caught_at_its_first_bad_event(
    store: tuple[Path, bytes], chain: str, damage: str
) -> None:
    data_dir, key = store
    origin, stream = CHAINS[chain]
    rows = _rows(data_dir, key, (origin, stream))
    middle, after, last = rows[1], rows[2], rows[-1]
    if damage == "modified":
        _tamper(data_dir, key, ("UPDATE events SET at = '2025-11-21T09:00:00+08:00' WHERE seq = ?", (middle["seq"],)))
        expect = middle
    elif damage == "deleted":
        _tamper(data_dir, key, ("DELETE FROM events WHERE seq = ?", (middle["seq"],)))
        expect = after
    elif damage == "reordered":  # two events swap places in their chain
        _tamper(
            data_dir,
            key,
            ("UPDATE events SET origin_seq = -1 WHERE seq = ?", (middle["seq"],)),
            ("UPDATE events SET origin_seq = ? WHERE seq = ?", (middle["origin_seq"], after["seq"])),
            ("UPDATE events SET origin_seq = ? WHERE seq = ?", (after["origin_seq"], middle["seq"])),
        )
        expect = after
    else:  # with the anchor removed too (as one holding the key could): the open check cannot see it
        _tamper(data_dir, key, ("DELETE FROM events WHERE seq = ?", (last["seq"],)),
                ("DELETE FROM meta WHERE key = ?", (ANCHORED_META,)))  # fmt: skip
        anchor_path(db_path(data_dir)).unlink()
        expect = None
    report = _verify(data_dir)
    assert not report.ok
    broken = [(c.origin, c.stream) for c in report.broken]
    assert broken == [(origin, stream)], report  # the other chains stay good
    (bad,) = report.broken
    assert bad.reason
    if expect is None:
        assert bad.bad_uuid is None and "截断" in bad.reason
    else:
        assert (bad.bad_uuid, bad.bad_seq) == (expect["uuid"], expect["seq"])
        assert (report.bad_uuid, report.bad_seq) == (expect["uuid"], expect["seq"])
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ok"] is False and [(c["origin"], c["stream"]) for c in out["broken"]] == [(origin, stream)]


def test_a_ledger_edit_is_caught_even_when_every_chain_holds(store: tuple[Path, bytes]) -> None:
    data_dir, key = store
    rows = _rows(data_dir, key, CHAINS["foreign"])
    _tamper(data_dir, key, ("UPDATE events SET bundle_id = 'forged' WHERE seq = ?", (rows[2]["seq"],)))
    report = _verify(data_dir)
    assert not report.ok and report.broken == ()
    assert report.ledger is not None and not report.ledger.ok and report.bad_seq == rows[2]["seq"]
