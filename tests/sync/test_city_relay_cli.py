"""`city relay`: the relay the city syncs through, shown to a coordinator, set or cleared by the
city's admin; an address that is no http(s) URL is refused and nothing changes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sync.cityhelp import CITY_ADMIN, cli, make_city, ok


def test_the_city_admin_sets_and_clears_the_relay(tmp_path: Path) -> None:
    city, _out = make_city(tmp_path)
    assert ok(cli("city", "relay", data_dir=city, user=CITY_ADMIN)) == {"relay": None}
    refused = cli("city", "relay", "--set", "ftp://relay.mohe.example", data_dir=city, user=CITY_ADMIN)
    assert refused.returncode == 2 and "relay_url" in json.loads(refused.stdout.splitlines()[-1])["fields"]
    assert ok(cli("city", "relay", data_dir=city, user=CITY_ADMIN)) == {"relay": None}
    url = "https://relay.mohe.example:8443"
    assert ok(cli("city", "relay", "--set", url, data_dir=city, user=CITY_ADMIN)) == {"relay": url}
    assert ok(cli("city", "relay", data_dir=city, user=CITY_ADMIN)) == {"relay": url}
    audit = cli("audit", "verify", data_dir=city, user=CITY_ADMIN)
    assert audit.returncode == 0, audit.stdout + audit.stderr  # the change is an event in a sound log
    assert ok(cli("city", "relay", "--clear", data_dir=city, user=CITY_ADMIN)) == {"relay": None}
