"""The payload format, paper numbers, punctuation, the shipped font, the benchmark, Qt-freeness."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from station_app.documents.bench import bench_paper
from station_app.documents.flow import cjk_punct
from station_app.documents.fonts import FONT_FILE, FONT_LICENSE, FONT_NAME, has_glyph, register_fonts
from station_app.documents.payload import PaperKind, QrFields, format_paper_no, paper_prefix, unb64
from station_app.resources import resource_path
from station_app.services.case_service import intake, perform
from station_app.services.session import Session
from tests.conftest import ROOT, event_count
from tests.factories import not_accepted_intake, refer_intake


def test_fields_round_trip() -> None:
    f = QrFields(
        "232701100001",
        PaperKind.ASSIGNMENT,
        2025,
        17,
        2,
        "232701100001-2025-000003",
        date(2025, 11, 20),
        "hrss",
        date(2025, 11, 27),
        "AAAAAAAAAAAAAAAA",
    )
    assert QrFields.decode(f.encode()) == f
    assert f.paper_no == "漠西调交〔2025〕17号"
    assert f.to_json()["addressee_label"] == "漠河市人力资源和社会保障局"
    with pytest.raises(ValueError):
        QrFields("a|b", PaperKind.RECEIPT, 2025, 1, 0, "", date(2025, 1, 1), "payer", None, "x").encode()


def test_paper_prefixes() -> None:
    assert paper_prefix("232701100001", PaperKind.RECEIPT) == "漠西调受"
    assert paper_prefix("232701101002", PaperKind.REPLY) == "漠图2调复"  # second station of 图强镇
    assert format_paper_no("232701105001", PaperKind.REPORT, 2026, 3) == "漠古调统〔2026〕3号"
    assert len({k.code for k in PaperKind}) == len(PaperKind)


def test_base64_must_be_canonical() -> None:
    assert unb64("QQ") == b"A"
    with pytest.raises(ValueError):
        unb64("QR")  # same bytes, unused bits set


def test_full_width_punctuation() -> None:
    """Chinese sentences print full-width marks; numbers, times and Latin text keep theirs."""
    assert cjk_punct("经审核,属于(12345热线):电话:0457-2812345") == (
        "经审核\uff0c属于\uff0812345热线\uff09\uff1a电话\uff1a0457-2812345"
    )
    assert cjk_punct("9:30 8:30-11:30,13:30") == "9:30 8:30-11:30,13:30"
    money = cjk_punct("金额12,000.00元, 期间在2024-04-01之后;仅涉及")
    assert money == "金额12,000.00元\uff0c期间在2024-04-01之后\uff1b仅涉及"
    assert cjk_punct("受理时间 9:30,请核实?") == "受理时间 9:30\uff0c请核实\uff1f"


def test_font_ships_with_licence_and_registers_once() -> None:
    font = resource_path(*FONT_FILE)
    licence = resource_path(*FONT_LICENSE).read_text(encoding="utf-8")
    assert font.is_file() and font.stat().st_size > 4_000_000
    assert "Apache License" in licence and "Version 2.0" in licence and "WenQuanYi" in licence
    assert register_fonts() == register_fonts() == FONT_NAME
    assert all(has_glyph(ch) for ch in "漠河市〔〕号第页共□—·")


def test_bench_paper(station: Session) -> None:
    refused = intake(station, not_accepted_intake()).case_no
    perform(station, refused, "route", {})
    intake(station, refer_intake())
    before = event_count(station)
    p95 = bench_paper(station, refused, n=5)  # a not-accepted case takes no receipt: another is used
    assert 0 < p95 < 5000
    assert event_count(station) == before + 6


def test_documents_stay_qt_free() -> None:
    code = (
        "import sys, station_app.documents.registry, station_app.documents.report, station_app.documents.cli,"
        " station_app.services.paper_service, station_app.services.stats_service;"
        " assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_cli_does_not_load_reportlab_to_start() -> None:
    code = "import sys, station_app.cli; station_app.cli._load_extras(); assert 'reportlab' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
