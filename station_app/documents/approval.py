"""领导小组批复: the leading group's decision on a major (重大疑难) matter (四(二)2(2)).

The city office issues it after recording `approve` or `decline` on a matter a station reported.

Addressed to the reporting station, copied to the task group's departments. It names the matter
by case number and masks the payer's identifiers (the station holds them in full; the copy
travels between offices), so it needs no receiver approval of its own.
"""

from __future__ import annotations

from station_app.documents.base import Built, PaperContext, Story
from station_app.documents.decision import decision_note
from station_app.documents.fmt import case_rows, cn_date, dept_names
from station_app.domain.enums import TOWNS, Department
from station_app.domain.lifecycle import DEFAULT_TASK_GROUP
from station_app.dto.case import CaseDetail


def _station_name(case: CaseDetail) -> str:
    """The reporting station, named after its town (the station code when the town is unknown)."""
    code = case.summary.station_code
    town = TOWNS.get(code[:9], "")
    return f"{town}社保费争议调解站" if town else f"调解站({code})"


def build(ctx: PaperContext, case: CaseDetail) -> Built:
    """The 批复 of the latest decision (ValueError when there is none: `check_paper` refuses first)."""
    decided = decision_note(case)
    if decided is None:
        raise ValueError("no leading-group decision on record")
    approved, note = decided
    s = Story(ctx)
    document_no = str(note.get("document_no") or "")
    s.title("关于社会保险费征缴争议重大疑难事项的批复", document_no or None)
    s.addressee(f"{_station_name(case)}:")
    decided_on = cn_date(str(note.get("date") or note.get("at") or ""))
    approver = str(note.get("approver") or "领导小组组长")
    group: list[Department] = []
    if approved:
        listed = note.get("task_group")
        codes = [str(d) for d in listed] if isinstance(listed, list) else []
        group = [Department(d) for d in codes] or list(DEFAULT_TASK_GROUP)
        s.para(
            f"你站上报的案件编号为{case.summary.case_no}的社会保险费征缴争议事项收悉。经领导小组组长({approver})"
            f"于{decided_on}批准,同意按重大疑难事项办理,由下列单位成立工作领导小组专案处理。"
        )
    else:
        s.para(
            f"你站上报的案件编号为{case.summary.case_no}的社会保险费征缴争议事项收悉。经领导小组组长({approver})"
            f"于{decided_on}研究,不同意按重大疑难事项办理,请按一般程序继续办理。"
        )
    s.heading("一、事项")
    s.fields(case_rows(case, citizen=True))
    s.heading("二、批复意见")
    text = str(note.get("text") or "").strip()
    if approved:
        s.fields(
            [
                ("工作领导小组成员单位", dept_names(group)),
                ("书面审批意见时限", "自批准之日起按规定时限提出,逾期按未提交计"),
            ]
        )
        s.para(text or "请各成员单位依职责提出书面审批意见,由领导小组办公室组织会商并形成会议纪要。")
    else:
        s.para(f"不同意理由:{text or '(未填写)'}")
        s.para("请调解站按分流结果(联办或转办)组织办理,并依规定时限书面答复缴费人。")
    copies = list(dict.fromkeys([Department.CITY_GOV, *group]))
    s.para("抄送:" + dept_names(copies) + "。本批复仅用于办理本事项。", "small")
    s.seal(Department.CITY_GOV.value, issuer=f"{ctx.station.name}(领导小组办公室)")
    return s.render()
