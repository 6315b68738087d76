"""Information leaving the station (五(三) 落实保密责任).

Who receives each internal paper or export that carries personal data, and the head's approval (报批)
that must precede it.

Policy 五(三): "对外发布或向其他有关部门提供信息,要严格按照规定和程序报批。对缴费人的个人信息和事实情况,
要严格保密。" So:

- every internal paper with personal data (联办交办单, 报送单, 会议纪要, 案卷封面) and every case-list
  export names its receiver: a department code, or `station` (本站留存: the copy stays in the
  station's own file and says so on the paper);
- a receiver outside the station needs a recorded `disclosure_approved` event: which head, when,
  for which receiver and purpose. A case's approval covers that receiver for that case's papers
  (reprints included); a case-list approval covers one export.

Citizen papers go to the payer (the data subject) and carry masked identifiers: no approval.
The events carry codes and the purpose only; purposes are refused when they look like an ID or
phone number, so no personal data reaches the log through them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import Connection

from station_app.documents.payload import PaperKind
from station_app.domain.enums import DEPARTMENT_NAMES, DEPARTMENT_SHORT, Department
from station_app.domain.lifecycle import HEADS
from station_app.domain.safe_input import text_problem
from station_app.dto.case import CaseDetail
from station_app.errors import NotFound, PermissionDenied, ValidationError
from station_app.services.query_service import load_row
from station_app.services.session import Session
from station_app.store.db import read, write
from station_app.store.events import own_origin
from station_app.store.projection import local_name
from station_app.store.read_model.station import approval_rows, export_payloads

STATION = "station"
STATION_LABEL = "本站留存"
CASE_LIST = "case_list"
PERSONAL_PAPERS = frozenset({PaperKind.ASSIGNMENT, PaperKind.SUBMISSION, PaperKind.MINUTES, PaperKind.ARCHIVE})
SUBMISSION_RECEIVERS = (Department.BUSINESS, Department.CITY_GOV)
MAX_PURPOSE = 200
_IDENTIFIER = re.compile(r"\d{7,}|\d{6}(19|20)\d{2}")


@dataclass(frozen=True)
class Approval:
    """One recorded 报批: `scope` is `case` (a case's papers) or `case_list` (one export)."""

    uuid: str
    recipient: str
    recipient_label: str
    purpose: str
    approver: str
    at: str
    scope: str
    case_no: str | None = None
    used: bool = False

    def to_json(self) -> dict[str, object]:
        """The approval as `disclosure list --json` prints it."""
        return {
            "uuid": self.uuid,
            "recipient": self.recipient,
            "recipient_label": self.recipient_label,
            "purpose": self.purpose,
            "approver": self.approver,
            "at": self.at,
            "scope": self.scope,
            "case_no": self.case_no,
            "used": self.used,
        }


@dataclass(frozen=True)
class RecipientChoice:
    """A receiver the print dialog offers for one paper, and whether it may be printed for now."""

    code: str
    label: str
    needs_approval: bool
    approval: Approval | None

    @property
    def ready(self) -> bool:
        """Whether the paper may be printed for this receiver now: no approval needed, or one on record (五(三))."""
        return not self.needs_approval or self.approval is not None


@dataclass(frozen=True)
class DisclosureForm:
    """What the print dialog draws for a paper: the receivers, and whether this user may approve."""

    personal: bool
    choices: tuple[RecipientChoice, ...]
    can_approve: bool


def recipient_label(code: str) -> str:
    """`tax` -> 国家税务总局漠河市税务局; `station` -> 本站留存."""
    if code == STATION:
        return STATION_LABEL
    try:
        return DEPARTMENT_NAMES[Department(code)]
    except ValueError:
        return code


def parse_recipient(value: object, key: str = "to") -> str:
    """A receiver code (`station` or a department code); ValidationError on `key` otherwise."""
    code = str(value or "").strip()
    if code == STATION:
        return code
    try:
        return Department(code).value
    except ValueError:
        names = "、".join(d.value for d in Department)
        raise ValidationError({key: f"接收单位应为 station(本站留存)或部门代码:{names}"}) from None


def needs_recipient(kind: PaperKind) -> bool:
    """Whether a paper carries personal data for a receiver other than the payer."""
    return kind in PERSONAL_PAPERS


def paper_recipients(case: CaseDetail, kind: PaperKind) -> tuple[str, ...]:
    """The outside receivers a paper may be printed for.

    The case's departments for the 交办单 (each gets its own section), the city for the 报送单, any
    department for minutes and the file.
    """
    if kind is PaperKind.ASSIGNMENT:
        return tuple(d.dept.value for d in sorted(case.departments, key=lambda d: (d.role != "lead", d.dept.value)))
    if kind is PaperKind.SUBMISSION:
        return tuple(d.value for d in SUBMISSION_RECEIVERS)
    if kind in PERSONAL_PAPERS:
        return tuple(d.value for d in Department)
    return ()


def _purpose(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({"purpose": "请填写提供信息的用途"})
    purpose = value.strip()
    if problem := text_problem(purpose):
        raise ValidationError({"purpose": f"用途{problem}"})
    if len(purpose) > MAX_PURPOSE:
        raise ValidationError({"purpose": f"用途不能超过{MAX_PURPOSE}字"})
    if _IDENTIFIER.search(purpose):
        raise ValidationError({"purpose": "用途中不要写身份证号、电话等个人信息"})
    return purpose


def _approval(row: tuple[str, str | None, str, str, str], case_no: str | None, used: set[str], origin: str) -> Approval:
    uuid, _case_uuid, author, at, raw = row
    p = json.loads(raw)
    code = str(p.get("recipient") or "")
    return Approval(
        uuid,
        code,
        recipient_label(code),
        str(p.get("purpose") or ""),
        local_name(author, origin),
        at,
        str(p.get("scope") or "case"),
        case_no,
        uuid in used,
    )


def _approvals(conn: Connection, case_uuid: str | None, case_no: str | None) -> list[Approval]:
    """A case's approvals, or this store's case-list approvals.

    Those are store events, and another store's (held here for audit once synced) never count here.
    """
    origin = own_origin(conn)
    rows = approval_rows(conn, case_uuid, origin)
    used: set[str] = set()
    if case_uuid is None:
        for raw in export_payloads(conn, origin):
            if approval := json.loads(raw).get("approval"):
                used.add(str(approval))
    return [_approval((r[0], r[1], r[2], r[3], r[4]), case_no, used, origin) for r in rows]


def approve_disclosure(session: Session, recipient: str, purpose: str, case_ref: str | None = None) -> Approval:
    """Record a head's approval (报批, 五(三)) to give `recipient` information with personal data.

    A case's papers when `case_ref` (case number or UUID) is given, else one case-list export.

    Returns the Approval (who, when, receiver, purpose). Raises PermissionDenied for a role other
    than head/admin/coordinator, ValidationError on `to` or `purpose`, NotFound for no such case.
    `station` needs no approval and is refused as a receiver here.
    """
    if session.role not in HEADS:
        raise PermissionDenied("对外提供信息须由站长报批,当前账户无权批准")
    code = parse_recipient(recipient)
    if code == STATION:
        raise ValidationError({"to": "本站留存无须报批,请选择本站以外的接收单位"})
    reason = _purpose(purpose)
    with write(session.store.engine) as conn:
        case_uuid: str | None = None
        case_no: str | None = None
        if case_ref is not None:
            row = load_row(conn, case_ref)
            if row is None:
                raise NotFound("未找到该案件")
            case_uuid, case_no = str(row["uuid"]), str(row["case_no"])
        scope = "case" if case_uuid else CASE_LIST
        ev = session.record(
            conn, "disclosure_approved", {"recipient": code, "purpose": reason, "scope": scope, "set": {}}, case_uuid
        )
    return Approval(ev.uuid, code, recipient_label(code), reason, session.user, ev.at, scope, case_no)


def list_approvals(session: Session, case_ref: str | None = None) -> list[Approval]:
    """The approvals of a case (by number or UUID), or the station's case-list approvals.

    The station's case-list approvals come when `case_ref` is None; each says whether an export
    has used it. Raises NotFound for no such case.
    """
    with read(session.store.engine) as conn:
        if case_ref is None:
            return _approvals(conn, None, None)
        row = load_row(conn, case_ref)
        if row is None:
            raise NotFound("未找到该案件")
        return _approvals(conn, str(row["uuid"]), str(row["case_no"]))


def _refused(recipient: str) -> PermissionDenied:
    return PermissionDenied(
        f"向{recipient_label(recipient)}提供载有缴费人个人信息的材料须经站长报批(保密制度五(三)),"
        "尚无批准记录;请站长先批准(disclosure approve),或选择本站留存"
    )


def check_paper_recipient(
    conn: Connection, case: CaseDetail, kind: PaperKind, recipient: str | None
) -> Approval | None:
    """The approval a paper for `recipient` rests on (None for `station` or a citizen paper).

    Raises ValidationError on `to` when the paper goes to the payer (citizen papers take no
    receiver) or the receiver does not fit the paper, and PermissionDenied when an outside
    receiver has no recorded approval on this case (五(三)).
    """
    if not needs_recipient(kind):
        if recipient:
            raise ValidationError({"to": "该文书交缴费人本人,不指定接收单位"})
        return None
    code = parse_recipient(recipient or STATION)
    if code == STATION:
        return None
    if code not in paper_recipients(case, kind):
        raise ValidationError({"to": f"{recipient_label(code)}不是该文书的接收单位"})
    found = [a for a in _approvals(conn, case.summary.uuid, case.summary.case_no) if a.recipient == code]
    if not found:
        raise _refused(code)
    return found[-1]


def take_list_approval(conn: Connection, recipient: str) -> Approval | None:
    """The unused case-list approval an export to `recipient` rests on (None for `station`).

    PermissionDenied when there is none (五(三)).
    """
    code = parse_recipient(recipient)
    if code == STATION:
        return None
    for approval in _approvals(conn, None, None):
        if approval.recipient == code and not approval.used:
            return approval
    raise _refused(code)


def disclosure_form(session: Session, case: CaseDetail, kind: PaperKind) -> DisclosureForm:
    """The receivers the print dialog offers for `kind` on `case`, each with its approval state."""
    if not needs_recipient(kind):
        return DisclosureForm(False, (), False)
    with read(session.store.engine) as conn:
        approvals = _approvals(conn, case.summary.uuid, case.summary.case_no)
    latest = {a.recipient: a for a in approvals}
    choices = [RecipientChoice(STATION, STATION_LABEL, False, None)]
    choices += [RecipientChoice(c, recipient_label(c), True, latest.get(c)) for c in paper_recipients(case, kind)]
    return DisclosureForm(True, tuple(choices), session.role in HEADS)


def recipient_line(code: str, approval: Approval | None, draft: bool = False, approver_name: str = "") -> str:
    """The one line a paper prints about its receiver (part of the signed text).

    `approver_name` is the approving head's display name (default: the account name).
    """
    if code == STATION:
        return "接收单位:本站留存 · 未经站长报批不得对外提供"
    label = _short_label(code)
    if approval is None:
        return f"接收单位:{label} · 样稿:尚未报批,不得对外提供" if draft else f"接收单位:{label}"
    day = approval.at[:10]
    return f"接收单位:{label} · {approver_name or approval.approver} {day} 报批同意 · 用途:{approval.purpose}"


def _short_label(code: str) -> str:
    try:
        return DEPARTMENT_SHORT[Department(code)]
    except ValueError:
        return recipient_label(code)
