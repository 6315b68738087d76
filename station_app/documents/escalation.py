"""重大疑难事项上报单: a major matter reported to the leading group office (四(二)2(2)).

The station asks for the leader's decision. Internal paper: identifiers in full, for the
office only.
"""

from __future__ import annotations

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.fmt import cn_date, dept_names, matter_sections
from station_app.domain.enums import Department
from station_app.domain.lifecycle import DEFAULT_TASK_GROUP
from station_app.dto.case import CaseDetail


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """The 重大疑难事项上报单 of a case: the matter, the reasons for escalating, the suggested task group."""
    s = Story(ctx)
    escalation = case.note("escalation_requested") or {}
    depts = [d.dept for d in sorted(case.departments, key=lambda d: (d.role != "lead", d.dept.value))]
    s.title("社会保险费征缴争议重大疑难事项上报单", ctx.station.name)
    s.addressee(f"{Department.CITY_GOV.full_name}领导小组办公室:")
    s.para(
        "我站受理的下列社会保险费征缴争议事项属重大、复杂、疑难事项。根据《漠河市社会保险费征缴争议联合处置机制》"
        "四、(二)2的规定,现上报领导小组办公室,请报领导小组组长同意后成立工作领导小组专案处理。"
    )
    matter_sections(s, case)
    s.heading("三、上报理由")
    reasons = [str(escalation["reason"])] if escalation.get("reason") else []
    s.bullets(reasons + list(case.routing.reasons) or ["重大、复杂、疑难事项"])
    s.heading("四、建议")
    s.fields(
        [
            ("承办部门", dept_names(depts)),
            ("建议工作领导小组成员单位", dept_names(list(DEFAULT_TASK_GROUP))),
            ("请于此前批复", (cn_date(ctx.deadline) + "前") if ctx.deadline else "尽快"),
            ("上报联系人", ctx.handler),
            ("联系电话", ctx.station.phone or "—"),
        ]
    )
    s.para("领导小组组长的批示(同意或不同意及理由、批示人、日期、文号)请书面告知本站,本站据此登记。")
    s.para("本上报单载有缴费人个人信息,仅用于办理本事项,请严格保密。", "small")
    s.seal(Department.CITY_GOV.value, ctx.deadline)
    return s.render()
