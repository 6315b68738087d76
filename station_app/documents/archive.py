"""案卷封面 and 卷内目录: the cover of a closed case's file and the index of the documents in it.

The index lists documents, not events: every paper the station printed for the case (once per
paper number, with its date and pages; reprints noted) and the documents it received (each
department's written opinion, the leading group's decision, the city's assignment), in the
order they entered the file. The cover fills the retention period from `rules.retention`.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from station_app.rules.retention import PERIODS, retention_for

CLOSING = ("case_archived", "reply_issued", "closed_on_spot", "case_withdrawn", "clue_transferred", "case_routed")
INDEX_HEADER = ("序号", "文号", "责任者", "题名", "日期", "页数", "备注")
INDEX_WIDTHS = (11, 34, 32, 32, 21, 11, 24)
RECEIVED_TITLES = {
    "opinion_recorded": "书面意见",
    "escalation_approved": "重大疑难事项批复",
    "escalation_declined": "重大疑难事项不予批准决定",
    "city_assigned": "报送事项交办通知",
}


@dataclass
class IndexEntry:
    """One document of the file: its number, author, title, date (YYYYMMDD), pages, note."""

    number: str
    author: str
    title: str
    day: str
    pages: int | None
    note: str = ""

    def cells(self, n: int) -> list[str]:
        """The entry's row of the index table, numbered `n`: number, paper number, author, title, date, pages, note."""
        pages = str(self.pages) if self.pages else "—"
        return [str(n), self.number or "—", self.author, self.title, self.day, pages, self.note]


def _day(value: object) -> str:
    """An ISO date or time as the 8-digit date archive indexes write (20251120)."""
    return str(value or "")[:10].replace("-", "")


def index_entries(ctx: PaperContext, case: CaseDetail) -> list[IndexEntry]:
    """The documents of the file in the order they entered it.

    The cover and this index, which frame the file, are not listed.
    """
    entries: list[IndexEntry] = []
    papers: dict[str, IndexEntry] = {}
    for entry in case.timeline:
        p = entry.payload
        if entry.type == "paper_printed":
            if p.get("kind") == PaperKind.ARCHIVE.value:
                continue
            number = str(p.get("paper_no") or "")
            if number in papers:  # a reprint: the same document, printed again
                known = papers[number]
                known.pages = p.get("pages") or known.pages
                known.note = f"补打{int(p.get('reprint') or 0)}次"
                continue
            papers[number] = IndexEntry(number, ctx.station.name, _paper_title(p), _day(entry.at), p.get("pages"))
            entries.append(papers[number])
        elif entry.type in RECEIVED_TITLES:
            entries.append(_received(entry))
    return entries


def _paper_title(p: dict[str, object]) -> str:
    try:
        title = PaperKind(str(p.get("kind"))).label
    except ValueError:
        title = str(p.get("kind"))
    try:
        receiver = Department(str(p.get("recipient"))).full_name
    except ValueError:
        return title
    return f"{title}(送{receiver})"


def _received(entry: TimelineEntry) -> IndexEntry:
    p = entry.payload
    title = RECEIVED_TITLES[entry.type]
    if entry.type == "opinion_recorded":
        dept = _dept(entry)
        author = dept.full_name if dept else "承办部门"
        day = _day(p.get("received_on") or entry.at)
    elif entry.type == "city_assigned":
        author, day = Department.BUSINESS.full_name, _day(p.get("date") or entry.at)
    else:
        author, day = "领导小组", _day(p.get("date") or entry.at)
    note = "附件:" + str(p["file_name"]) if isinstance(p.get("file_name"), str) else ""
    return IndexEntry(str(p.get("document_no") or ""), author, title, day, None, note)


def _dept(entry: TimelineEntry) -> Department | None:
    try:
        return Department(str(entry.payload.get("dept")))
    except ValueError:
        return None


def _route(code: str) -> str:
    try:
        return ObjectionRoute(code).label
    except ValueError:
        return code


def _retention_text(case: CaseDetail) -> str:
    """The three retention periods of the form with the one that applies marked, and why.

    Example: `□永久  ■定期30年  □定期10年  依据:一般事项(联办)`.
    """
    chosen = retention_for(case.routing.track, case.clue_transferred)
    boxes = [("■" if period == chosen.period else "□") + period for period in PERIODS]
    return "  ".join(boxes) + f"  依据:{chosen.reason}"


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """案卷封面 and 卷内目录 of a closed case (四(四) 案卷归档): the file's cover, then its index.

    Internal paper: identifiers in full. The retention period follows `rules.retention`.
    """
    s = Story(ctx)
    i = case.intake
    sm = case.summary
    closed = next((n for kind in CLOSING for n in reversed(case.notes) if n["kind"] == kind), None)
    archived = case.note("case_archived")
    # 立卷人: the account that archived the case, else the first receiver
    filed_by = ctx.accounts.get(str(archived.get("author") or "")) if archived else None
    filed_by = filed_by or ctx.handler
    entries = index_entries(ctx, case)
    pages = sum(e.pages or 0 for e in entries)
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
        ("立卷人", filed_by),
        ("卷内文件", f"{len(entries)}件,共{pages}页" if pages else f"{len(entries)}件"),
        ("保管期限", _retention_text(case)),
    ]
    s.fields(info)
    if ctx.recipient_line:
        s.recipient_note("。" + "本案卷载有缴费人个人信息,按档案管理规定保管,未经批准不得查阅、复制。")
    else:
        s.para("本案卷载有缴费人个人信息,按档案管理规定保管,未经批准不得查阅、复制。", "small")
    s.seal("archive")

    s.page_break()
    s.title("卷内目录", f"案卷号 {sm.case_no}")
    rows = [e.cells(n) for n, e in enumerate(entries, 1)]
    s.grid(INDEX_HEADER, rows, INDEX_WIDTHS, left=(1, 2, 3, 6))
    signed = f"立卷人:{filed_by}    检查人:__________    立卷日期:{ctx.issued_text}"
    s.para(f"本卷共有文件{len(entries)}件。{signed}", "plain")
    return s.render()
