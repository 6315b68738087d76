"""A city decision and a station change made at the same time: both stores see the same
conflict, a head resolves it with `sync resolve`, and the resolution reaches the city."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ADMIN
from tests.factories import submit_city_intake
from tests.sync.cityhelp import CITY_ADMIN, CITY_CODE, cli, make_world, ok

A = "232701100001"


def _carry(src: Path, src_user: str, dst: Path, dst_user: str, stick: Path) -> dict[str, object]:
    out = ok(cli("sync", "export", "--to", str(stick), data_dir=src, user=src_user))
    assert out["bundles"], out
    return dict(ok(cli("sync", "import", out["bundles"][-1]["file"], data_dir=dst, user=dst_user)))


def test_concurrent_city_assignment_and_station_withdrawal(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    station, city = w.stations[A], w.city
    stdin = json.dumps(submit_city_intake(), ensure_ascii=False)
    case_no = ok(cli("case", "add", data_dir=station, user=ADMIN, stdin=stdin))["case_no"]
    ok(cli("case", "act", case_no, "route", data_dir=station, user=ADMIN, stdin="{}"))
    _carry(station, ADMIN, city, CITY_ADMIN, w.stick("1"))

    assign = json.dumps({"lead": "tax", "document_no": "漠营商交〔2025〕9号"}, ensure_ascii=False)
    ok(cli("case", "act", case_no, "city_assign", data_dir=city, user=CITY_ADMIN, stdin=assign))
    ok(cli("case", "act", case_no, "withdraw", data_dir=station, user=ADMIN, stdin='{"reason": "申请人撤回"}'))

    at_station = _carry(city, CITY_ADMIN, station, ADMIN, w.stick("2"))
    at_city = _carry(station, ADMIN, city, CITY_ADMIN, w.stick("3"))
    assert at_station["conflicts"] == 1 and at_city["conflicts"] == 1
    for data, user in ((station, ADMIN), (city, CITY_ADMIN)):
        (conflict,) = ok(cli("sync", "conflicts", "--json", data_dir=data, user=user))
        assert conflict["case_no"] == case_no and conflict["state"] == "open"
        assert {v["type"] for v in conflict["versions"]} == {"city_assigned", "case_withdrawn"}
    status = ok(cli("sync", "status", "--json", data_dir=station, user=ADMIN))["peers"][0]
    assert status["peer"] == CITY_CODE and status["conflicts"] == 1

    done = ok(cli("sync", "resolve", case_no, "--choose", "local", "--reason", "申请人已撤回", data_dir=station,
                  user=ADMIN))  # fmt: skip
    assert done["chosen"] == "local" and done["resolved"] == 1
    assert ok(cli("case", "show", case_no, "--json", data_dir=station, user=ADMIN))["status"] == "withdrawn"
    _carry(station, ADMIN, city, CITY_ADMIN, w.stick("4"))
    (settled,) = ok(cli("sync", "conflicts", "--json", data_dir=city, user=CITY_ADMIN))
    assert settled["state"] == "resolved"
    assert ok(cli("case", "show", case_no, "--json", data_dir=city, user=CITY_ADMIN))["status"] == "withdrawn"
    again = cli("sync", "resolve", case_no, "--choose", "incoming", data_dir=station, user=ADMIN)
    assert again.returncode == 1
