"""报送单: a matter whose responsibility is unclear, sent to the city (营商局 12345 mechanism)."""

from __future__ import annotations

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.fmt import due_before, matter_sections
from station_app.domain.enums import Department
from station_app.dto.case import CaseDetail


def _depts(codes: list[str] | None) -> str:
    names = []
    for code in codes or []:
        try:
            names.append(Department(code).full_name)
        except ValueError:
            names.append(code)
    return "、".join(names)


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """The 报送单 of a submit_city case (四(五)): the matter, why responsibility is unclear, who was consulted.

    Internal paper: identifiers in full.
    """
    s = Story(ctx)
    note = case.note("submitted_to_city") or {}
    s.title("社会保险费征缴争议事项报送单", ctx.station.name)
    s.addressee(f"{Department.CITY_GOV.full_name}、{Department.BUSINESS.full_name}:")
    s.para(
        "我站受理的下列社会保险费征缴争议事项职责不清。根据《漠河市社会保险费征缴争议联合处置机制》"
        "四、(五)的规定,现予报送,请按照12345政府服务便民热线运行机制,按部门职责转交承办部门办理。"
    )
    matter_sections(s, case)

    s.heading("三、职责不清的原因")
    reason = str(note.get("reason") or "")
    if reason:
        s.para(reason)
    else:
        s.bullets(list(case.routing.reasons) or ["现有职责分工未明确该事项的承办部门"])

    consulted = _depts(note.get("consulted"))
    suggested = _depts([note["suggested"]]) if note.get("suggested") else ""
    s.heading("四、协商及建议")
    s.fields(
        [
            ("已协商部门", consulted or "无"),
            ("建议承办部门", suggested or "请市12345热线办按部门职责确定"),
            ("反馈期限", due_before(ctx.deadline, ctx.deadline_estimated)),
            ("报送联系人", ctx.handler),
            ("联系电话", ctx.station.phone or "—"),
        ]
    )
    s.para(
        "承办部门应在规定时限内办理,并将办理结果反馈缴费人和市12345热线办;无正当理由拒不处理属于本部门职能的"
        "社会保险费征缴争议的,由受理部门将案件线索移交纪委监委处理。",
    )
    if ctx.recipient_line:
        s.recipient_note("。" + "本报送单载有缴费人个人信息,仅用于办理本事项,请严格保密。")
    else:
        s.para("本报送单载有缴费人个人信息,仅用于办理本事项,请严格保密。", "small")
    s.seal(Department.BUSINESS.value, ctx.deadline)
    return s.render()
