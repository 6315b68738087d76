"""The hash-chained event log is tamper-evident, and projections rebuild identically."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

from sqlalchemy import text

from station_app.services import audit_service, case_service, query_service
from station_app.services.query_service import CaseQuery
from station_app.services.session import Session
from station_app.store.db import read
from station_app.store.events import canonical_json, envelope_hash, iter_events
from station_app.store.station_store import db_path
from station_app.synthetic import make_intake
from tests.conftest import ADMIN, run_cli, sqlcipher_connect
from tests.factories import joint_intake, random_walk, refer_intake


def _worked_station(station: Session) -> list[str]:
    nos = [case_service.intake(station, joint_intake(name=n)).case_no for n in ("张伟", "李娜", "王芳")]
    for no in nos:
        case_service.perform(station, no, "route")
        case_service.perform(station, no, "opinion", {"dept": "tax", "text": "经核查,单位少报工资属实。"})
    return nos


def _seq_of(station: Session, type_: str) -> int:
    with read(station.store.engine) as conn:
        return int(
            conn.execute(
                text("SELECT seq FROM events WHERE type = :t ORDER BY seq LIMIT 1 OFFSET 1"), {"t": type_}
            ).scalar_one()
        )


def _tamper(station: Session, data_dir: Path, sql: str, **params: object) -> None:
    conn = sqlcipher_connect(db_path(data_dir), station.store.key)
    conn.execute(sql, params)
    conn.close()


def test_untampered_log_verifies(station: Session) -> None:
    _worked_station(station)
    report = audit_service.verify(station)
    assert report.ok and report.bad_seq is None
    with read(station.store.engine) as conn:
        assert report.count == conn.execute(text("SELECT count(*) FROM events")).scalar_one()


def test_editing_one_payload_fails_exactly_at_that_event(station: Session, data_dir: Path) -> None:
    _worked_station(station)
    seq = _seq_of(station, "opinion_recorded")
    _tamper(station, data_dir, "UPDATE events SET payload = replace(payload, '属实', '不实') WHERE seq = :s", s=seq)
    report = audit_service.verify(station)
    assert not report.ok
    assert report.bad_seq == seq
    station.close()
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["ok"] is False and out["bad_seq"] == seq
    assert "Traceback" not in proc.stderr


def test_editing_an_intake_row_fails_at_the_registration(station: Session, data_dir: Path) -> None:
    _worked_station(station)
    seq = _seq_of(station, "case_registered")
    _tamper(
        station, data_dir, "UPDATE events SET payload = replace(payload, '12000.00', '99000.00') WHERE seq = :s", s=seq
    )
    report = audit_service.verify(station)
    assert (report.ok, report.bad_seq) == (False, seq)


def test_rehashing_the_edited_event_is_caught_at_the_next_one(station: Session, data_dir: Path) -> None:
    _worked_station(station)
    seq = _seq_of(station, "opinion_recorded")
    with read(station.store.engine) as rconn:
        ev = next(e for e in iter_events(rconn) if e.seq == seq)
    forged_payload = {**ev.payload, "text": ev.payload["text"].replace("属实", "不实")}
    forged = envelope_hash(ev.prev_hash, replace(ev.envelope(), payload=forged_payload))
    conn = sqlcipher_connect(db_path(data_dir), station.store.key)
    conn.execute("UPDATE events SET payload = ?, hash = ? WHERE seq = ?", (canonical_json(forged_payload), forged, seq))
    conn.close()
    report = audit_service.verify(station)
    assert not report.ok
    assert report.bad_seq == seq + 1


def test_deleting_the_last_event_is_detected(station: Session, data_dir: Path) -> None:
    _worked_station(station)
    _tamper(station, data_dir, "DELETE FROM events WHERE seq = (SELECT max(seq) FROM events)")
    assert not audit_service.verify(station).ok
    station.close()
    proc = run_cli("audit", "verify", data_dir=data_dir, user=ADMIN)
    # the anchor beside the database already records that event: the store refuses to open
    assert proc.returncode == 1 and "数据库比上次确认保存的状态旧" in proc.stderr


def test_deleting_a_middle_event_is_detected_at_its_successor(station: Session, data_dir: Path) -> None:
    _worked_station(station)
    seq = _seq_of(station, "case_routed")
    _tamper(station, data_dir, "DELETE FROM events WHERE seq = :s", s=seq)
    report = audit_service.verify(station)
    assert (report.ok, report.bad_seq) == (False, seq + 1)


def test_rebuild_gives_identical_projections_after_many_actions(station: Session, data_dir: Path) -> None:
    rng = random.Random(5)
    nos = [case_service.intake(station, make_intake(rng)).case_no for _ in range(40)]
    nos.append(case_service.intake(station, refer_intake(name="张伟")).case_no)
    done: list[str] = []
    for no in nos:
        done += random_walk(station, no, rng, steps=9)
    assert len(set(done)) >= 12, sorted(set(done))  # the walk covered most kinds of action
    with read(station.store.engine) as conn:
        before = audit_service.fingerprint(conn)
    result = audit_service.rebuild_projections(station)
    assert result["identical"] is True
    assert result["fingerprint"] == before
    assert audit_service.verify(station).ok
    # the search index was rebuilt too
    assert nos[-1] in {c.case_no for c in query_service.list_cases(station, CaseQuery(search="张伟"))}
    assert query_service.count_cases(station) == len(nos)

    # a projection edited behind the log's back is restored from the events
    _tamper(station, data_dir, "UPDATE cases SET status = 'archived', lead = 'court'")
    result = audit_service.rebuild_projections(station)
    assert result["identical"] is False
    assert result["fingerprint"] == before
    station.close()
    proc = run_cli("audit", "rebuild", data_dir=data_dir, user=ADMIN)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["identical"] is True
