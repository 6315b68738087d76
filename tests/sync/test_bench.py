"""The bundle micro-benchmark runs and reports its figures (a small N here)."""

from __future__ import annotations

from sync.bench import bundle_bench, synthetic_events


def test_synthetic_events_look_like_a_station_chain() -> None:
    events = synthetic_events(12)
    assert [e["origin_seq"] for e in events] == list(range(1, 13))
    assert [e["type"] for e in events].count("case_registered") == 2
    assert len({e["hash"] for e in events}) == 12


def test_bundle_bench_reports_times_and_sizes() -> None:
    result = bundle_bench(300, runs=1)
    assert result["events"] == 300 and result["bundles"] == 1
    assert 0 < result["bundle_bytes"] < result["plain_bytes"]
    for key in ("export_s", "import_s", "json_encode_s", "json_parse_s"):
        assert result[key] > 0
