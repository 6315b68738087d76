"""The relay load test runs on both databases and reports its figures (a small N here)."""

from __future__ import annotations

from station_app.bench import relay_stations
from sync.relay.bench import relay_bench


def test_relay_bench_reports_p95_on_sqlite_and_postgresql() -> None:
    result = relay_bench(stations=6, polls=2, in_flight=4)
    assert result["relay_stations"] == 6
    for db in ("sqlite", "postgresql"):
        assert result[f"relay_{db}_requests"] == 6 * (2 + 2)  # create + PATCH + two polls each
        assert 0 < result[f"relay_{db}_p50_ms"] <= result[f"relay_{db}_p95_ms"]
        assert result[f"relay_{db}_upload_mb_s"] > 0
    assert result["relay_p95_ms"] == max(result["relay_sqlite_p95_ms"], result["relay_postgresql_p95_ms"])


def test_station_count_scales_with_the_bench_size() -> None:
    assert relay_stations(100_000) == 500
    assert relay_stations(2_000) == 10
