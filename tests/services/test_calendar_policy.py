"""Deadlines in years without an official schedule, calendar imports and the papers that print
estimated dates (DESIGN.md "Deadlines")."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from station_app.clock import CHINA_TZ, FixedClock
from station_app.errors import ValidationError
from station_app.resources import resource_path
from station_app.rules.calendar import load_default_calendar
from station_app.rules.festivals import festival_days, missing_festivals
from station_app.rules.schedule import read_schedule
from station_app.services.calendar_service import import_schedule
from station_app.services.case_service import intake, perform
from station_app.services.paper_service import print_paper
from station_app.services.query_service import get_case
from station_app.services.session import Session
from tests.conftest import event_count, run_cli
from tests.documents.conftest import body_text
from tests.factories import intake_json, submit_city_intake

# A complete 2027 schedule as the State Council might publish it (festivals, 调休).
SCHEDULE_2027 = "\n".join(
    [f"{d.isoformat()},holiday" for d in festival_days(2027)]
    + ["2027-01-04,holiday", "2027-02-09,holiday", "2027-02-10,holiday", "2027-02-20,workday"]
)


def test_festivals_of_a_year_without_a_schedule_are_skipped() -> None:
    """《全国年节及纪念日放假办法》(2024): 元旦, 春节 除夕至初三, 清明, 5-1/5-2, 端午, 中秋, 10-1至10-3."""
    cal = load_default_calendar()
    assert not cal.covers(2027)
    assert cal.add_working_days(date(2026, 12, 31), 1) == (date(2027, 1, 4), True)
    days = festival_days(2027)
    assert [d for d, name in days.items() if name == "春节"] == [date(2027, 2, n) for n in (5, 6, 7, 8)]
    assert {date(2027, 4, 5), date(2027, 5, 1), date(2027, 5, 2), date(2027, 6, 9), date(2027, 9, 15)} <= set(days)
    assert {date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3)} <= set(days)
    assert not any(cal.is_working_day(d) for d in days)
    out = run_cli("calendar", "add-working-days", "2026-12-31", "1")
    assert out.returncode == 0 and out.stdout.strip() == "2027-01-04" and "估算" in out.stderr
    assert run_cli("calendar", "add-working-days", "2027-02-04", "1").stdout.strip() == "2027-02-09"


def test_seed_gives_every_statutory_festival_off_and_has_the_2005_make_up_day() -> None:
    """国办发明电〔2005〕35号: 2005-12-31 (Saturday) was a working day; every year of the seed gives
    each festival of the rule in force that year off."""
    data = json.loads(resource_path("calendar", "cn_2004_2026.json").read_text("utf-8"))
    schedule = read_schedule(json.dumps(data))
    assert missing_festivals(schedule.days, schedule.years) == {}
    cal = load_default_calendar()
    assert cal.is_working_day(date(2005, 12, 31))
    assert cal.add_working_days(date(2005, 12, 30), 1) == (date(2005, 12, 31), False)
    # every cross-year make-up day of the notices (元旦 arrangements moving a weekend)
    december = sorted(d for d, w in schedule.days.items() if w and d.month == 12)
    assert december == [
        date(2005, 12, 31),
        date(2006, 12, 30),
        date(2006, 12, 31),
        date(2007, 12, 29),
        date(2011, 12, 31),
        date(2018, 12, 29),
    ]


def test_import_missing_a_festival_is_refused(station: Session, data_dir: Path, tmp_path: Path) -> None:
    """DESIGN.md: a file that lacks a festival is refused, naming the day; nothing stored."""
    before = event_count(station)
    incomplete = SCHEDULE_2027.replace("2027-09-15,holiday", "")
    with pytest.raises(ValidationError) as info:
        import_schedule(station, incomplete)
    assert set(info.value.fields) == {"days[2027-09-15]"}
    assert event_count(station) == before
    path = tmp_path / "2027.csv"
    path.write_text(incomplete, encoding="utf-8")
    out = run_cli("calendar", "import", str(path), data_dir=data_dir)
    assert out.returncode == 2 and json.loads(out.stdout)["fields"] == {
        "days[2027-09-15]": info.value.fields["days[2027-09-15]"]
    }
    assert event_count(station) == before


def _case_due_in_2027(station: Session, clock: FixedClock, **kw: object) -> str:
    clock.set(datetime(2026, 12, 30, 9, 0, tzinfo=CHINA_TZ))
    case_no = intake(station, intake_json(received_at="2026-12-30T08:30:00+08:00", **kw)).case_no  # type: ignore[arg-type]
    perform(station, case_no, "route", {})
    return case_no


def test_import_recomputes_open_estimated_deadlines(
    station: Session, clock: FixedClock, data_dir: Path, tmp_path: Path
) -> None:
    """DESIGN.md: importing a year recomputes the open estimated deadlines in it, one event each."""
    refer = _case_due_in_2027(station, clock)
    summary = get_case(station, refer).summary
    assert (summary.due_date, summary.due_estimated) == ("2027-01-07", True)  # 5 days, 元旦 skipped
    closed = _case_due_in_2027(station, clock)
    perform(station, closed, "withdraw", {"reason": "申请人撤回。"})
    before = event_count(station)
    path = tmp_path / "2027.csv"
    path.write_text(SCHEDULE_2027, encoding="utf-8")
    out = run_cli("calendar", "import", str(path), data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["recomputed"] == [{"case_no": refer, "from": "2027-01-07", "to": "2027-01-08", "departments": "tax"}]
    assert event_count(station) == before + 2  # the import and one recomputation
    station._calendar = None
    detail = get_case(station, refer)
    assert (detail.summary.due_date, detail.summary.due_estimated) == ("2027-01-08", False)
    assert any(e.type == "deadline_recomputed" for e in detail.timeline)
    # 四(二): each department's own opinion deadline is recounted too
    [tax] = detail.departments
    assert (tax.dept, tax.due_date) == ("tax", "2027-01-08")


def test_referral_and_submission_mark_an_estimated_deadline(station: Session, clock: FixedClock) -> None:
    """DESIGN.md: the deadline is marked estimated on every paper that prints it."""
    refer = _case_due_in_2027(station, clock)
    text = body_text(print_paper(station, refer, "referral").pdf)
    assert "2027年1月7日前" in text and "估算" in text
    submit = intake(station, submit_city_intake(received_at="2026-12-30T08:30:00+08:00")).case_no
    perform(station, submit, "route", {})
    assert "估算" in body_text(print_paper(station, submit, "submission").pdf)
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=CHINA_TZ))
    plain = intake(station, intake_json(received_at="2026-03-02T08:30:00+08:00")).case_no
    perform(station, plain, "route", {})
    assert "估算" not in body_text(print_paper(station, plain, "referral").pdf)


def test_a_file_name_with_direction_or_line_characters_is_not_recorded(station: Session, tmp_path: Path) -> None:
    """The calendar's source is the file's name; a name may hold any character, the log keeps none."""
    from sqlalchemy import text

    from station_app.store.db import read

    for name in ("2027\u202e.csv", "2027\n.csv"):
        import_schedule(station, SCHEDULE_2027, source=name)
    import_schedule(station, SCHEDULE_2027, source="2027.csv")
    with read(station.store.engine) as conn:
        rows = conn.execute(text("SELECT payload FROM events WHERE type = 'calendar_imported' ORDER BY seq")).all()
    assert [json.loads(r[0])["source"] for r in rows][-3:] == ["import", "import", "2027.csv"]
