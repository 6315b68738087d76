"""受理回执: the intake receipt handed to the payer at the desk (masked identifiers)."""

from __future__ import annotations

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.fmt import applicant_name, case_rows, cn_date, cn_datetime, dept_names
from station_app.domain.enums import Track
from station_app.dto.case import CaseDetail


def track_explanation(case: CaseDetail) -> str:
    """What happens next, in one sentence the payer understands."""
    r = case.routing
    lead = r.lead.full_name if r.lead else ""
    if r.track is Track.REFER:
        return f"本事项属于{lead}职责范围,本站已为您开具转办告知单,请持单前往该部门办理。"
    if r.track is Track.JOINT:
        return (
            f"本事项需由{lead}牵头、{dept_names(r.co)}协同办理。本站组织联办,各部门在规定时限内提出书面意见后,"
            "本站综合各部门意见,以书面形式答复您。"
        )
    if r.track is Track.MAJOR:
        return (
            "本事项属于重大疑难事项。本站上报领导小组办公室,经领导小组组长同意后由相关部门专案处理,"
            "各部门提出书面意见、经会商形成会议纪要后,本站以书面形式答复您。"
        )
    if r.track is Track.SUBMIT_CITY:
        return (
            "本事项职责不清,本站填写报送单报送市政府,由市12345热线办按部门职责转交承办部门办理,"
            "承办部门将在规定时限内向您和市12345热线办反馈。"
        )
    return "本事项不予受理,详见不予受理告知书。"


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """The 受理回执 of a case (四(一) 受理登记): registration details, the matter, what happens next.

    Citizen paper: ID and phone masked.
    """
    s = Story(ctx)
    i = case.intake
    s.title("社会保险费征缴争议受理回执", ctx.station.name)
    s.addressee(f"{applicant_name(case)}:")
    s.para(f"您反映的社会保险费征缴争议事项,本站已于{cn_datetime(i.get('received_at'))}登记受理,现将有关情况告知如下。")

    s.heading("一、受理登记情况")
    rows = case_rows(case, citizen=True)
    s.fields(rows)

    s.heading("二、反映主要事项及诉求")
    s.para(str(i.get("summary") or "(无)"))
    if i.get("claim"):
        s.para(f"诉求:{i['claim']}")

    r = case.routing
    s.heading("三、分流决定及办理时限")
    expected = cn_date(ctx.deadline) + "前" if ctx.deadline else "另行告知"
    if ctx.deadline and ctx.deadline_estimated:
        expected += "(估算)"
    rows = [
        ("办理方式", r.track.label),
        ("预计答复日期", expected),
        ("牵头部门", r.lead.full_name if r.lead else "无"),
        ("协办部门", dept_names(r.co)),
        ("首问责任人", ctx.handler),
        ("调解站电话", ctx.station.phone or "—"),
    ]
    if ctx.station.address:
        rows.append(("调解站地址", ctx.station.address))
    s.fields(rows)
    s.para(track_explanation(case))
    if r.reasons:
        s.para("分流依据:" + ";".join(r.reasons) + "。")
    s.para(
        "答复日期按工作日计算,如依规延期将另行告知。请妥善保管本回执,可凭案件编号向本站查询办理进度。"
        "本站对您的个人信息和反映的情况严格保密。",
        "small",
    )
    s.seal("payer", ctx.deadline)
    return s.render()
