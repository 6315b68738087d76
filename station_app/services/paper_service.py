"""Printing papers and verifying the signed QR codes they carry.

Which paper fits a case, its number, the PDF, the `paper_printed` event; and verifying the signed
payload of a paper's QR code.

Paper numbers come from one counter per station and year (`paper_seq:YYYY` in `meta`),
taken inside the write transaction that records the print. A reprint of the same kind for the
same case keeps its number and says 补打(第N次) on the paper. The event carries the number,
kind, reprint count and digests only: never personal data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection

from station_app.documents import report
from station_app.documents.base import Built, PaperContext, StationInfo
from station_app.documents.payload import PaperKind, parse_payload
from station_app.documents.registry import BUILDERS
from station_app.domain.enums import TOWNS
from station_app.dto.case import CaseDetail
from station_app.dto.stats import Stats
from station_app.errors import PermissionDenied, StationError, ValidationError
from station_app.services.disclosure_service import (
    STATION,
    check_paper_recipient,
    needs_recipient,
    parse_recipient,
    recipient_line,
)
from station_app.services.paper_rules import CASE_PAPERS, PROCEEDINGS, check_paper, paper_deadline, paper_kind
from station_app.services.query_service import get_case
from station_app.services.session import Session
from station_app.store.counters import PAPER_NO
from station_app.store.db import get_meta, next_counter, read, set_meta, write
from station_app.store.read_model.papers import latest_paper, paper_reprint, printed_payloads
from station_app.store.read_model.station import account_display_name, display_names

__all__ = [
    "CASE_PAPERS",
    "PROCEEDINGS",
    "PaperResult",
    "VerifyResult",
    "check_paper",
    "paper_deadline",
    "paper_kind",
    "preview_paper",
    "print_paper",
    "print_report",
    "station_info",
    "verify_payload",
]


@dataclass(frozen=True)
class PaperResult:
    """A paper made: the PDF, its number and the signed QR payloads it carries.

    Attributes:
        pdf: The PDF bytes (A4).
        paper_no: The paper's number; a reprint keeps the first print's number.
        reprint: 0 for the first print, then 1, 2... (the paper says 补打).
        payload: The first QR payload (a draft's is unsigned and never verifies).
        pages: The number of pages.
        payloads: Every section's QR payload, in page order.
        digest: SHA-256 hex digest of the PDF.
        recipient: For an internal paper, the receiving department's code or `station`.
    """

    pdf: bytes
    paper_no: str
    reprint: int
    payload: str  # the (first) QR payload
    kind: str = ""
    pages: int = 0
    payloads: tuple[str, ...] = ()
    digest: str = ""
    recipient: str = ""  # internal papers: the receiving department code or `station`


@dataclass(frozen=True)
class VerifyResult:
    """The check of a scanned QR payload: valid or not, the fields it carries, and why."""

    valid: bool
    fields: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """The result as `paper verify --json` prints it."""
        return {"valid": self.valid, "fields": self.fields, "reason": self.reason}


# -- printing ---------------------------------------------------------------------------------


def _private_key(session: Session) -> Ed25519PrivateKey:
    raw = session.store.meta("ed25519_private")
    if not raw:
        raise StationError("本站签名密钥缺失,无法签发文书")
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(raw))


def station_info(session: Session) -> StationInfo:
    """The station as papers print it: code, name, town, address and phone (from the settings)."""
    settings = session.settings()
    town_code = session.store.meta("town_code") or session.station_code[:9]
    return StationInfo(
        code=session.station_code,
        name=session.station_name,
        town=TOWNS.get(town_code, ""),
        phone=str(settings.get("station_phone") or ""),
        address=str(settings.get("station_address") or ""),
    )


def _display_name(conn: Connection, user: str) -> str:
    """The account's display name (王丽) for the paper's handler line; its name when it has none."""
    return account_display_name(conn, user) or user


def _next_seq(conn: Connection, year: int) -> int:
    return next_counter(conn, f"paper_seq:{year}")


def _number(conn: Connection, session: Session, existing: tuple[str, int] | None) -> tuple[int, int, int]:
    """(year, seq, reprint): the existing paper's number for a reprint, else a new one."""
    if existing:
        m = PAPER_NO.search(existing[0])
        if m:
            return int(m.group(1)), int(m.group(2)), existing[1] + 1
    year = session.today().year
    return year, _next_seq(conn, year), 0


def _draft_number(conn: Connection, session: Session, existing: tuple[str, int] | None) -> tuple[int, int, int]:
    """The number `_number` would give, without taking it (for a draft on the screen)."""
    if existing and (m := PAPER_NO.search(existing[0])):
        return int(m.group(1)), int(m.group(2)), existing[1] + 1
    year = session.today().year
    return year, int(get_meta(conn, f"paper_seq:{year}") or 0) + 1, 0


def _record(
    session: Session,
    conn: Connection,
    ctx: PaperContext,
    built: Built,
    case_uuid: str | None,
    extra: Mapping[str, Any] | None = None,
) -> PaperResult:
    payload: dict[str, Any] = {
        "paper_no": ctx.paper_no,
        "kind": ctx.kind.value,
        "reprint": ctx.reprint,
        "digest": built.digest,
        "sections": list(built.sections),
        "pages": built.pages,
    }
    payload.update(extra or {})
    session.record(conn, "paper_printed", payload, case_uuid)
    return PaperResult(
        built.pdf,
        ctx.paper_no,
        ctx.reprint,
        built.payloads[0] if built.payloads else "",
        ctx.kind.value,
        built.pages,
        built.payloads,
        built.digest,
        ctx.recipient,
    )


def _checked(
    session: Session, case_no: str, kind: str | PaperKind, options: Mapping[str, str] | None
) -> tuple[PaperKind, CaseDetail, dict[str, str]]:
    pk = paper_kind(str(kind.value if isinstance(kind, PaperKind) else kind))
    opts = {k: str(v) for k, v in (options or {}).items() if v}
    if opts.get("proceedings") and opts["proceedings"] not in PROCEEDINGS:
        raise ValidationError({"proceedings": f"程序应为:{'、'.join(PROCEEDINGS)}"})
    if opts.get("to"):
        opts["to"] = parse_recipient(opts["to"])
    case = get_case(session, case_no)
    check_paper(case, pk)
    return pk, case, opts


def _recipient(
    conn: Connection, case: CaseDetail, pk: PaperKind, opts: dict[str, str], draft: bool = False
) -> tuple[str, str, str | None]:
    """The receiver of an internal paper with personal data (五(三)).

    Returns (receiver code, the line the paper prints, approval uuid); ("", "", None) for a
    citizen paper. A draft shows a missing approval instead of refusing it; a final copy is
    refused without one.
    """
    to = opts.get("to")
    try:
        approval = check_paper_recipient(conn, case, pk, to)
    except PermissionDenied:
        if not draft:
            raise
        approval = None
    if not needs_recipient(pk):
        return "", "", None
    code = to or STATION
    name = _display_name(conn, approval.approver) if approval else ""
    return code, recipient_line(code, approval, draft, name), approval.uuid if approval else None


def _existing(conn: Connection, case_uuid: str, kind: PaperKind) -> tuple[str, int] | None:
    """The case's earlier paper of this kind as (paper_no, reprint), or None."""
    return latest_paper(conn, case_uuid, kind.value)


def _context(
    session: Session,
    conn: Connection,
    case: CaseDetail,
    pk: PaperKind,
    number: tuple[int, int, int],
    opts: dict[str, str],
    sign: Any,
    draft: bool = False,
    recipient: tuple[str, str] = ("", ""),
) -> PaperContext:
    deadline, estimated = paper_deadline(session, case, pk)
    year, seq, reprint = number
    return PaperContext(
        kind=pk,
        year=year,
        seq=seq,
        issued_at=session.clock.now(),
        reprint=reprint,
        station=station_info(session),
        handler=_display_name(conn, case.summary.handler),
        settings=session.settings(),
        sign=sign,
        case_no=case.summary.case_no,
        deadline=deadline,
        deadline_estimated=estimated,
        options=opts,
        draft=draft,
        recipient=recipient[0],
        recipient_line=recipient[1],
        accounts={name: shown or name for name, shown in display_names(conn).items()},
    )


def print_paper(
    session: Session, case_no: str, kind: str | PaperKind, options: Mapping[str, str] | None = None
) -> PaperResult:
    """Build one paper for a case, number it and record the print (one write transaction).

    Refused (ValidationError on `paper`) when the paper does not fit the case's track or state.
    `options`: `proceedings` (arbitration|litigation|reconsideration) for the refusal notice;
    `to` for an internal paper with personal data (交办单, 报送单, 纪要, 案卷): the receiving
    department code, or `station` (the default: 本站留存). An outside receiver needs a head's
    recorded approval on the case (五(三) 报批): PermissionDenied without one, ValidationError on
    `to` when the receiver does not fit the paper. The `paper_printed` event records the receiver
    and the approval (codes only). A 交办单 for one department carries that department's section.
    """
    pk, case, opts = _checked(session, case_no, kind, options)
    key = _private_key(session)
    with write(session.store.engine) as conn:
        code, line, approval = _recipient(conn, case, pk, opts)
        number = _number(conn, session, _existing(conn, case.summary.uuid, pk))
        ctx = _context(session, conn, case, pk, number, opts, key.sign, recipient=(code, line))
        built = BUILDERS[pk](ctx, case)
        extra = {"recipient": code, "approval": approval} if code else None
        return _record(session, conn, ctx, built, case.summary.uuid, extra)


def _unsigned(message: bytes) -> bytes:
    return bytes(64)


def preview_paper(
    session: Session, case_no: str, kind: str | PaperKind, options: Mapping[str, str] | None = None
) -> PaperResult:
    """A draft of the paper for the screen.

    Marked 样稿, QR code not signed (it never verifies), no number taken and nothing recorded. Print
    with `print_paper` (same `options`; a draft for an outside receiver without approval says so
    instead of being refused).
    """
    pk, case, opts = _checked(session, case_no, kind, options)
    with read(session.store.engine) as conn:
        code, line, _approval = _recipient(conn, case, pk, opts, draft=True)
        existing = _existing(conn, case.summary.uuid, pk)
        number = _draft_number(conn, session, existing)
        ctx = _context(session, conn, case, pk, number, opts, _unsigned, draft=True, recipient=(code, line))
    built = BUILDERS[pk](ctx, case)
    return PaperResult(
        built.pdf,
        ctx.paper_no,
        ctx.reprint,
        built.payloads[0] if built.payloads else "",
        pk.value,
        built.pages,
        built.payloads,
        built.digest,
        ctx.recipient,
    )


def _report_number(conn: Connection, session: Session, month: str) -> tuple[str, tuple[str, int] | None]:
    """The meta key of the report of period `month` and its existing number and reprint count, if any."""
    meta_key = f"report_paper:{month}"
    paper_no = get_meta(conn, meta_key)
    if paper_no is None:
        return meta_key, None
    return meta_key, (paper_no, paper_reprint(conn, paper_no) or 0)


def _report_context(
    session: Session, conn: Connection, number: tuple[int, int, int], sign: Any, draft: bool = False
) -> PaperContext:
    year, seq, reprint = number
    return PaperContext(
        kind=PaperKind.REPORT,
        year=year,
        seq=seq,
        issued_at=session.clock.now(),
        reprint=reprint,
        station=station_info(session),
        handler=_display_name(conn, session.user),
        settings=session.settings(),
        sign=sign,
        draft=draft,
    )


def print_report(session: Session, month: str, stats: Stats) -> PaperResult:
    """Number, sign and record the statistics report of period `month` on `stats`.

    `month` is `stats_service.period_key`: YYYY-MM for a monthly report, or
    `YYYY-MM-DD..YYYY-MM-DD`. A reprint keeps the period's number.
    """
    key = _private_key(session)
    with write(session.store.engine) as conn:
        meta_key, existing = _report_number(conn, session, month)
        number = _number(conn, session, existing)
        ctx = _report_context(session, conn, number, key.sign)
        set_meta(conn, meta_key, ctx.paper_no)
        built = report.build(ctx, stats)
        return _record(session, conn, ctx, built, None, {"period": month})


def preview_report(session: Session, month: str, stats: Stats) -> PaperResult:
    """A draft of the statistics report of period `month` for the screen (样稿): nothing numbered."""
    with read(session.store.engine) as conn:
        _meta_key, existing = _report_number(conn, session, month)
        number = _draft_number(conn, session, existing)
        ctx = _report_context(session, conn, number, _unsigned, draft=True)
    built = report.build(ctx, stats)
    return PaperResult(
        built.pdf,
        ctx.paper_no,
        ctx.reprint,
        built.payloads[0] if built.payloads else "",
        PaperKind.REPORT.value,
        built.pages,
        built.payloads,
        built.digest,
    )


# -- verifying ----------------------------------------------------------------------------------

# The city's keyring, when the store holds one: the signed keyring document (JSON, the
# `msync-keyring/1` form of sync/keyring_doc.py) kept in `meta` under this key once sync has
# checked its root signature. Its `signing` keys are the stations' paper and bundle keys.
KEYRING_META = "keyring"


def _public_key(source: Session | Ed25519PublicKey | bytes | str) -> Ed25519PublicKey:
    if isinstance(source, Ed25519PublicKey):
        return source
    if isinstance(source, Session):
        raw = source.store.meta("ed25519_public")
        if not raw:
            raise StationError("本站签名公钥缺失")
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(raw))
    data = bytes.fromhex(source) if isinstance(source, str) else source
    return Ed25519PublicKey.from_public_bytes(data)


