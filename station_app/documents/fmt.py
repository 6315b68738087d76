"""How values read on paper: dates in Arabic numerals, periods, money, parties (with masking)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from station_app.domain.enums import TOWNS, Category, Channel, Department, Flag, InsuranceType
from station_app.domain.masking import mask_id, mask_phone
from station_app.dto.case import CaseDetail


def cn_date(value: date | datetime | str | None) -> str:
    """`2025-11-03` -> `2025年11月3日` (GB/T 9704: Arabic numerals, no leading zeros)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value[:10])
    d = value.date() if isinstance(value, datetime) else value
    return f"{d.year}年{d.month}月{d.day}日"


ESTIMATED_NOTE = "(该年度节假日安排尚未公布,按周一至周五并扣除法定节日估算)"


def due_before(value: date | None, estimated: bool, fallback: str = "规定时限内") -> str:
    """A printed deadline, `2027年1月5日前`; `fallback` when there is none.

    Marked when it was estimated (a year whose holiday schedule is not out yet).
    """
    if value is None:
        return fallback
    return cn_date(value) + "前" + (ESTIMATED_NOTE if estimated else "")


def cn_datetime(value: datetime | str | None) -> str:
    """A time as papers print it, `2025年11月3日 9:05`; "" for None or "" (ISO text or datetime)."""
    if value is None or value == "":
        return ""
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{cn_date(dt)} {dt.hour}:{dt.minute:02d}"


def cn_month(text: str) -> str:
    """`2023-10` -> `2023年10月`."""
    year, month = text.split("-")[:2]
    return f"{int(year)}年{int(month)}月"


def periods_text(periods: list[dict[str, str]] | None) -> str:
    """The disputed periods as `2023年10月至2024年6月、2024年9月`; 未涉及 when there are none."""
    parts = []
    for p in periods or []:
        start, end = cn_month(p["from"]), cn_month(p["to"])
        parts.append(start if start == end else f"{start}至{end}")
    return "、".join(parts) or "未涉及"


def money(value: str | None) -> str:
    """An amount in yuan as `12,000.00元`; 未提出 when none, the text unchanged when not a number."""
    if not value:
        return "未提出"
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return str(value)
    return f"{amount:,.2f}元"


def category_text(value: int) -> str:
    """The dispute category as `4. ...`, its number and wording (三(三)1-9).

    Raises:
        ValueError: not a category number.
    """
    cat = Category(int(value))
    return f"{int(cat)}. {cat.label}"


def insurance_text(values: list[str] | None) -> str:
    """The insurance types' names joined with 、; 未指明 when none.

    Raises:
        ValueError: an unknown insurance type code.
    """
    return "、".join(InsuranceType(v).label for v in values or []) or "未指明"


def flags_text(flags: dict[str, bool] | None) -> str:
    """The labels of the flags set, joined with 、; 无 when none.

    Raises:
        ValueError: an unknown flag code.
    """
    return "、".join(Flag(k).label for k, v in (flags or {}).items() if v) or "无"


def channel_text(value: str) -> str:
    """The channel's Chinese name; an unknown code as it is."""
    try:
        return Channel(value).label
    except ValueError:
        return value


def town_text(code: str) -> str:
    """The town's name for its code; an unknown code as it is."""
    return TOWNS.get(code, code)


def dept_names(depts: tuple[Department, ...] | list[Department]) -> str:
    """The departments' full names joined with 、; 无 when none."""
    return "、".join(d.full_name for d in depts) or "无"


def show_id(value: str | None, citizen: bool) -> str:
    """An ID number as a paper shows it: masked on a citizen paper, in full otherwise; 未提供 when none."""
    if not value:
        return "未提供"
    return mask_id(value) if citizen else value


def show_phone(value: str | None, citizen: bool) -> str:
    """A phone number as a paper shows it: masked on a citizen paper, in full otherwise; 未提供 when none."""
    if not value:
        return "未提供"
    return mask_phone(value) if citizen else value


def party_rows(party: dict[str, Any] | None, citizen: bool, role: str) -> list[tuple[str, str]]:
    """Label/value rows of an applicant or respondent, masked on citizen-facing papers."""
    if not party:
        return []
    if party.get("kind") == "employer":
        label = "缴费单位" if role == "缴费人" else role
        rows = [(label, str(party.get("name", ""))), ("统一社会信用代码", str(party.get("uscc") or "未提供"))]
        if party.get("contact"):
            rows.append(("联系人", str(party["contact"])))
        if party.get("phone"):
            rows.append(("联系电话", show_phone(party.get("phone"), citizen)))
        return rows
    label = "被反映人" if role == "被反映单位" else role
    rows = [(label, str(party.get("name", ""))), ("身份证号码", show_id(party.get("id_number"), citizen))]
    if party.get("phone") or role == "缴费人":
        rows.append(("联系电话", show_phone(party.get("phone"), citizen)))
    return rows


def applicant_name(case: CaseDetail) -> str:
    """The applicant's name from the case's intake ("" when absent)."""
    return str((case.intake.get("applicant") or {}).get("name", ""))


def matter_rows(case: CaseDetail) -> list[tuple[str, str]]:
    """The common description of the matter (no personal identifiers)."""
    i = case.intake
    rows = [
        ("受理时间", cn_datetime(i.get("received_at"))),
        ("受理方式", channel_text(str(i.get("channel", "")))),
        ("事项所在辖区", town_text(str(i.get("town_code", "")))),
        ("争议类别", category_text(int(i.get("category", 9)))),
        ("涉及险种", insurance_text(i.get("insurance_types"))),
        ("争议期间", periods_text(i.get("periods"))),
        ("诉求金额", money(i.get("amount_claimed"))),
    ]
    if int(i.get("group_size") or 1) > 1:
        rows.append(("涉及人数", f"{int(i['group_size'])}人"))
    return rows


def case_rows(case: CaseDetail, citizen: bool) -> list[tuple[str, str]]:
    """Case number, payer, respondent and the matter: the first table of most papers."""
    rows: list[tuple[str, str]] = [("案件编号", case.summary.case_no)]
    rows += party_rows(case.intake.get("applicant"), citizen, role="缴费人")
    rows += party_rows(case.intake.get("respondent"), citizen, role="被反映单位")
    return rows + matter_rows(case)


def matter_sections(story: Any, case: CaseDetail) -> None:
    """Sections 一 and 二 of an internal paper about one matter (报送单, 重大疑难上报单).

    The payer and the matter in full (internal: identifiers unmasked), the flags, the summary and
    the claim. `story` is a `documents.base.Story`.
    """
    intake = case.intake
    story.heading("一、缴费人及事项基本情况")
    rows = case_rows(case, citizen=False)
    rows.append(("情形", flags_text(intake.get("flags"))))
    story.fields(rows)
    story.long_text("二、反映主要事项", str(intake.get("summary") or ""))
    if intake.get("claim"):
        story.para(f"诉求:{intake['claim']}")
