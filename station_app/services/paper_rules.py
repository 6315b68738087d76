"""Which paper fits a case in its track and state, and the date each paper announces."""

from __future__ import annotations

from datetime import date, datetime

from station_app.documents.decision import decision_note
from station_app.documents.payload import PaperKind
from station_app.domain.enums import Status, Track
from station_app.dto.case import CaseDetail
from station_app.errors import ValidationError
from station_app.rules.deadlines import stage_plan
from station_app.services.session import Session

CASE_PAPERS = tuple(k.value for k in PaperKind if k is not PaperKind.REPORT)
PROCEEDINGS = ("arbitration", "litigation", "reconsideration")
_EARLY = frozenset({Status.REGISTERED, Status.RETURNED})
_ENDED_EARLY = frozenset({Status.WITHDRAWN, Status.CLOSED_ON_SPOT})
_ARCHIVABLE = frozenset(
    {
        Status.REPLIED,
        Status.OBJECTION,
        Status.ARCHIVED,
        Status.CLOSED_ON_SPOT,
        Status.NOT_ACCEPTED,
        Status.WITHDRAWN,
        Status.CLUE_TRANSFERRED,
    }
)


# -- which paper fits ----------------------------------------------------------------------


def check_paper(case: CaseDetail, kind: PaperKind) -> None:
    """Refuse (ValidationError on `paper`) a paper that makes no sense for the case's track/state."""
    track, status = case.routing.track, case.summary.status
    why: str | None = None
    if kind is PaperKind.RECEIPT and track is Track.NOT_ACCEPTED:
        why = "不予受理的事项不出具受理回执,请打印不予受理告知书"
    elif kind is PaperKind.REFERRAL and (track is not Track.REFER or status in _ENDED_EARLY):
        why = "转办告知单只用于告知转办的事项"
    elif kind is PaperKind.ASSIGNMENT:
        city_assigned = case.note("city_assigned") is not None  # 四(五): the city's 交办单 of a 报送 matter
        if track not in (Track.JOINT, Track.MAJOR) and not city_assigned:
            why = "联办交办单只用于一般事项(联办)、重大疑难事项和市级交办的事项"
        elif status in _EARLY or status in _ENDED_EARLY:
            why = "请先确认分流,再打印联办交办单"
        elif track is Track.MAJOR and not case.approved:
            why = "重大疑难事项须经领导小组组长批准后交办"
        elif not case.departments:
            why = "本案没有承办部门"
    elif kind is PaperKind.SUBMISSION and track is not Track.SUBMIT_CITY and case.note("submitted_to_city") is None:
        why = "报送单只用于职责不清、报送市级办理的事项"
    elif kind is PaperKind.REFUSAL and track is not Track.NOT_ACCEPTED:
        why = "不予受理告知书只用于不予受理的事项"
    elif kind is PaperKind.REPLY and case.note("reply_issued") is None:
        why = "本案尚未形成书面答复,请先录入答复内容"
    elif kind is PaperKind.REPLY_RESPONDENT:
        if not case.intake.get("respondent"):
            why = "本案没有被反映方"
        elif case.note("reply_issued") is None:
            why = "本案尚未形成书面答复,请先录入答复内容"
    elif kind is PaperKind.ESCALATION:
        if track is not Track.MAJOR and case.note("escalation_requested") is None:
            why = "重大疑难事项上报单只用于重大疑难事项"
        elif status in _EARLY:
            why = "请先确认分流,将本案上报领导小组办公室"
    elif kind is PaperKind.MINUTES and case.note("minutes_recorded") is None:
        why = "本案尚未录入会议纪要(只有重大疑难事项需要)"
    elif kind is PaperKind.APPROVAL and decision_note(case) is None:
        why = "本案尚无领导小组的批示(同意或不同意),不能出具批复"
    elif kind is PaperKind.ARCHIVE and status not in _ARCHIVABLE:
        why = f"案件状态为“{status.label}”,办结后才能打印案卷封面"
    if why:
        raise ValidationError({"paper": why}, "该文书不适用于本案")


def intake_papers(track: Track) -> tuple[PaperKind, ...]:
    """The papers handed over at the desk right after intake, the first one first.

    A matter not accepted gets the refusal notice (never a receipt); a refer matter also the
    referral slip.
    """
    if track is Track.NOT_ACCEPTED:
        return (PaperKind.REFUSAL,)
    if track is Track.REFER:
        return (PaperKind.RECEIPT, PaperKind.REFERRAL)
    return (PaperKind.RECEIPT,)


def paper_kind(value: str) -> PaperKind:
    """The case paper named `value` (`receipt`, `referral`...).

    Raises:
        ValidationError: on `paper` when `value` is not a case paper (the names are listed).
    """
    if value not in CASE_PAPERS:
        raise ValidationError({"paper": f"文书种类应为:{'、'.join(CASE_PAPERS)}"})
    return PaperKind(value)


# -- deadlines printed on papers -------------------------------------------------------------


def _term_from_today(session: Session, track: Track, key: str) -> tuple[date | None, bool]:
    """The due date of stage `key` of `track` if its term started today."""
    plan = stage_plan(session.calendar(), track, session.today(), session.deadline_settings())
    stage = plan.stage(key)
    return session.calendar().add_working_days(session.today(), stage.working_days) if stage else (None, False)


def paper_deadline(session: Session, case: CaseDetail, kind: PaperKind) -> tuple[date | None, bool]:
    """The date a paper announces and whether it is estimated.

    The expected answer (receipt), the department's deadline (referral, assignment), the city's
    (submission), the leading group's (escalation); (None, False) for the others.

    A case already in the stage the paper belongs to prints the due date stored on the case;
    otherwise the date comes from `rules.deadlines.stage_plan`, the plan the routing panel shows:
    the receipt's from the day received, the others' terms from today.
    """
    s = case.summary
    due = (date.fromisoformat(s.due_date), s.due_estimated) if s.due_date else None
    track = case.routing.track
    if kind is PaperKind.RECEIPT:
        if s.stage == "reply" and due:
            return due
        plan = stage_plan(session.calendar(), track, case_received_on(case), session.deadline_settings())
        return (plan.answer.due, plan.answer.estimated) if plan.answer else (None, False)
    if kind in (PaperKind.REFERRAL, PaperKind.ASSIGNMENT):
        if s.stage == "opinion" and due:
            return due
        return _term_from_today(session, track, {Track.MAJOR: "major", Track.JOINT: "opinion"}.get(track, "department"))
    if kind is PaperKind.ESCALATION:
        return due if s.stage == "approval" and due else (None, False)
    if kind is PaperKind.SUBMISSION:
        return due if s.stage == "city" and due else _term_from_today(session, Track.SUBMIT_CITY, "city")
    return None, False


def case_received_on(case: CaseDetail) -> date:
    """The day the case was received (Beijing time), from its intake."""
    return datetime.fromisoformat(str(case.intake["received_at"])).date()
