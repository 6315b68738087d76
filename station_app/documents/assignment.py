"""联办交办单: one section per department (lead first), asking for its written opinion.

Each section gives the matter, what opinion is asked for, and the deadline for the written
opinion (四(二)1(3)). Department-facing: identifiers in full.
"""

from __future__ import annotations

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.fmt import case_rows, cn_date, dept_names, flags_text
from station_app.domain.enums import Department, Track
from station_app.dto.case import CaseDetail

# What each department is asked to give an opinion on (the policy's 部门职责).
OPINION_ASKS: dict[Department, str] = {
    Department.TAX: (
        "核实“统模式”改革时点(2024年4月1日)后的缴费基数申报、缴费金额、滞纳金加收及欠费追缴情况,提出征缴处理意见。"
    ),
    Department.HRSS: "核实参保登记、关系转移、劳动关系及劳动合同、待遇核定以及改革时点前社保补缴情况,提出处理意见。",
    Department.MEDICAL: "核实医疗、生育保险参保登记、待遇享受以及改革时点前医保补缴情况,提出处理意见。",
    Department.JUSTICE: "对争议处理中适用的法律法规进行把关,提出法律审核意见;对有上诉需求的缴费人提供业务指导。",
    Department.COURT: "就税务部门申请的强制征缴、破产清算中社保欠费的清偿顺序等法律适用问题提出意见。",
    Department.PETITION: "提供相关信访情况,协助处理并将问题线索移交相关职能部门。",
    Department.CYBERSPACE: "开展相关互联网信息内容监测,提出舆情应对建议。",
    Department.BUSINESS: "按照12345政府服务便民热线运行机制,按部门职责转交承办单位办理。",
    Department.CITY_GOV: "研究提出处理意见。",
    Department.DISCIPLINE: "依规依纪处理。",
    Department.TOWN: "协助做好属地化解和缴费人沟通工作,提出意见。",
}


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """The 联办交办单 of a joint or major case: one section per department, lead first.

    A copy for one department (`ctx.recipient` a department code) holds its section only.
    """
    s = Story(ctx)
    i = case.intake
    depts = sorted(case.departments, key=lambda d: (d.role != "lead", d.dept.value))
    if ctx.recipient and ctx.recipient != "station":  # a copy for one department: its section only
        depts = [d for d in depts if d.dept.value == ctx.recipient]
    major = case.routing.track is Track.MAJOR
    city = case.note("city_assigned")  # 四(五): a 报送 matter the city assigned by its own document
    kind_title = "社会保险费征缴争议市级交办单" if city else "社会保险费征缴争议联办交办单"
    deadline = cn_date(ctx.deadline) if ctx.deadline else "规定时限内"
    for n, progress in enumerate(depts, 1):
        if n > 1:
            s.page_break()
        dept = progress.dept
        role = "牵头" if progress.role == "lead" else "协同"
        subtitle = f"{'重大疑难事项 · ' if major else ''}第{n}份 共{len(depts)}份"
        s.title(kind_title, f"{city['document_no']} · {subtitle}" if city else subtitle)
        s.addressee(f"{dept.full_name}:")
        if city:
            s.para(
                f"调解站报送的职责不清的社会保险费征缴争议事项,经市12345热线办研究,交你单位{role}办理。"
                f"请依职权办理,于{deadline}前向{ctx.station.name}提供书面意见,并将办理结果反馈缴费人和12345热线办。"
            )
        else:
            s.para(
                f"现将缴费人反映的社会保险费征缴争议事项交你单位{role}办理。请依职权办理,"
                f"并于{deadline}前向{ctx.station.name}提供书面意见。"
            )
        r = case.routing
        s.heading("一、缴费人及事项基本情况")
        rows = case_rows(case, citizen=False)
        rows += [
            ("情形", flags_text(i.get("flags"))),
            ("办理方式", r.track.label),
            ("牵头部门", r.lead.full_name if r.lead else "无"),
            ("协办部门", dept_names(r.co)),
        ]
        s.fields(rows)
        s.heading("二、反映主要事项")
        s.para(str(i.get("summary") or "(无)"))
        if i.get("claim"):
            s.para(f"诉求:{i['claim']}")
        if r.reasons:
            s.para("分流依据:" + ";".join(r.reasons) + "。")

        s.heading("三、请提供的书面意见")
        ask = OPINION_ASKS.get(dept, "研究提出处理意见。")
        if progress.role == "lead":
            ask += "你单位为牵头部门,请在意见中提出总体处理建议。"
        s.para(ask)
        estimated = "(按周一至周五估算)" if ctx.deadline_estimated else ""
        secret = "本交办单载有缴费人个人信息,仅用于办理本事项,请严格保密。"
        s.para(
            f"请于{deadline}前{estimated}将加盖单位印章的书面意见送交{ctx.station.name}。"
            f"联系人:{ctx.handler};电话:{ctx.station.phone or '—'}。" + ("" if ctx.recipient_line else secret)
        )
        s.recipient_note("。" + secret)
        s.para("签收人:______________  签收时间:______年___月___日", "plain")
        s.seal(dept.value, ctx.deadline)
    return s.render()
