"""Which module builds which case paper."""

from __future__ import annotations

from collections.abc import Callable

from station_app.documents import (
    approval,
    archive,
    assignment,
    escalation,
    minutes,
    receipt,
    referral,
    refusal,
    reply,
    submission,
)
from station_app.documents.base import Built, PaperContext
from station_app.documents.payload import PaperKind
from station_app.dto.case import CaseDetail

BUILDERS: dict[PaperKind, Callable[[PaperContext, CaseDetail], Built]] = {
    PaperKind.RECEIPT: receipt.build,
    PaperKind.REFERRAL: referral.build,
    PaperKind.ASSIGNMENT: assignment.build,
    PaperKind.SUBMISSION: submission.build,
    PaperKind.REFUSAL: refusal.build,
    PaperKind.REPLY: reply.build,
    PaperKind.MINUTES: minutes.build,
    PaperKind.ARCHIVE: archive.build,
    PaperKind.ESCALATION: escalation.build,
    PaperKind.REPLY_RESPONDENT: reply.build_respondent,
    PaperKind.APPROVAL: approval.build,
}
