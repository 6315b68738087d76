"""不予受理告知书: the matter is already in arbitration, litigation or reconsideration.

The notice names that proceeding (its kind, body and case number from the intake, else the
print option `proceedings`; with neither, all three are listed). The Mohe mechanism has no
clause on refusing such matters, so the notice does not cite it as its basis: the matter
belongs to the proceeding it is in.
"""

from __future__ import annotations

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.fmt import applicant_name, category_text, cn_datetime, party_rows, periods_text
from station_app.documents.referral import SAMPLE_NOTE, contact
from station_app.domain.enums import Department
from station_app.dto.case import CaseDetail

CHANNELS: dict[str, tuple[str, str]] = {
    "arbitration": (
        "劳动人事争议仲裁",
        "该事项已申请劳动人事争议仲裁,请向受理您仲裁申请的劳动人事争议仲裁委员会继续办理。",
    ),
    "litigation": (
        "诉讼",
        "该事项已向人民法院提起诉讼,请向受理案件的人民法院(如漠河市人民法院)继续办理。",
    ),
    "reconsideration": (
        "行政复议",
        "该事项已申请行政复议,请向受理您复议申请的行政复议机关继续办理。",
    ),
}


def _proceeding(case: CaseDetail, option: str | None) -> tuple[str | None, str, str]:
    """(kind, body, case number) of the proceeding the payer is in."""
    recorded = case.intake.get("proceeding") or {}
    kind = recorded.get("kind") or option
    return (kind if kind in CHANNELS else None), str(recorded.get("body") or ""), str(recorded.get("case_no") or "")


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """The 不予受理告知书 of a case: the proceeding it is in, and where to pursue it.

    Citizen paper: identifiers masked.
    """
    s = Story(ctx)
    i = case.intake
    chosen, body, number = _proceeding(case, ctx.options.get("proceedings"))
    s.title("社会保险费征缴争议不予受理告知书", ctx.station.name)
    s.addressee(f"{applicant_name(case)}:")
    where = f"已进入{CHANNELS[chosen][0]}程序" if chosen else "已进入仲裁、诉讼或行政复议程序"
    ref = ",".join(p for p in (body, f"案号:{number}" if number else "") if p)
    s.para(
        f"您于{cn_datetime(i.get('received_at'))}向本站反映的“{category_text(int(i.get('category', 9)))}”争议事项"
        f"(案件编号:{case.summary.case_no}),经审查,该事项{where}{f'({ref})' if ref else ''}。"
        "同一争议已由该程序依法处理的,应在该程序中解决,本站不再另行受理,以免重复处理、结论冲突。"
    )
    s.heading("一、该事项所属途径")
    if chosen:
        s.para(CHANNELS[chosen][1])
        if ref:
            s.fields([("受理机构", body or "—"), ("案号", number or "—")])
    else:
        s.para("请按您已进入的程序继续办理:", "plain")
        s.bullets([text for _, text in CHANNELS.values()])

    s.heading("二、事项摘要")
    rows = party_rows(i.get("applicant"), citizen=True, role="缴费人")
    rows += [("争议期间", periods_text(i.get("periods")))]
    s.fields(rows)
    s.para(str(i.get("summary") or "(无)"))
    if case.routing.reasons:
        s.para("审查依据:" + ";".join(case.routing.reasons) + "。", "plain")

    justice = contact(ctx, Department.JUSTICE)
    s.heading("三、咨询")
    s.para(
        f"如对本告知有疑问,可致电本站({ctx.station.phone or '—'})咨询。{Department.JUSTICE.full_name}可为您提供"
        f"法律咨询和业务指导(地址:{justice['address'] or '—'};电话:{justice['phone'] or '—'})。"
    )
    if justice["sample"]:
        s.para(SAMPLE_NOTE, "small")
    s.seal("payer")
    return s.render()
