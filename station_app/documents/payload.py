"""The signed payload of a paper's QR code, and paper numbers (pure: no store, no PDF).

Format (ASCII only, so a hand scanner in keyboard mode can type it):

    SA1.<b64url(fields)>.<b64url(Ed25519 signature)>

`fields` is `|`-separated: station code, kind code, year, sequence, reprint, case number,
issue date (YYYYMMDD), addressee code, deadline (YYYYMMDD or empty), digest. The signature
covers the exact text `SA1.<b64url(fields)>`; the signature part must be canonical base64url,
so changing any one character of a payload makes it invalid. About 210 characters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from station_app.domain.enums import TOWNS, Department

PREFIX = "SA1"
DIGEST_BYTES = 12
SIG_CHARS = 86  # 64 bytes
_PAYLOAD_RE = re.compile(r"SA1\.([A-Za-z0-9_-]{8,400})\.([A-Za-z0-9_-]{86})")


class PaperKind(StrEnum):
    """The kinds of paper the station prints; `citizen_facing` says which go to the payer (masked)."""

    RECEIPT = "receipt"
    REFERRAL = "referral"
    ASSIGNMENT = "assignment"
    SUBMISSION = "submission"
    REFUSAL = "refusal"
    REPLY = "reply"
    MINUTES = "minutes"
    ARCHIVE = "archive"
    REPORT = "report"
    ESCALATION = "escalation"
    REPLY_RESPONDENT = "reply_respondent"
    APPROVAL = "approval"

    @property
    def label(self) -> str:
        """The paper's Chinese name (受理回执)."""
        return KIND_LABELS[self]

    @property
    def code(self) -> str:
        """The kind's one-letter code in QR payloads."""
        return KIND_CODES[self]

    @property
    def citizen_facing(self) -> bool:
        """Papers handed to the payer mask ID and phone numbers; the others show them in full."""
        return self in CITIZEN_KINDS


KIND_LABELS: dict[PaperKind, str] = {
    PaperKind.RECEIPT: "受理回执",
    PaperKind.REFERRAL: "转办告知单",
    PaperKind.ASSIGNMENT: "联办交办单",
    PaperKind.SUBMISSION: "报送单",
    PaperKind.REFUSAL: "不予受理告知书",
    PaperKind.REPLY: "书面答复",
    PaperKind.MINUTES: "会议纪要",
    PaperKind.ARCHIVE: "案卷封面及卷内目录",
    PaperKind.REPORT: "统计月报",
    PaperKind.ESCALATION: "重大疑难事项上报单",
    PaperKind.REPLY_RESPONDENT: "书面答复(被反映方)",
    PaperKind.APPROVAL: "领导小组批复",
}
KIND_CODES: dict[PaperKind, str] = {
    PaperKind.RECEIPT: "R",
    PaperKind.REFERRAL: "F",
    PaperKind.ASSIGNMENT: "A",
    PaperKind.SUBMISSION: "S",
    PaperKind.REFUSAL: "N",
    PaperKind.REPLY: "Y",
    PaperKind.MINUTES: "M",
    PaperKind.ARCHIVE: "V",
    PaperKind.REPORT: "T",
    PaperKind.ESCALATION: "E",
    PaperKind.REPLY_RESPONDENT: "P",
    PaperKind.APPROVAL: "B",
}
KIND_BY_CODE = {v: k for k, v in KIND_CODES.items()}
# The character of each kind in the paper number (机关代字): 漠西调受〔2025〕17号.
KIND_CHARS: dict[PaperKind, str] = {
    PaperKind.RECEIPT: "受",
    PaperKind.REFERRAL: "转",
    PaperKind.ASSIGNMENT: "交",
    PaperKind.SUBMISSION: "报",
    PaperKind.REFUSAL: "不",
    PaperKind.REPLY: "复",
    PaperKind.MINUTES: "纪",
    PaperKind.ARCHIVE: "档",
    PaperKind.REPORT: "统",
    PaperKind.ESCALATION: "重",
    PaperKind.REPLY_RESPONDENT: "复",
    PaperKind.APPROVAL: "批",
}
CITIZEN_KINDS = frozenset(
    {PaperKind.RECEIPT, PaperKind.REFERRAL, PaperKind.REFUSAL, PaperKind.REPLY, PaperKind.REPLY_RESPONDENT}
)

ADDRESSEE_LABELS = {"payer": "缴费人", "respondent": "被反映方", "archive": "本站案卷"}


def addressee_label(code: str) -> str:
    """The Chinese name of an addressee code: a department's full name, a fixed addressee, or the code itself."""
    if code in ADDRESSEE_LABELS:
        return ADDRESSEE_LABELS[code]
    try:
        return Department(code).full_name
    except ValueError:
        return code


