"""The bundle figures of `station-app bench` come from a real export and import (a small N)."""

from __future__ import annotations

from pathlib import Path

from sync.exchange_bench import FOLLOW_UPS, bundle_figures


def test_bundle_figures_come_from_a_full_export_and_import(tmp_path: Path) -> None:
    figures = bundle_figures(20, tmp_path)
    assert figures["bundle_cases"] == 20
    assert figures["bundle_events"] >= 20 * (1 + FOLLOW_UPS)  # the cases, their notes and the station's set-up
    assert figures["bundle_files"] == 1
    assert figures["bundle_bytes"] > 20 * 300
    assert figures["bundle_export_s"] > 0 and figures["bundle_import_s"] > 0
