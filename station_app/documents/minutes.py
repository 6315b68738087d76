"""会议纪要: the consultation meeting of a major (重大疑难) matter (四(二)2(3)).

The approval, each department's written opinion, what the meeting decided. Internal paper:
identifiers in full.
"""

from __future__ import annotations

from reportlab.lib.units import mm

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.fmt import case_rows, category_text, cn_date, dept_names
from station_app.domain.enums import Department
from station_app.dto.case import CaseDetail


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """The 会议纪要 of a major case: meeting details, the approval, each department's opinion, the decision."""
    s = Story(ctx)
    i = case.intake
    minutes = case.note("minutes_recorded") or {}
    approval = case.note("escalation_approved")
    escalation = case.note("escalation_requested")
    depts = sorted(case.departments, key=lambda d: (d.role != "lead", d.dept.value))
    s.title("社会保险费征缴争议重大疑难事项会商会议纪要", f"(案件编号 {case.summary.case_no})")
    s.fields(
        [
            ("会议时间", cn_date(str(minutes.get("held_on") or minutes.get("at") or ""))),
            ("会议议题", f"“{category_text(int(i.get('category', 9)))}”争议事项会商"),
            ("参会单位及人员", str(minutes.get("attendees") or dept_names([d.dept for d in depts]))),
            ("记录人", _recorder(ctx, minutes)),
        ],
        label_width=34 * mm,
    )
    s.heading("一、事项概况")
    rows = case_rows(case, citizen=False)
    s.fields(rows)
    s.para(str(i.get("summary") or "(无)"))

    s.heading("二、上报及批示情况")
    if escalation and escalation.get("reason"):
        s.para(f"上报理由:{escalation['reason']}")
    if approval:
        s.para(
            f"{cn_date(str(approval.get('at') or ''))}经领导小组组长同意,由相关部门成立工作专班专案处理。"
            + (f"批示意见:{approval['text']}" if approval.get("text") else "")
        )
    else:
        s.para("经领导小组组长同意,由相关部门成立工作专班专案处理。")

    s.heading("三、各部门书面审批意见")
    for k, d in enumerate(depts, 1):
        role = "牵头" if d.role == "lead" else "协办"
        s.para(f"({k}){d.dept.full_name}({role}):{str(d.opinion or '(尚未提交)').strip()}")

    s.long_text("四、会议议定事项", str(minutes.get("text") or ""))
    s.para(f"由{ctx.station.name}依据本纪要,将处理意见以书面形式告知缴费人。")
    s.para(
        "分送:" + dept_names([Department.CITY_GOV] + [d.dept for d in depts]) + "。"
        "本纪要载有缴费人个人信息,仅限参会单位办理本事项使用,请严格保密。",
        "small",
    )
    s.seal(Department.CITY_GOV.value)
    return s.render()


def _recorder(ctx: PaperContext, minutes: dict[str, object]) -> str:
    """Who recorded the minutes: as named in them, else the station account that entered them."""
    named = str(minutes.get("recorder") or "").strip()
    if named:
        return named
    author = str(minutes.get("author") or "")
    return f"{ctx.station.name} {ctx.accounts.get(author) or ctx.handler}"
