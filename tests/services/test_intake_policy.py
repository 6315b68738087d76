"""四(一) 受理登记: what the desk must register, through the intake service and `case add`;
`route` and `calendar add-working-days` with a store use its settings and calendar."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from station_app.clock import FixedClock
from station_app.errors import ValidationError
from station_app.services.calendar_service import import_schedule
from station_app.services.case_service import intake
from station_app.services.session import Session
from station_app.services.settings_service import set_setting
from tests.conftest import event_count, run_cli
from tests.factories import intake_json


def refused(session: Session, data: dict[str, Any]) -> dict[str, str]:
    before = event_count(session)
    with pytest.raises(ValidationError) as info:
        intake(session, data)
    assert event_count(session) == before  # nothing stored
    return info.value.fields


def cli_add(data_dir: Path, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = run_cli("case", "add", data_dir=data_dir, stdin=json.dumps(data, ensure_ascii=False))
    return result.returncode, json.loads(result.stdout)


def test_summary_phone_and_employer_contact_are_required(station: Session, data_dir: Path) -> None:
    """四(一): 准确完整登记缴费人基本情况、来访时间、联系方式、事项所在辖区、反映主要事项."""
    assert refused(station, intake_json(summary="")) == {"summary": "必填"}
    no_phone = intake_json()
    del no_phone["applicant"]["phone"]
    assert refused(station, no_phone) == {"applicant.phone": "请填写联系电话"}
    employer = intake_json()
    employer["applicant"] = {
        "kind": "employer",
        "name": "漠河市金山运输有限公司",
        "uscc": employer["respondent"]["uscc"],
    }
    assert refused(station, employer) == {"applicant.phone": "请填写联系电话", "applicant.contact": "请填写联系人"}
    code, out = cli_add(data_dir, intake_json(summary="  "))
    assert code == 2 and out["fields"] == {"summary": "必填"}
    code, out = cli_add(data_dir, employer)
    assert code == 2 and set(out["fields"]) == {"applicant.phone", "applicant.contact"}
    assert run_cli("case", "list", "--json", data_dir=data_dir).stdout.strip() == "[]"


def test_town_must_be_in_the_stations_jurisdiction(station: Session, data_dir: Path) -> None:
    """四(一) 事项所在辖区 and 三(二)9 属地管理: the station takes matters of its own towns (a setting)."""
    fields = refused(station, intake_json() | {"town_code": "232722100"})
    assert fields == {"town_code": "不属于本站辖区的乡镇"}
    code, out = cli_add(data_dir, intake_json() | {"town_code": "232722100"})
    assert code == 2 and set(out["fields"]) == {"town_code"}
    set_setting(station, "jurisdiction_towns", {"232701100": "西林吉镇", "232722100": "十八站乡"})
    assert intake(station, intake_json() | {"town_code": "232722100"}).case_no
    assert refused(station, intake_json() | {"town_code": "232701101"}) == {"town_code": "不属于本站辖区的乡镇"}
    with pytest.raises(ValidationError):
        set_setting(station, "jurisdiction_towns", {"2327": "某乡"})


def test_received_at_in_the_future_is_refused(station: Session, clock: FixedClock, data_dir: Path) -> None:
    """四(一) 来访时间: a time later than now (beyond a few minutes of clock skew) is refused."""
    now = clock.now()
    assert refused(station, intake_json(received_at=(now + timedelta(hours=1)).isoformat())) == {
        "received_at": "受理时间不能晚于当前时间"
    }
    assert intake(station, intake_json(received_at=(now + timedelta(minutes=3)).isoformat())).case_no
    tomorrow = (datetime.now().astimezone() + timedelta(days=1)).isoformat(timespec="seconds")
    code, out = cli_add(data_dir, intake_json(received_at=tomorrow))
    assert code == 2 and set(out["fields"]) == {"received_at"}


def test_disputed_months_after_the_month_received_only_warn(station: Session, data_dir: Path) -> None:
    """四(一): the months are kept as told; the desk is asked to check them."""
    data = intake_json(periods=(("2025-06", "2026-02"),))
    result = intake(station, data)
    assert result.case_no and len(result.warnings) == 1 and "2026-02" in result.warnings[0]
    assert intake(station, intake_json()).warnings == ()
    code, out = cli_add(data_dir, data)
    assert code == 0 and out["case_no"] and len(out["warnings"]) == 1
    code, out = cli_add(data_dir, intake_json())
    assert code == 0 and "warnings" not in out


def test_route_and_calendar_use_the_store_when_data_dir_is_given(station: Session, data_dir: Path) -> None:
    """DESIGN.md "Command line": with --data-dir, `route` and `calendar add-working-days` use the
    store's settings and imported calendar (after login); without, the defaults and the bundle."""
    data = intake_json(periods=(("2024-02", "2024-03"),))  # before the default cutoff: 人社
    set_setting(station, "cutoff_date", "2024-01-01")  # this station: the reform came earlier
    default = json.loads(run_cli("route", stdin=json.dumps(data)).stdout)
    stored = run_cli("route", data_dir=data_dir, stdin=json.dumps(data))
    assert stored.returncode == 0, stored.stderr
    assert default["lead"] == "hrss" and json.loads(stored.stdout)["lead"] == "tax"
    # a town outside this station's jurisdiction is refused only against the store
    other = intake_json() | {"town_code": "232722100"}
    assert run_cli("route", stdin=json.dumps(other)).returncode == 2
    set_setting(station, "jurisdiction_towns", {"232722100": "十八站乡"})
    assert run_cli("route", data_dir=data_dir, stdin=json.dumps(other)).returncode == 0
    assert run_cli("route", data_dir=data_dir, stdin=json.dumps(data), password="wrong-pass-1").returncode == 1

    import_schedule(station, "2026-12-28,holiday\n" + FESTIVALS_2026, source="2026-fix.csv")
    assert run_cli("calendar", "add-working-days", "2026-12-25", "1").stdout.strip() == "2026-12-28"
    by_store = run_cli("calendar", "add-working-days", "2026-12-25", "1", data_dir=data_dir)
    assert by_store.returncode == 0 and by_store.stdout.strip() == "2026-12-29"
    assert station.calendar().add_working_days(date(2026, 12, 25), 1) == (date(2026, 12, 29), False)


# Every festival of 2026 (and its announced 调休), as a station might re-import the year.
FESTIVALS_2026 = """2026-01-01,holiday
2026-01-02,holiday
2026-01-03,holiday
2026-01-04,workday
2026-02-14,workday
2026-02-15,holiday
2026-02-16,holiday
2026-02-17,holiday
2026-02-18,holiday
2026-02-19,holiday
2026-02-20,holiday
2026-02-21,holiday
2026-02-22,holiday
2026-02-23,holiday
2026-02-28,workday
2026-04-04,holiday
2026-04-05,holiday
2026-04-06,holiday
2026-05-01,holiday
2026-05-02,holiday
2026-05-03,holiday
2026-05-04,holiday
2026-05-05,holiday
2026-05-09,workday
2026-06-19,holiday
2026-06-20,holiday
2026-06-21,holiday
2026-09-20,workday
2026-09-25,holiday
2026-09-26,holiday
2026-09-27,holiday
2026-10-01,holiday
2026-10-02,holiday
2026-10-03,holiday
2026-10-04,holiday
2026-10-05,holiday
2026-10-06,holiday
2026-10-07,holiday
2026-10-10,workday
"""
