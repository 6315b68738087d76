"""绩效考评 (五(四)): per-station, per-department (as lead and as co-handler) and per-worker
timeliness on a station whose every deadline is known.

Calendar (2025): Thu 11-20 intake; routing due 11-21; opinions due 5 working days after
routing (11-20 -> 11-27, 11-24 -> 12-01); reply 1 working day after the last opinion; archive 5.
The period is November and December with the clock at 12-10, so `as_of` is 12-10.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from station_app.clock import FixedClock
from station_app.errors import ValidationError
from station_app.services.case_service import intake, perform
from station_app.services.performance_service import compute_performance, parse_period
from station_app.services.station_service import init_station
from station_app.services.stats_service import DeptRoleRow, Performance, compute_stats, print_monthly_report
from station_app.store.log import import_foreign
from tests.conftest import ADMIN, ADMIN_PASSWORD, FAST_KDF, START, TOWN_CODE, run_cli
from tests.documents.conftest import pdf_text
from tests.factories import build_known_station, refer_intake
from tests.services.conftest import Team
from tests.store.conftest import PEER_CODE, PEER_NAME, export

PERIOD = (date(2025, 11, 1), date(2025, 12, 31))
WORKER, HEAD = "shouliyuan", "zhanzhang"


@dataclass(frozen=True)
class Fixture:
    team: Team
    cases: dict[str, str]


@pytest.fixture
def known(team: Team, clock: FixedClock) -> Fixture:
    return Fixture(team, build_known_station(team.worker, team.head, clock))


def _dept(perf: Performance, code: str, role: str) -> DeptRoleRow:
    return next(r for r in perf.departments if (r.code, r.role) == (code, role))


def test_departments_as_lead_and_as_co_handler(known: Fixture) -> None:
    """四(二): each department owes its written opinion within its own time limit; 五(四) counts
    on-time and overdue opinions, returns, extensions and clue transfers per department, as
    lead and as co-handler separately."""
    perf = compute_performance(known.team.head, *PERIOD)
    assert perf.as_of == date(2025, 12, 10)
    assert [(r.code, r.role) for r in perf.departments] == [
        ("tax", "lead"),
        ("tax", "co"),
        ("hrss", "lead"),
        ("hrss", "co"),
    ]
    tax_lead = _dept(perf, "tax", "lead")  # A, C, F on time; E late; B returned (not due)
    assert (tax_lead.due, tax_lead.given, tax_lead.on_time, tax_lead.late, tax_lead.overdue_open) == (4, 4, 3, 1, 0)
    assert (tax_lead.returns, tax_lead.extensions, tax_lead.clue_transfers) == (1, 0, 1)
    assert tax_lead.on_time_rate == 0.75 and tax_lead.overdue_rate == 0.25
    tax_co = _dept(perf, "tax", "co")  # M late
    assert (tax_co.due, tax_co.on_time, tax_co.overdue) == (1, 0, 1)
    assert tax_co.on_time_rate == 0.0 and tax_co.overdue_rate == 1.0
    hrss_lead = _dept(perf, "hrss", "lead")  # K handled on time, M on time
    assert (hrss_lead.due, hrss_lead.on_time, hrss_lead.overdue) == (2, 2, 0)
    assert hrss_lead.on_time_rate == 1.0 and hrss_lead.label == "漠河市人力资源和社会保障局"
    hrss_co = _dept(perf, "hrss", "co")  # A on time (extended), C late, F never
    assert (hrss_co.due, hrss_co.on_time, hrss_co.late, hrss_co.overdue_open, hrss_co.pending) == (3, 1, 1, 1, 0)
    assert hrss_co.extensions == 1 and hrss_co.returns == 0
    assert hrss_co.on_time_rate == pytest.approx(1 / 3) and hrss_co.overdue_rate == pytest.approx(2 / 3)
    lead_total = perf.department_total("lead")
    assert (lead_total.due, lead_total.on_time, lead_total.overdue) == (6, 5, 1)


def test_workers_routing_reply_and_archive(known: Fixture) -> None:
    """四(一) 首问责任制: the first receiver routes within the first working day, and the station's
    reply and archive keep their deadlines; counted per worker."""
    perf = compute_performance(known.team.worker, *PERIOD)
    rows = {r.name: r for r in perf.workers}
    assert sorted(rows) == [WORKER, HEAD]
    w = rows[WORKER]  # A B C F K M
    assert w.cases == 6
    assert (w.routing_on_time, w.routing_late) == (5, 1)  # F routed on 11-24
    assert (w.reply_on_time, w.reply_late) == (1, 2)  # A on time; C late; M waiting past 12-02
    assert (w.archive_on_time, w.archive_late) == (2, 0)  # A, K; C's archive is due 12-10
    assert w.routing_rate == pytest.approx(5 / 6) and w.reply_rate == pytest.approx(1 / 3) and w.archive_rate == 1
    h = rows[HEAD]  # E G
    assert (h.cases, h.routing_on_time, h.routing_late) == (2, 1, 1)  # G never routed
    assert (h.reply_on_time, h.reply_late, h.reply_rate) == (0, 0, None)  # a refer matter: no reply of ours
    assert (h.archive_on_time, h.archive_late) == (0, 1)  # E due 12-08
    total = perf.worker_total()
    assert (total.cases, total.routing_on_time, total.routing_late) == (8, 6, 2)


def test_station_totals(known: Fixture) -> None:
    """Per station (the cases' station code): one row on a station store."""
    perf = compute_performance(known.team.head, *PERIOD)
    assert [s.code for s in perf.stations] == [known.team.head.station_code]
    s = perf.stations[0]
    assert s.label == known.team.head.station_name
    assert (s.total, s.accepted, s.resolved) == (8, 8, 4)  # A K archived, C E replied
    assert (s.concluded, s.on_time) == (4, 2)  # A K on time; C E late
    assert s.overdue_open == 5  # B (returned), E (archive), F, G, M
    assert (s.opinions_on_time, s.opinions_overdue) == (6, 4)
    assert (s.returns, s.extensions, s.clue_transfers) == (1, 1, 1)
    assert (s.routing_on_time, s.routing_late) == (6, 2)
    assert s.on_time_rate == 0.5 and s.opinion_on_time_rate == 0.6 and s.routing_rate == 0.75
    assert perf.station_total().total == 8
    as_json = perf.to_json()
    assert as_json["stations"][0]["opinion_on_time_rate"] == 0.6
    assert as_json["departments"][3]["overdue_open"] == 1 and as_json["workers"][0]["name"] == WORKER


def test_the_period_limits_the_cases_and_the_deadlines(known: Fixture) -> None:
    """A period ending before the deadlines passed counts nothing as overdue that was not yet
    due then; a period with no cases is empty; a reversed period is refused by field."""
    early = compute_performance(known.team.head, date(2025, 11, 1), date(2025, 11, 21))
    assert early.as_of == date(2025, 11, 21)
    hrss_co = _dept(early, "hrss", "co")
    assert (hrss_co.on_time, hrss_co.late, hrss_co.overdue_open, hrss_co.pending) == (1, 1, 0, 1)
    empty = compute_performance(known.team.head, date(2025, 10, 1), date(2025, 10, 31))
    assert empty.stations == () and empty.departments == () and empty.workers == ()
    assert empty.station_total().total == 0 and empty.station_total().on_time_rate is None
    with pytest.raises(ValidationError) as refused:
        compute_performance(known.team.head, date(2025, 12, 1), date(2025, 11, 1))
    assert "date_to" in refused.value.fields


def test_the_statistics_carry_the_performance(known: Fixture) -> None:
    """The statistics screen and the monthly report read the same figures."""
    stats = compute_stats(known.team.head, *PERIOD)
    assert stats.performance is not None
    assert stats.performance == compute_performance(known.team.head, *PERIOD)
    assert stats.to_json()["performance"]["station_total"]["total"] == 8


def test_cli_prints_the_three_views(known: Fixture, data_dir: Path) -> None:
    """`station-app stats --from --to --json`: stations, departments (lead and co) and workers;
    a bad date exits 2 naming the field, before any password is asked."""
    r = run_cli(
        "stats",
        "--from",
        "2025-11-01",
        "--to",
        "2025-12-31",
        "--json",
        data_dir=data_dir,
        user=HEAD,
        password="head-pass-123",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # the subprocess runs on the real clock, long after the period: as_of is its end
    assert out["as_of"] == "2025-12-31" and out["station_total"]["total"] == 8
    hrss_co = next(d for d in out["departments"] if (d["code"], d["role"]) == ("hrss", "co"))
    assert (hrss_co["on_time"], hrss_co["late"], hrss_co["overdue_open"]) == (1, 1, 1)
    assert {w["name"]: w["routing_late"] for w in out["workers"]} == {WORKER: 1, HEAD: 1}
    for args, field in (
        (("--from", "2025-13-01", "--to", "2025-12-31"), "from"),
        (("--from", "20251101", "--to", "2025-12-31"), "from"),
        (("--from", "2025-12-01", "--to", "2025-11-01"), "to"),
    ):
        bad = run_cli("stats", *args, "--json", data_dir=data_dir, user=HEAD, password=None)
        assert bad.returncode == 2 and field in json.loads(bad.stdout)["fields"], bad.stdout
    assert parse_period("2025-11-01", "2025-11-30") == (date(2025, 11, 1), date(2025, 11, 30))


def test_monthly_report_prints_the_department_and_worker_tables(known: Fixture) -> None:
    """The printed monthly report (November, so as of 11-30: F's hrss opinion, due 12-01, is
    not yet overdue and M's reply, due 12-02, not yet late) carries both tables and says how
    they are counted."""
    text = pdf_text(print_monthly_report(known.team.head, "2025-11").pdf)
    assert "八、部门书面意见时效(五(四)绩效考评,牵头、协办分列)" in text
    assert "税务局牵头4310075.0%25.0%101" in text
    assert "人社局协办3110150.0%50.0%010" in text
    assert "合计牵头6510083.3%16.7%101" in text
    assert "九、工作人员办理时效(按首问受理人)" in text
    assert "王丽" not in text and "shouliyuan65183.3%1150.0%20100.0%" in text
    assert "时效统计截至2025年11月30日" in text and "十、指标说明" in text and "逾期未出具指时限已过" in text


def test_a_store_holding_several_stations_groups_by_the_cases_station(
    known: Fixture, tmp_path: Path, clock: FixedClock
) -> None:
    """On a store that holds other stations' cases (as the city's does), one row per station
    code; a foreign worker is named with their station's origin."""
    peer = init_station(
        tmp_path / "peer", PEER_CODE, PEER_NAME, TOWN_CODE, ADMIN, ADMIN_PASSWORD, FixedClock(START), FAST_KDF
    )
    try:
        routed = intake(peer, refer_intake(name="子")).case_no
        perform(peer, routed, "route", {})  # on 11-20: on time
        intake(peer, refer_intake(name="丑"))  # never routed
        result = import_foreign(known.team.head.store.engine, export(peer))
        assert not result.forks
    finally:
        peer.close()
    perf = compute_performance(known.team.head, *PERIOD)
    assert [(s.code, s.label) for s in perf.stations] == [
        (known.team.head.station_code, known.team.head.station_name),
        (PEER_CODE, PEER_CODE),
    ]
    own, other = perf.stations
    assert (own.total, own.routing_on_time, own.routing_late) == (8, 6, 2)  # as before
    assert (other.total, other.accepted, other.routing_on_time, other.routing_late) == (2, 2, 1, 1)
    assert (other.opinions_on_time, other.opinions_overdue) == (0, 1)  # tax's opinion due 11-27, never given
    assert perf.station_total().total == 10
    foreign = next(w for w in perf.workers if w.name == f"{PEER_CODE}/{ADMIN}")
    assert (foreign.cases, foreign.routing_on_time, foreign.routing_late) == (2, 1, 1)
    assert _dept(perf, "tax", "lead").due == 5
    # the printed report gains a table per station, with their 合计 (every case is of November)
    text = pdf_text(print_monthly_report(known.team.head, "2025-11").pdf)
    assert "、按调解站" in text and known.team.head.station_name in text
    assert f"{PEER_CODE}22" in text and "合计10" in text


def test_a_report_of_any_period_is_numbered_by_its_period(known: Fixture) -> None:
    """The monthly report is the report of a whole month; any other period has its own title and
    number, kept by a reprint of the same period (五(四) 绩效考评 for a chosen period)."""
    from station_app.services.stats_service import period_key, print_period_report

    assert period_key(date(2025, 11, 1), date(2025, 11, 30)) == "2025-11"
    assert period_key(date(2024, 2, 1), date(2024, 2, 29)) == "2024-02"
    assert period_key(date(2025, 11, 1), date(2025, 11, 29)) == "2025-11-01..2025-11-29"
    assert period_key(date(2025, 11, 1), date(2025, 12, 31)) == "2025-11-01..2025-12-31"
    with pytest.raises(ValidationError) as refused:
        period_key(date(2025, 12, 1), date(2025, 11, 1))
    assert "date_to" in refused.value.fields
    head = known.team.head
    first = print_period_report(head, *PERIOD)
    text = pdf_text(first.pdf)
    assert "统计报表" in text and "2025年11月1日至2025年12月31日" in text and "统计月报" not in text
    assert "受理登记8件" in text  # every case of the known station is in the two months
    again = print_period_report(head, *PERIOD)
    assert again.paper_no == first.paper_no and again.reprint == first.reprint + 1
    month = print_period_report(head, date(2025, 11, 1), date(2025, 11, 30))
    assert month.paper_no != first.paper_no and "统计月报" in pdf_text(month.pdf)
    assert month.paper_no == print_monthly_report(head, "2025-11").paper_no  # the same paper as the month's
