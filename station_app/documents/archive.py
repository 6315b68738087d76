"""案卷封面 and 卷内目录: the cover of a closed case's file and the index of what it holds."""

from __future__ import annotations

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.fmt import (
    category_text,
    cn_date,
    dept_names,
    party_rows,
    town_text,
)
from station_app.documents.payload import PaperKind
from station_app.domain.enums import Department, ObjectionRoute
from station_app.dto.case import CaseDetail, TimelineEntry

SKIP = frozenset({"personal_data_revealed"})
DEPT_EVENTS = frozenset({"opinion_recorded", "department_signed", "department_returned"})
CLOSING = ("case_archived", "reply_issued", "closed_on_spot", "case_withdrawn", "clue_transferred", "case_routed")


def index_rows(ctx: PaperContext, case: CaseDetail) -> list[list[str]]:
    rows: list[list[str]] = []
    for entry in case.timeline:
        if entry.type in SKIP:
            continue
        day = entry.at[:10].replace("-", "")  # 8-digit file date, as archive indexes write it
        rows.append([str(len(rows) + 1), _title(entry), _who(ctx, entry), day, _note(entry)])
    return rows


def _dept(entry: TimelineEntry) -> Department | None:
    try:
        return Department(str(entry.payload.get("dept")))
    except ValueError:
        return None


def _title(entry: TimelineEntry) -> str:
    p = entry.payload
    if entry.type == "paper_printed":
        try:
            label = PaperKind(str(p.get("kind"))).label
        except ValueError:
            label = str(p.get("kind"))
        return label + (f"(补打第{p['reprint']}次)" if p.get("reprint") else "")
    dept = _dept(entry)
    if entry.type == "opinion_recorded" and dept:
        return f"{dept.full_name}书面意见"
    return entry.label


def _who(ctx: PaperContext, entry: TimelineEntry) -> str:
    dept = _dept(entry)
    if entry.type in DEPT_EVENTS and dept:
        return dept.full_name
    if entry.type == "city_assigned":
        return Department.BUSINESS.full_name
    if entry.type == "escalation_approved":
        return "领导小组"
    return ctx.station.name


def _note(entry: TimelineEntry) -> str:
    p = entry.payload
    if entry.type == "paper_printed":
        return str(p.get("paper_no") or "")
    if entry.type == "extension_granted":
        return f"延期{p.get('days')}个工作日"
    if entry.type == "objection_recorded":
        return _route(str(p.get("route") or ""))
    if isinstance(p.get("file_name"), str):
        return "附件:" + str(p["file_name"])
    return ""


def _route(code: str) -> str:
    try:
        return ObjectionRoute(code).label
    except ValueError:
        return code


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    s = Story(ctx)
    i = case.intake
    sm = case.summary
    closed = next((n for kind in CLOSING for n in reversed(case.notes) if n["kind"] == kind), None)
    archived = case.note("case_archived")
    rows = index_rows(ctx, case)
    s.space(12)
    s.title("社会保险费征缴争议案卷", ctx.station.name)
    s.space(6)
    info = [("案卷号", sm.case_no), ("案由", f"{category_text(sm.category)}争议")]
    info += party_rows(i.get("applicant"), citizen=False, role="缴费人")
    info += party_rows(i.get("respondent"), citizen=False, role="被反映单位")
    info += [
        ("事项所在辖区", town_text(sm.town_code)),
        ("受理时间", cn_date(sm.received_at)),
        ("办理方式", case.routing.track.label),
        ("牵头部门", case.routing.lead.full_name if case.routing.lead else "无"),
        ("协办部门", dept_names(case.routing.co)),
        ("办理结果", sm.status.label + (f"({_route(case.objection_route)})" if case.objection_route else "")),
        ("办结日期", cn_date(str(closed["at"])) if closed else "—"),
        ("归档日期", cn_date(str(archived["at"])) if archived else "—"),
        ("立卷单位", ctx.station.name),
        ("立卷人", ctx.handler),
        ("卷内文件", f"{len(rows)}件"),
        ("保管期限", "□永久    □定期30年    □定期10年"),
    ]
    s.fields(info)
    if ctx.recipient_line:
        s.recipient_note("。" + "本案卷载有缴费人个人信息,按档案管理规定保管,未经批准不得查阅、复制。")
    else:
        s.para("本案卷载有缴费人个人信息,按档案管理规定保管,未经批准不得查阅、复制。", "small")
    s.seal("archive")

    s.page_break()
    s.title("卷内目录", f"案卷号 {sm.case_no}")
    s.grid(["序号", "文件(事项)名称", "责任者", "日期", "文号/备注"], rows, [11, 48, 42, 21, 43], left=(1, 2, 4))
    s.para(
        f"本卷共有文件{len(rows)}件。立卷人:{ctx.handler}    检查人:__________    立卷日期:{ctx.issued_text}", "plain"
    )
    return s.render()
