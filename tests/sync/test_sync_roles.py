"""Who may run what (DESIGN.md "Sync and city command line"), routing on a shared stick, and
replayed or out-of-order bundles imported without a duplicate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ADMIN
from tests.factories import major_intake, refer_intake, submit_city_intake
from tests.sync.cityhelp import CITY_ADMIN, CITY_CODE, World, cli, make_world, ok, open_store

A, B = "232701100001", "232701101001"
WORKER, COORD = "wangli", "zhaomin"


def _one_line_refusal(result: object) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert len(str(result.stderr).strip().splitlines()) == 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    w = make_world(tmp_path_factory.mktemp("roles"), (A, B))
    ok(cli("users", "add", WORKER, "--role", "worker", data_dir=w.stations[A], user=ADMIN,
           STATION_NEW_PASSWORD="worker-pass-123"))  # fmt: skip
    ok(cli("users", "add", COORD, "--role", "coordinator", data_dir=w.city, user=CITY_ADMIN,
           STATION_NEW_PASSWORD="coord-pass-123"))  # fmt: skip
    return w


def test_who_may_run_what(world: World, tmp_path: Path) -> None:
    w = world
    station = w.stations[A]
    as_worker = {"user": WORKER, "password": "worker-pass-123"}
    as_coord = {"user": COORD, "password": "coord-pass-123"}
    _one_line_refusal(cli("sync", "identity", "--out", str(tmp_path / "id.json"), data_dir=station, **as_worker))
    assert not (tmp_path / "id.json").exists()
    assert ok(cli("sync", "status", "--json", data_dir=station, **as_worker))["peers"][0]["peer"] == CITY_CODE
    ok(cli("sync", "export", "--to", str(w.stick()), data_dir=station, **as_worker))
    _one_line_refusal(cli("users", "add", "x1", "--role", "coordinator", data_dir=station, user=ADMIN,
                          STATION_NEW_PASSWORD="x1-pass-1234"))  # fmt: skip
    _one_line_refusal(cli("city", "stations", "--json", data_dir=station, user=ADMIN))
    _one_line_refusal(cli("users", "add", "x2", "--role", "worker", data_dir=w.city, user=CITY_ADMIN,
                          STATION_NEW_PASSWORD="x2-pass-1234"))  # fmt: skip

    assert len(ok(cli("city", "stations", "--json", data_dir=w.city, **as_coord))) == 2
    ok(cli("sync", "status", "--json", data_dir=w.city, **as_coord))
    out = tmp_path / "p.json"
    _one_line_refusal(cli("city", "provision", "--station-code", "232701103001", "--station-name", "站",
                          "--town-code", "232701103", "--out", str(out), data_dir=w.city, **as_coord))  # fmt: skip
    _one_line_refusal(cli("city", "keyring", "--out", str(out), data_dir=w.city, **as_coord))
    _one_line_refusal(cli("city", "revoke", A, "--reason", "试", data_dir=w.city, **as_coord))
    assert not out.exists()
    stdin = json.dumps(refer_intake(), ensure_ascii=False)
    _one_line_refusal(cli("case", "add", data_dir=w.city, user=CITY_ADMIN, stdin=stdin))

    # a bound station does not record the city's own acts: they come down from the city
    case_no = ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=json.dumps(submit_city_intake())))["case_no"]
    ok(cli("case", "act", case_no, "route", data_dir=station, user=ADMIN, stdin="{}"))
    assign = json.dumps({"lead": "tax", "document_no": "漠营商交〔2025〕7号"}, ensure_ascii=False)
    _one_line_refusal(cli("case", "act", case_no, "city_assign", data_dir=station, user=ADMIN, stdin=assign))
    major = ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=json.dumps(major_intake())))["case_no"]
    ok(cli("case", "act", major, "route", data_dir=station, user=ADMIN, stdin="{}"))
    decision = json.dumps({"approver": "王副市长", "date": "2025-11-20", "document_no": "漠争议领〔2025〕3号"},
                          ensure_ascii=False)  # fmt: skip
    _one_line_refusal(cli("case", "act", major, "approve", data_dir=station, user=ADMIN, stdin=decision))

    # up to the city; its coordinator assigns and approves; a station-only act is refused there
    ok(cli("sync", "import", ok(cli("sync", "export", "--to", str(w.stick("r")), data_dir=station, user=ADMIN))
           ["bundles"][0]["file"], data_dir=w.city, user=CITY_ADMIN))  # fmt: skip
    assert (
        ok(cli("case", "act", case_no, "city_assign", data_dir=w.city, stdin=assign, **as_coord))["status"] == "routed"
    )
    assert (
        ok(cli("case", "act", major, "approve", data_dir=w.city, stdin=decision, **as_coord))["status"] == "in_progress"
    )
    _one_line_refusal(cli("case", "act", major, "withdraw", data_dir=w.city, stdin="{}", **as_coord))
    session = open_store(w.city, CITY_ADMIN)
    try:
        from sqlalchemy import text

        from station_app.store.db import read

        with read(session.store.engine) as conn:
            rows = conn.execute(text("SELECT origin, stream, author FROM events WHERE type = 'city_assigned'")).all()
    finally:
        session.close()
    assert [tuple(r) for r in rows] == [(f"city:{CITY_CODE}", A, f"city:{CITY_CODE}/{COORD}")]


def test_the_stick_carries_bundles_for_several_stations(world: World) -> None:
    w = world
    stick = w.stick("shared")
    for code in (A, B):
        stdin = json.dumps(submit_city_intake(name="孙七"), ensure_ascii=False)
        case_no = ok(cli("case", "add", data_dir=w.stations[code], user=ADMIN, stdin=stdin))["case_no"]
        ok(cli("case", "act", case_no, "route", data_dir=w.stations[code], user=ADMIN, stdin="{}"))
        ok(cli("sync", "export", "--to", str(stick), data_dir=w.stations[code], user=ADMIN))
    up = ok(cli("sync", "import", str(stick), data_dir=w.city, user=CITY_ADMIN))
    assert up["bundles"] == 2 and up["refused"] == []
    for code in (A, B):
        rows = ok(
            cli("case", "list", "--json", "--station", code, "--search", "孙七", data_dir=w.city, user=CITY_ADMIN)
        )
        (row,) = rows
        assign = json.dumps({"lead": "hrss", "document_no": f"漠营商交〔2025〕{code[-3:]}号"}, ensure_ascii=False)
        ok(cli("case", "act", row["case_no"], "city_assign", data_dir=w.city, user=CITY_ADMIN, stdin=assign))
    down = w.stick("down-shared")
    back = ok(cli("sync", "export", "--to", str(down), data_dir=w.city, user=CITY_ADMIN))
    assert sorted(b["recipient"] for b in back["bundles"]) == [A, B]
    for_b = next(b["file"] for b in back["bundles"] if b["recipient"] == B)
    at_a = ok(cli("sync", "import", str(down), data_dir=w.stations[A], user=ADMIN))
    assert at_a["bundles"] == 1 and at_a["skipped"] == [{"file": for_b, "reason": "other_recipient"}]
    single = cli("sync", "import", for_b, data_dir=w.stations[A], user=ADMIN)
    assert single.returncode == 2 and json.loads(single.stdout)["fields"] == {"bundle": "wrong_recipient"}
    only_b = ok(cli("sync", "export", "--to", str(w.stick("only-b")), "--station", B, data_dir=w.city,
                    user=CITY_ADMIN))  # fmt: skip
    assert [b["recipient"] for b in only_b["bundles"]] == [B]
    missing = cli("sync", "export", "--to", str(w.root / "no-such-stick"), data_dir=w.city, user=CITY_ADMIN)
    assert missing.returncode == 2 and "to" in json.loads(missing.stdout)["fields"]
    assert not (w.root / "no-such-stick").exists()
    gone = cli("sync", "import", str(w.root / "no-such-stick"), data_dir=w.city, user=CITY_ADMIN)
    assert gone.returncode == 2 and "path" in json.loads(gone.stdout)["fields"]


def test_replayed_and_out_of_order_bundles_add_no_duplicate(world: World) -> None:
    w = world
    station = w.stations[B]
    sticks = []
    for n in range(3):
        stdin = json.dumps(refer_intake(name=f"周{n}"), ensure_ascii=False)
        ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=stdin))
        sticks.append(ok(cli("sync", "export", "--to", str(w.stick(f"o{n}")), data_dir=station, user=ADMIN)))
    files = [s["bundles"][0]["file"] for s in sticks]
    counts = [s["bundles"][0]["events"] for s in sticks]
    assert counts[0] < counts[1] < counts[2]  # cumulative until acknowledged
    held = ok(cli("city", "stations", "--json", data_dir=w.city, user=CITY_ADMIN))
    before = next(s["events_held"] for s in held if s["station_code"] == B)
    totals = {"events": 0, "duplicates": 0, "already_imported": 0}
    for file in (files[1], files[2], files[0], files[2]):  # out of order, then a replay
        got = ok(cli("sync", "import", file, data_dir=w.city, user=CITY_ADMIN))
        for key in totals:
            totals[key] += got[key]
    after = next(s["events_held"] for s in ok(cli("city", "stations", "--json", data_dir=w.city, user=CITY_ADMIN))
                 if s["station_code"] == B)  # fmt: skip
    assert after == counts[2]  # nothing was acknowledged at B yet: its whole chain, held once
    assert totals["events"] == after - before
    assert totals["duplicates"] == counts[1] + counts[2] + counts[0] - totals["events"]
    assert totals["already_imported"] == 1
    assert ok(cli("audit", "verify", data_dir=w.city, user=CITY_ADMIN))["ok"] is True
