"""转办告知单: where the payer goes, what to bring, the deadline; with a 回执联 for the department."""

from __future__ import annotations

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.fmt import (
    applicant_name,
    category_text,
    cn_datetime,
    due_before,
    party_rows,
    periods_text,
)
from station_app.domain.enums import Department
from station_app.dto.case import CaseDetail
from station_app.services.settings_schema import contact_confirmed

SAMPLE_MARK = "(示例,未经确认)"
SAMPLE_NOTE = "注:标有“示例,未经确认”的部门地址、电话尚未经本站核实确认,请以该部门公布的信息为准。"


def contact(ctx: PaperContext, dept: Department) -> dict[str, str]:
    """A department's address, phone and hours as a citizen paper prints them.

    Until an admin confirms the entry (settings), the address and phone carry 示例,未经确认, and
    `sample` is "1".
    """
    table = ctx.settings.get("department_contacts") or {}
    entry = table.get(dept.value) or {}
    out = {k: str(entry.get(k) or "") for k in ("address", "phone", "hours")}
    sample = not contact_confirmed(ctx.settings, dept.value)
    if sample:
        out.update({k: out[k] + SAMPLE_MARK for k in ("address", "phone") if out[k]})
    out["sample"] = "1" if sample and (out["address"] or out["phone"]) else ""
    return out


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """The 转办告知单 of a refer case: where the payer goes, what to bring, the deadline, and a 回执联.

    Citizen paper (四(一): the payer is told to go to the department in charge); ID and phone masked.
    """
    s = Story(ctx)
    i = case.intake
    lead = case.routing.lead or Department.BUSINESS
    category = int(i.get("category", 9))
    before = due_before(ctx.deadline, ctx.deadline_estimated)
    s.title("社会保险费征缴争议转办告知单", ctx.station.name)
    s.addressee(f"{applicant_name(case)}:")
    s.para(
        f"您于{cn_datetime(i.get('received_at'))}反映的“{category_text(category)}”争议事项(案件编号:"
        f"{case.summary.case_no}),经审核,属于{lead.full_name}职责范围。根据《漠河市社会保险费征缴争议联合处置机制》,"
        "请您持本告知单前往该部门办理。"
    )

    c = contact(ctx, lead)
    docs = (ctx.settings.get("documents_to_bring") or {}).get(str(category)) or ["身份证件及与争议有关的材料"]
    s.fields(
        [
            ("承办部门", lead.full_name),
            ("办公地址", c["address"] or "—"),
            ("联系电话", c["phone"] or "—"),
            ("办理时限", before),
            ("办公时间", c["hours"] or "—"),
            ("请携带材料", ";".join(f"{n}. {d}" for n, d in enumerate(docs, 1)) + "。"),
        ]
    )
    if c["sample"]:
        s.para(SAMPLE_NOTE, "small")
    s.para(
        f"承办部门应于{before}依职权办理并向您反馈。逾期未获答复的,可联系本站首问责任人{ctx.handler}"
        f"(电话:{ctx.station.phone or '—'})或拨打12345政府服务便民热线反映。"
    )
    who = ",".join(f"{k}:{v}" for k, v in party_rows(i.get("applicant"), citizen=True, role="缴费人"))
    s.heading("事项摘要")
    s.para(f"{who};争议期间:{periods_text(i.get('periods'))}。", "plain")
    s.para(str(i.get("summary") or "(无)"))
    s.seal("payer", ctx.deadline)

    station_line = ctx.station.name + (f"({ctx.station.address})" if ctx.station.address else "")
    s.stub(
        "转办告知单回执联",
        [
            ("告知单编号", ctx.paper_no),
            ("案件编号", case.summary.case_no),
            ("缴费人", applicant_name(case)),
            ("争议类别", category_text(category)),
            ("承办部门", lead.full_name),
        ],
        [
            "承办部门已于______年___月___日受理上述事项。  经办人(签字):____________  (承办部门盖章)",
            f"请将本联交回或寄回:{station_line},电话 {ctx.station.phone or '—'}。",
        ],
        addressee=lead.value,
        deadline=ctx.deadline,
        cut_note="沿此线剪开 · 回执联由承办部门签收后交回本站",
    )
    return s.render()
