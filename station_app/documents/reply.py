"""书面答复: the station's combined answer, each department's written opinion, and the remedies.

The legal remedies come with their time limits (texts are settings). 四(三) asks for feedback
to both parties: `build` writes the payer's copy, `build_respondent` the other party's.
"""

from __future__ import annotations

from typing import Any

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.flow import cjk_punct
from station_app.documents.fmt import applicant_name, category_text, cn_date, cn_datetime, dept_names, party_rows
from station_app.domain.enums import ObjectionRoute, Track
from station_app.dto.case import CaseDetail


def remedies(settings: Any) -> list[str]:
    """The legal remedies of the settings' `legal_remedies`, one line each: `行政复议:...(时限:60日)`."""
    out = []
    for item in settings.get("legal_remedies") or []:
        try:
            label = ObjectionRoute(str(item.get("route"))).label
        except ValueError:
            label = str(item.get("route") or "")
        limit = str(item.get("limit") or "")
        out.append(f"{label}:{item.get('text', '')}" + (f"(时限:{limit})" if limit else ""))
    return out


def _folded(text: str) -> str:
    """Text compared for quoting: no spaces, full-width punctuation."""
    return cjk_punct("".join(text.split()))


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """The payer's copy."""
    return _build(ctx, case, respondent=False)


def build_respondent(ctx: PaperContext, case: CaseDetail) -> Built:
    """The other party's copy (the payer's identifiers masked)."""
    return _build(ctx, case, respondent=True)


def _build(ctx: PaperContext, case: CaseDetail, respondent: bool) -> Built:
    s = Story(ctx)
    i = case.intake
    reply = case.note("reply_issued") or {}
    minutes = case.note("minutes_recorded")
    r = case.routing
    depts = [d.dept for d in sorted(case.departments, key=lambda d: (d.role != "lead", d.dept.value))]
    s.title("社会保险费征缴争议书面答复", ctx.station.name)
    how = f"会同{dept_names(depts)}依职权办理" if depts else "依职权办理"
    if r.track is Track.MAJOR:
        how = f"上报领导小组,由{dept_names(depts)}依职权办理,经会商形成会议纪要"
    matter = f"“{category_text(int(i.get('category', 9)))}”争议事项"
    received = cn_datetime(i.get("received_at"))
    parties = [("案件编号", case.summary.case_no), *party_rows(i.get("applicant"), citizen=True, role="缴费人")]
    if respondent:
        other = i.get("respondent") or {}
        s.addressee(f"{other.get('name', '')}:")
        s.para(f"{applicant_name(case)}于{received}反映的涉及你方的{matter},本站{how}。现将处理意见告知如下。")
        s.heading("一、反映的事项")
        s.fields(parties + party_rows(other, citizen=True, role="被反映单位"))
    else:
        s.addressee(f"{applicant_name(case)}:")
        s.para(f"您于{received}反映的{matter},本站{how}。现将处理意见答复如下。")
        s.heading("一、您反映的事项")
        s.fields(parties)
    s.para(str(i.get("summary") or "(无)"))
    text_ = reply.get("respondent_text") if respondent and reply.get("respondent_text") else reply.get("text")
    s.long_text("二、处理意见", str(text_ or ""))

    n = 3
    said = _folded(str(text_))
    with_opinion = [
        d
        for d in sorted(case.departments, key=lambda d: (d.role != "lead", d.dept.value))
        if d.opinion and _folded(str(d.opinion)) not in said  # the reply quotes it already: once is enough
    ]
    if with_opinion:
        s.heading("三、各部门书面意见")
        for k, d in enumerate(with_opinion, 1):
            role = "牵头" if d.role == "lead" else "协办"
            when = f",{cn_date(d.opinion_at)}" if d.opinion_at else ""
            opinion = str(d.opinion).strip()
            first, _, more = opinion.partition("\n")
            s.para(f"({k}){d.dept.full_name}({role}{when}):{first}")
            if more.strip():
                s.para(more)
        n = 4
    numerals = "一二三四五六"
    if minutes:
        s.heading(f"{numerals[n - 1]}、会商情况")
        s.para(
            f"领导小组于{cn_date(str(minutes.get('held_on') or minutes.get('at') or ''))}召开专题会议会商研究,"
            "形成会议纪要,本答复依据会议纪要作出。"
        )
        n += 1

    s.heading(f"{numerals[n - 1]}、救济途径")
    s.para(("你方" if respondent else "您") + "如对本答复有异议,可按下列途径依法申请救济:")
    s.bullets(remedies(ctx.settings))
    s.para(f"如无异议,本站将按规定将本案归档。咨询电话:{ctx.station.phone or '—'}。")
    s.seal("respondent" if respondent else "payer")
    return s.render()
