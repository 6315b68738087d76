"""A stick pulled mid-export and a SIGKILL mid-import (SYNC.md §3.7): nothing is marked exported
that is not complete on the stick, and the store holds all or none of each bundle."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from station_app.services.case_service import intake
from station_app.store.db import read
from tests.conftest import ADMIN, ADMIN_PASSWORD, ROOT, loop_count
from tests.factories import refer_intake
from tests.sync.cityhelp import CITY_ADMIN, RECOVERY, cli, cli_env, make_world, ok, open_store

A = "232701100001"


def _bulk_cases(data: Path, count: int, tag: str) -> None:
    session = open_store(data, ADMIN)
    try:
        for n in range(count):
            intake(session, refer_intake(name=f"{tag}{n}"))
    finally:
        session.close()


def _start(*args: str, data_dir: Path, user: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "station_app.cli", "--data-dir", str(data_dir), "--user", user, *args]
    env = cli_env(ADMIN_PASSWORD, STATION_RECOVERY_PASSPHRASE=RECOVERY)
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip


def _kill_after(child: subprocess.Popen[str], seconds: float) -> None:
    time.sleep(seconds)
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGKILL)
    child.communicate(timeout=60)


def _rows(data: Path, user: str, sql: str) -> list[tuple[object, ...]]:
    session = open_store(data, user)
    try:
        with read(session.store.engine) as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        session.close()


def test_export_killed_mid_write_marks_nothing_it_did_not_finish(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    station = w.stations[A]
    _bulk_cases(station, 400, "钱")
    rng = random.Random(5)
    for round_ in range(loop_count(3, 12)):
        stick = w.stick(f"k{round_}")
        child = _start("sync", "export", "--to", str(stick), data_dir=station, user=ADMIN)
        _kill_after(child, rng.uniform(0.2, 2.0))
        finals = {p.name for p in stick.iterdir() if p.name.endswith(".msb")}
        marked = {str(r[0]) for r in _rows(station, ADMIN, "SELECT file FROM sent_bundles")}
        here = {f for f in marked if (stick / f).exists()}
        assert here <= finals  # every bundle recorded as exported from this stick is on it
        for name in finals:  # and every file under a final name is a complete, importable bundle
            got = ok(cli("sync", "import", str(stick / name), data_dir=w.city, user=CITY_ADMIN))
            assert got["bundles"] + got["already_imported"] == 1
        if not finals:
            assert not here
    status = ok(cli("sync", "status", "--json", data_dir=station, user=ADMIN))
    exported = _rows(station, ADMIN, "SELECT count(*) FROM sent_bundles")[0][0]
    assert (status["peers"][0]["last_export"] is None) == (exported == 0)


def test_import_killed_at_random_points_holds_all_or_none_of_each_bundle(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    station = w.stations[A]
    stick = w.stick("big")
    for batch in range(3):
        _bulk_cases(station, 150, f"孙{batch}")
        ok(cli("sync", "export", "--to", str(stick), data_dir=station, user=ADMIN))
    files = sorted(p for p in stick.iterdir() if p.name.endswith(".msb"))
    assert len(files) == 3
    rng = random.Random(9)
    for _ in range(loop_count(3, 15)):
        child = _start("sync", "import", str(stick), data_dir=w.city, user=CITY_ADMIN)
        _kill_after(child, rng.uniform(0.5, 3.0))
        received = {
            str(r[0]): int(r[1]) for r in _rows(w.city, CITY_ADMIN, "SELECT bundle_id, new FROM received_bundles")
        }
        by_bundle = dict(_rows(w.city, CITY_ADMIN, "SELECT bundle_id, count(*) FROM events WHERE bundle_id IS NOT NULL"
                                                   " GROUP BY bundle_id"))  # fmt: skip
        for bundle_id, count in by_bundle.items():
            assert bundle_id in received and received[bundle_id] == count  # all of it, with its record
        for bundle_id, new in received.items():
            assert by_bundle.get(bundle_id, 0) == new  # or none of it
        verified = cli("audit", "verify", data_dir=w.city, user=CITY_ADMIN)
        assert verified.returncode == 0, verified.stdout
    final = ok(cli("sync", "import", str(stick), data_dir=w.city, user=CITY_ADMIN))
    assert final["refused"] == []
    held = _rows(w.city, CITY_ADMIN, f"SELECT count(*), max(origin_seq) FROM events WHERE origin = '{A}'")[0]
    assert held[0] == held[1] == json.loads(cli("audit", "verify", data_dir=station, user=ADMIN).stdout)["events"]