def paper_prefix(station_code: str, kind: PaperKind) -> str:
    """The paper number's prefix for a station and kind, e.g. `漠西调受` for 232701100001's receipts.

    `漠` + the town's first character (+ the station's number within the town when not 1) + `调`
    + the kind's character.
    """
    town = TOWNS.get(station_code[:9], "")
    seq = station_code[9:].lstrip("0")
    station = (town[:1] if town else "") + (seq if seq not in ("", "1") else "")
    return f"漠{station}调{KIND_CHARS[kind]}"


def format_paper_no(station_code: str, kind: PaperKind, year: int, seq: int) -> str:
    """The paper number as printed: `漠西调受〔2025〕12号` (prefix, year, sequence in the year)."""
    return f"{paper_prefix(station_code, kind)}〔{year}〕{seq}号"


def b64(raw: bytes) -> str:
    """Base64url of `raw` without padding (ASCII)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    """Strict base64url: the text must be the canonical encoding of what it decodes to."""
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64(raw) != text:
        raise ValueError("non-canonical base64url")
    return raw


def digest(fields: Any) -> str:
    """A short digest of a paper's printed fields (canonical JSON, SHA-256, 12 bytes)."""
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return b64(hashlib.sha256(canonical.encode("utf-8")).digest()[:DIGEST_BYTES])


@dataclass(frozen=True)
class QrFields:
    """The fields a paper's QR code carries (see the module docstring for the format).

    `issued` and `deadline` are days; `digest` is the paper's digest (`digest`); `addressee` a
    code (`addressee_label`).
    """

    station_code: str
    kind: PaperKind
    year: int
    seq: int
    reprint: int
    case_no: str
    issued: date
    addressee: str
    deadline: date | None
    digest: str

    @property
    def paper_no(self) -> str:
        """The paper's number as printed."""
        return format_paper_no(self.station_code, self.kind, self.year, self.seq)

    def encode(self) -> str:
        """The fields as the `|`-separated ASCII text the signature covers.

        Raises:
            ValueError: a field is not ASCII or holds `|`.
        """
        parts = (
            self.station_code,
            self.kind.code,
            str(self.year),
            str(self.seq),
            str(self.reprint),
            self.case_no,
            self.issued.strftime("%Y%m%d"),
            self.addressee,
            self.deadline.strftime("%Y%m%d") if self.deadline else "",
            self.digest,
        )
        for part in parts:
            if "|" in part or not part.isascii():
                raise ValueError("payload field must be ASCII without '|'")
        return "|".join(parts)

    @classmethod
    def decode(cls, text: str) -> QrFields:
        """The fields from their `encode` text.

        Raises:
            ValueError: the wrong number of fields or a malformed number or date.
            KeyError: an unknown kind code.
        """
        parts = text.split("|")
        if len(parts) != 10:
            raise ValueError("wrong field count")
        station, kind, year, seq, reprint, case_no, issued, addressee, deadline, dig = parts
        return cls(
            station_code=station,
            kind=KIND_BY_CODE[kind],
            year=int(year),
            seq=int(seq),
            reprint=int(reprint),
            case_no=case_no,
            issued=_ymd(issued),
            addressee=addressee,
            deadline=_ymd(deadline) if deadline else None,
            digest=dig,
        )

    def to_json(self) -> dict[str, Any]:
        """The fields as `paper verify` prints them, with the paper number and the kind's and addressee's labels."""
        return {
            "paper_no": self.paper_no,
            "kind": self.kind.value,
            "kind_label": self.kind.label,
            "station_code": self.station_code,
            "case_no": self.case_no or None,
            "issued": self.issued.isoformat(),
            "addressee": self.addressee,
            "addressee_label": addressee_label(self.addressee),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "reprint": self.reprint,
            "digest": self.digest,
        }


def _ymd(text: str) -> date:
    if len(text) != 8 or not text.isdigit():
        raise ValueError("bad date")
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def make_payload(fields: QrFields, sign: Callable[[bytes], bytes]) -> str:
    """The signed QR payload `SA1.<b64url(fields)>.<b64url(signature)>`; `sign` signs the ASCII message."""
    message = f"{PREFIX}.{b64(fields.encode().encode('ascii'))}"
    return f"{message}.{b64(sign(message.encode('ascii')))}"


@dataclass(frozen=True)
class ParsedPayload:
    """A scanned payload split up: the `message` the signature covers, the `signature`, the decoded fields."""

    message: bytes  # what the signature covers
    signature: bytes
    fields: QrFields


def parse_payload(text: str) -> ParsedPayload:
    """Split and decode a scanned payload (no signature check); ValueError when malformed."""
    cleaned = text.strip()
    m = _PAYLOAD_RE.fullmatch(cleaned)
    if m is None:
        raise ValueError("格式不符")
    try:
        signature = unb64(m.group(2))
        body = unb64(m.group(1)).decode("ascii")
        fields = QrFields.decode(body)
    except (ValueError, KeyError, UnicodeDecodeError, binascii.Error):
        raise ValueError("内容无法解析") from None
    return ParsedPayload(f"{PREFIX}.{m.group(1)}".encode("ascii"), signature, fields)
