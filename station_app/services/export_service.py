"""The case list as an Excel workbook (.xlsx) for a named receiver (五(三)).

ID and phone numbers are masked as on screen unless the export asks to reveal them (a role that
may, `reveal_service`): then the rows carry them in full and every exported case's reveal is an
event in the export's transaction.

A list export carries personal data of many payers at once, so it names its receiver like an
internal paper: `station` (本站留存) needs nothing; any department needs an unused case-list
approval by a head (`disclosure_service.approve_disclosure` without a case), which the export
uses up. The `cases_exported` event records the receiver, the approval, the count and a digest
of the rows: never the search text (it may be a name) nor the rows themselves.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

from station_app.domain.enums import DEPARTMENT_SHORT, TOWNS
from station_app.domain.masking import mask_id, mask_phone
from station_app.dto.case import CaseSummary
from station_app.errors import ValidationError
from station_app.services.disclosure_service import STATION, parse_recipient, recipient_label, take_list_approval
from station_app.services.query_service import CaseQuery, list_cases
from station_app.services.reveal_service import record_reveals, require_reveal
from station_app.services.session import Session
from station_app.services.user_service import display_names
from station_app.store.db import write

MAX_ROWS = 10_000
HEADER = (
    "案件编号",
    "受理时间",
    "缴费人",
    "身份证号码",
    "联系电话",
    "用人单位",
    "辖区",
    "争议类别",
    "办理方式",
    "牵头部门",
    "状态",
    "办理时限",
    "首问责任人",
)


@dataclass(frozen=True)
class ExportResult:
    """The workbook bytes and what was recorded about it."""

    xlsx: bytes
    count: int
    recipient: str
    approval: str | None
    digest: str


def _row(c: CaseSummary, reveal: bool, names: dict[str, str]) -> list[str]:
    return [
        c.case_no,
        c.received_at[:16].replace("T", " "),
        c.applicant_name,
        (c.applicant_id or "") if reveal else mask_id(c.applicant_id),
        (c.applicant_phone or "") if reveal else mask_phone(c.applicant_phone),
        c.employer or "",
        TOWNS.get(c.town_code, c.town_code),
        f"{int(c.category)}. {c.category.label}",
        c.track.label,
        DEPARTMENT_SHORT[c.lead] if c.lead else "",
        c.status.label,
        c.due_date or "",
        names.get(c.handler, c.handler),  # the first receiver by display name (王丽), as on screen
    ]


def _cells(row: list[str]) -> list[str | datetime | date]:
    """A row as the sheet holds it: 受理时间 and 办理时限 as dates Excel sorts and filters by."""
    cells: list[str | datetime | date] = list(row)
    if row[1]:
        cells[1] = datetime.fromisoformat(row[1])
    if row[11]:
        cells[11] = date.fromisoformat(row[11])
    return cells


def _workbook(rows: list[list[str]], note: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "案件清单"
    sheet.append([note])
    sheet.append(list(HEADER))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_cells(row))
    for cells in sheet.iter_rows(min_row=3):
        cells[1].number_format = "yyyy-mm-dd hh:mm"
        cells[11].number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFGHIJKLM", (24, 17, 12, 21, 14, 28, 10, 20, 14, 10, 10, 12, 10)):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_case_list(
    session: Session, query: CaseQuery | None, recipient: str, limit: int = MAX_ROWS, *, reveal: bool = False
) -> ExportResult:
    """The cases `query` selects as .xlsx bytes for `recipient`.

    ID and phone numbers masked, or with `reveal` in full (PermissionDenied for a role that may not;
    each case's reveal recorded with the export).

    `recipient`: `station` (本站留存) or a department code; a department needs an unused
    case-list approval by a head (五(三) 报批), which this export uses: PermissionDenied without
    one, ValidationError on `to` for an unknown code or on `limit` outside 1..10,000. One
    `cases_exported` event (receiver, approval, count, row digest) in the same transaction.
    """
    code = parse_recipient(recipient)
    if not 1 <= limit <= MAX_ROWS:
        raise ValidationError({"limit": f"导出条数应为1至{MAX_ROWS}"})
    if reveal:
        require_reveal(session)
    cases = list_cases(session, query or CaseQuery(), limit=limit)
    names = display_names(session)
    rows = [_row(c, reveal, names) for c in cases]
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:16]
    with write(session.store.engine) as conn:
        approval = take_list_approval(conn, code)
        if approval is None:
            note = f"接收单位:{recipient_label(STATION)};未经站长报批不得对外提供。共{len(rows)}件。"
        else:
            note = (
                f"接收单位:{recipient_label(code)};经{approval.approver}于{approval.at[:10]}报批同意,"
                f"用途:{approval.purpose}。共{len(rows)}件。载有缴费人个人信息,请严格保密。"
            )
        xlsx = _workbook(rows, note)
        if reveal:
            record_reveals(session, conn, cases)
        session.record(
            conn,
            "cases_exported",
            {"recipient": code, "approval": approval.uuid if approval else None, "count": len(rows), "digest": digest},
        )
    return ExportResult(xlsx, len(rows), code, approval.uuid if approval else None, digest)