def known_station_keys(session: Session, station_code: str) -> list[Ed25519PublicKey]:
    """The Ed25519 keys this store knows for the station `station_code`.

    Its own signing key when the code is this store's, and the `signing` keys the city's keyring
    lists for that station (active or retired; a revoked key proves nothing). Empty when it knows
    none.
    """
    keys: list[Ed25519PublicKey] = []
    with read(session.store.engine) as conn:
        own, keyring = get_meta(conn, "ed25519_public"), get_meta(conn, KEYRING_META)
    if own and station_code == session.station_code:
        keys.append(Ed25519PublicKey.from_public_bytes(bytes.fromhex(own)))
    try:
        entries = json.loads(keyring).get("keys", []) if keyring else []
    except (ValueError, AttributeError):
        entries = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("owner") != station_code or entry.get("role") != "signing":
            continue
        if entry.get("status") == "revoked":
            continue
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(bytes.fromhex(str(entry.get("pub")))))
        except ValueError:
            continue
    return keys


def verify_payload(source: Session | Ed25519PublicKey | bytes | str, text_: str) -> VerifyResult:
    """Check a scanned QR payload.

    With a session (what the app and `paper verify` use): against the keys the store knows for the
    issuing station (`known_station_keys`), and whether the print is in this station's log. With a
    key (a session-less check of one station's key: its raw 32 bytes, hex or the key itself):
    against that key only.
    """
    try:
        parsed = parse_payload(text_)
    except ValueError as exc:
        return VerifyResult(False, {}, f"无法识别的核验码:{exc}")
    if isinstance(source, Session):
        issuer = parsed.fields.station_code
        keys = known_station_keys(source, issuer)
        if not keys:
            return VerifyResult(False, {"station_code": issuer}, "非本站签发的文书,本站及市级密钥清单中均无该站公钥")
    else:
        try:
            keys = [_public_key(source)]
        except ValueError:
            return VerifyResult(False, {}, "公钥格式错误")
    if not any(_verifies(key, parsed.signature, parsed.message) for key in keys):
        return VerifyResult(False, {}, "签名无效:核验码被改动或并非所示调解站签发")
    fields = parsed.fields.to_json()
    reason = "签名有效"
    if isinstance(source, Session) and parsed.fields.station_code == source.station_code:
        fields["recorded"] = _recorded(source, parsed.fields.paper_no, parsed.fields.reprint, parsed.fields.digest)
        if not fields["recorded"]:
            reason = "签名有效,但本站打印记录中未找到该文书"
    elif isinstance(source, Session) and len(parsed.fields.station_code) == CITY_CODE_LENGTH:
        reason = "签名有效(市级签发,按市级密钥清单中的市级公钥核验;打印记录在市级)"
    elif isinstance(source, Session):
        reason = "签名有效(按市级密钥清单中该站的公钥核验;打印记录在签发站)"
    return VerifyResult(True, fields, reason)


CITY_CODE_LENGTH = 6  # a city console signs its papers under the city's 6-digit code, a station under its 12


def _verifies(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _recorded(session: Session, paper_no: str, reprint: int, section: str) -> bool:
    with read(session.store.engine) as conn:
        payloads = printed_payloads(conn, paper_no)
    for p in payloads or []:
        if p.get("paper_no") == paper_no and int(p.get("reprint", 0)) == reprint and section in p.get("sections", []):
            return True
    return False
