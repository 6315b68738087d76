"""The case list workbook as a head reads it in Excel: who received each case by name, and
dates Excel sorts and filters as dates."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from station_app.services.case_service import intake
from station_app.services.export_service import export_case_list
from station_app.services.query_service import get_case
from station_app.services.session import Session
from tests.factories import refer_intake


def test_the_case_list_names_the_first_receiver_and_holds_real_dates(worker: Session) -> None:
    case = intake(worker, refer_intake(name="王建国", received_at="2025-11-19T23:30:00Z"))
    sheet = load_workbook(io.BytesIO(export_case_list(worker, None, "station").xlsx)).active
    header = [c.value for c in sheet[2]]
    row = {h: c for h, c in zip(header, sheet[3], strict=True)}
    assert row["案件编号"].value == case.case_no
    assert row["首问责任人"].value == "王丽"  # not the account name
    assert row["受理时间"].value == datetime(2025, 11, 20, 7, 30) and row["受理时间"].is_date
    due = get_case(worker, case.case_no).summary.due_date
    assert due and row["办理时限"].is_date and row["办理时限"].value.date() == date.fromisoformat(due)
