"""Sync by USB stick through the command line: provision, enroll, cases up to the city, the
city's acts back down, both audit chains intact (DESIGN.md "Sync and city command line")."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ADMIN
from tests.factories import refer_intake, submit_city_intake
from tests.sync.cityhelp import CITY_ADMIN, CITY_CODE, cli, make_world, ok, store_secret

CODE = "232701100001"


def _add(data: Path, intake: dict[str, object]) -> str:
    stdin = json.dumps(intake, ensure_ascii=False)
    return str(ok(cli("case", "add", data_dir=data, user=ADMIN, stdin=stdin))["case_no"])


def test_cases_go_up_and_the_city_acts_come_back_down(tmp_path: Path) -> None:
    w = make_world(tmp_path)
    station, city = w.stations[CODE], w.city
    submitted = _add(station, submit_city_intake())
    ok(cli("case", "act", submitted, "route", data_dir=station, user=ADMIN, stdin="{}"))
    refer = _add(station, refer_intake(name="李四"))

    up = w.stick("up")
    exported = ok(cli("sync", "export", "--to", str(up), data_dir=station, user=ADMIN))
    assert len(exported["bundles"]) == 1
    bundle = exported["bundles"][0]
    assert bundle["recipient"] == CITY_CODE and bundle["events"] > 0
    assert bundle["file"].startswith(str(up)) and bundle["file"].endswith(".msb") and Path(bundle["file"]).is_file()

    imported = ok(cli("sync", "import", str(up), data_dir=city, user=CITY_ADMIN))
    assert imported["bundles"] == 1 and imported["events"] == bundle["events"]
    assert imported["refused"] == [] and imported["skipped"] == [] and imported["already_imported"] == 0
    rows = ok(cli("case", "list", "--json", "--station", CODE, data_dir=city, user=CITY_ADMIN))
    assert {r["case_no"] for r in rows} == {submitted, refer}
    assert {r["station_code"] for r in rows} == {CODE}
    assert ok(cli("case", "list", "--json", "--station", "232799999999", data_dir=city, user=CITY_ADMIN)) == []
    assert len(ok(cli("case", "list", "--json", "--limit", "1", data_dir=city, user=CITY_ADMIN))) == 1
    stations = ok(cli("city", "stations", "--json", data_dir=city, user=CITY_ADMIN))
    assert stations[0]["events_held"] >= bundle["events"] and stations[0]["last_bundle_at"]

    assign = {"lead": "tax", "co": ["hrss"], "document_no": "漠营商交〔2025〕12号"}
    after = ok(cli("case", "act", submitted, "city_assign", data_dir=city, user=CITY_ADMIN, stdin=json.dumps(assign)))
    assert after["status"] == "routed"
    opinion = {"dept": "tax", "text": "经核查,单位已按规定申报。"}
    ok(cli("case", "act", submitted, "opinion", data_dir=city, user=CITY_ADMIN, stdin=json.dumps(opinion)))

    down = w.stick("down")
    back = ok(cli("sync", "export", "--to", str(down), data_dir=city, user=CITY_ADMIN))
    assert [b["recipient"] for b in back["bundles"]] == [CODE]
    assert back["bundles"][0]["events"] == 3  # the assignment, the opinion, the keyring naming the station
    assert store_secret(station, ADMIN, "keyring_version") == "1"  # the one in the provisioning file
    got = ok(cli("sync", "import", str(down), data_dir=station, user=ADMIN))
    assert got["events"] == 3 and got["bundles"] == 1
    assert store_secret(station, ADMIN, "keyring_version") == "2"  # the city's newest, after enrolment

    shown = ok(cli("case", "show", submitted, "--json", data_dir=station, user=ADMIN))
    assert shown["status"] == "in_progress" and shown["lead"] == "tax"
    tax = next(d for d in shown["departments"] if d["dept"] == "tax")
    assert tax["opinion"] == opinion["text"]
    status = ok(cli("sync", "status", "--json", data_dir=station, user=ADMIN))
    (peer,) = status["peers"]
    assert peer["peer"] == CITY_CODE and peer["events_waiting"] == 0
    assert peer["last_ack"]["through_seq"] > 0 and peer["last_export"]

    # the station's acks advanced: an ack-only bundle, then nothing is due
    acks = ok(cli("sync", "export", "--to", str(up), data_dir=station, user=ADMIN))
    assert [b["events"] for b in acks["bundles"]] == [0]
    ok(cli("sync", "import", acks["bundles"][0]["file"], data_dir=city, user=CITY_ADMIN))
    assert ok(cli("sync", "export", "--to", str(up), data_dir=station, user=ADMIN)) == {"bundles": []}
    assert ok(cli("sync", "export", "--to", str(down), data_dir=city, user=CITY_ADMIN)) == {"bundles": []}
    city_status = ok(cli("sync", "status", "--json", data_dir=city, user=CITY_ADMIN))
    assert city_status["peers"][0]["last_ack"]["through_seq"] == 2  # both events of (city, station)

    for data, user in ((station, ADMIN), (city, CITY_ADMIN)):
        verified = ok(cli("audit", "verify", data_dir=data, user=user))
        assert verified["ok"] is True
