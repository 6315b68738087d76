"""Tables of the station store (SQLModel). `events` is the truth; the rest are projections."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

metadata = SQLModel.metadata


class Meta(SQLModel, table=True):
    """A store-wide fact by key, as text.

    Station code and name, origin, profile, schema version, ledger head, sync keys.
    """

    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class Setting(SQLModel, table=True):
    """A station setting by key; `value` is JSON text (the current value of `setting_changed` events)."""

    __tablename__ = "settings"
    key: str = Field(primary_key=True)
    value: str  # JSON


class EventRow(SQLModel, table=True):
    """One event, in the order it arrived here (`seq`, the local ledger).

    Its place in its chain is (origin, stream, origin_seq); `prev_hash` and `hash` link it
    within that chain; `ledger_hash` links it to the previous row of this store's ledger
    (SYNC.md §3.2).
    """

    __tablename__ = "events"
    seq: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(unique=True)
    case_uuid: str | None = Field(default=None, index=True)
    type: str
    payload: str  # canonical JSON
    author: str  # origin/user from envelope v2 on; a bare user name in hash_v 1 rows
    origin: str
    at: str
    prev_hash: str
    hash: str
    stream: str | None = None
    origin_seq: int | None = None
    hash_v: int = 1
    v: int = 1  # payload version
    scope: str | None = None  # case | store | broadcast
    base: str | None = None  # canonical JSON version vector {origin: origin_seq}; case events only
    bundle_id: str | None = None  # the bundle it came in (None: written here)
    ledger_hash: str | None = None
    key_id: str | None = None  # the signing key's id (event_sig.py); None before events were signed
    sig: str | None = None  # Ed25519 signature of the hash, hex


class ChainHead(SQLModel, table=True):
    """The last event of each (origin, stream) chain held here: appends read it, never scan."""

    __tablename__ = "chain_heads"
    origin: str = Field(primary_key=True)
    stream: str = Field(primary_key=True)
    seq: int  # origin_seq of the head
    hash: str


class PendingEvent(SQLModel, table=True):
    """A foreign event held back: a gap before it in its chain, or a `base` not yet here.

    Not in the ledger, not projected; released when what it waits for arrives.
    """

    __tablename__ = "pending_events"
    uuid: str = Field(primary_key=True)
    origin: str
    stream: str
    origin_seq: int
    reason: str  # gap | missing_base
    hash: str
    envelope: str  # canonical JSON of the envelope as received
    bundle_id: str | None = None


class ConflictRow(SQLModel, table=True):
    """Two concurrent case events that may not both stand (projection; DESIGN.md "No silent overwrite").

    `held` is the one not applied here; `resolved_by` the settling event.
    """

    __tablename__ = "conflicts"
    id: int | None = Field(default=None, primary_key=True)
    case_uuid: str = Field(index=True)
    a_uuid: str
    b_uuid: str
    held: str
    fields: str  # JSON list of the clashing fields
    state: str  # open | resolved
    resolved_by: str | None = None


class EventFlag(SQLModel, table=True):
    """An event kept but not projected: its type or payload version is unknown here (projection)."""

    __tablename__ = "event_flags"
    uuid: str = Field(primary_key=True)
    flag: str  # unknown_type | unknown_version
    type: str
    v: int


class UserRow(SQLModel, table=True):
    """An account (projection of the account events); passwords and keys live in `keys.json`."""

    __tablename__ = "users"
    name: str = Field(primary_key=True)
    role: str
    display_name: str
    active: bool = True
    created_at: str


class LoginAttempt(SQLModel, table=True):
    """One login attempt, kept for the lockout and the audit (an unknown account recorded by a tag, not its name)."""

    __tablename__ = "login_attempts"
    id: int | None = Field(default=None, primary_key=True)
    user_name: str
    at: str
    ok: bool


class CaseRow(SQLModel, table=True):
    """A case as lists and search read it (projection of its events): one row per case."""

    __tablename__ = "cases"
    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(unique=True)
    case_no: str = Field(unique=True)
    station_code: str
    received_at: str = Field(index=True)
    channel: str
    town_code: str = Field(index=True)
    applicant_kind: str
    applicant_name: str
    applicant_id: str | None = None
    applicant_phone: str | None = None
    applicant_uscc: str | None = None
    respondent_name: str | None = None
    respondent_uscc: str | None = None
    employer: str | None = None
    category: int = Field(index=True)
    insurance_types: str  # JSON list
    periods: str  # JSON list
    amount_claimed: str | None = None
    group_size: int = 1
    flags: str  # JSON list of set flags
    track: str = Field(index=True)
    lead: str | None = Field(default=None, index=True)
    co: str  # JSON list
    reasons: str  # JSON list
    status: str = Field(index=True)
    stage: str
    stage_start: str | None = None
    due_date: str | None = Field(default=None, index=True)
    due_estimated: bool = False
    extended: bool = False
    approved: bool = False
    # 线索移送纪委监委: a flag beside the case, not a status
    clue_transferred: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    handler: str
    objection_route: str | None = None
    satisfaction: str | None = None
    created_at: str
    updated_at: str


class CaseText(SQLModel, table=True):
    """A case's long texts, apart from `cases` so that list and search rows stay small.

    Many rows fit a page, and a page cache holds the whole list at 100,000 cases.
    """

    __tablename__ = "case_texts"
    case_id: int = Field(primary_key=True)  # cases.id
    summary: str
    claim: str
    intake: str  # canonical intake JSON


TEXT_COLUMNS = ("summary", "claim", "intake")


class CaseDepartment(SQLModel, table=True):
    """One department on a case (projection): its role (lead | co), signature, return, opinion and deadline."""

    __tablename__ = "case_departments"
    case_uuid: str = Field(primary_key=True)
    dept: str = Field(primary_key=True, index=True)
    role: str  # lead | co
    signed_at: str | None = None
    returned_at: str | None = None
    return_reason: str | None = None
    opinion: str | None = None
    opinion_file: str | None = None
    opinion_at: str | None = None
    # per-department opinion deadline (DESIGN.md "Per-department deadlines")
    due_date: str | None = None
    due_estimated: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    extended: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    opinion_on: str | None = None  # the day the written opinion was received
    on_time: bool | None = None  # None until the opinion is in


class CaseNote(SQLModel, table=True):
    """Texts attached to a case: minutes, reply, callback, reasons (projection)."""

    __tablename__ = "case_notes"
    id: int | None = Field(default=None, primary_key=True)
    case_uuid: str = Field(index=True)
    kind: str
    body: str  # JSON
    at: str
    author: str


class PaperRow(SQLModel, table=True):
    """A paper printed or saved: its number, kind, case (None for a report), author, reprint count and digest."""

    __tablename__ = "papers"
    paper_no: str = Field(primary_key=True)
    kind: str
    case_uuid: str | None = Field(default=None, index=True)
    issued_at: str
    author: str
    reprint: int = 0
    digest: str


class CalendarDay(SQLModel, table=True):
    """A day of an imported holiday schedule: `kind` holiday or workday (调休)."""

    __tablename__ = "calendar_days"
    day: str = Field(primary_key=True)
    kind: str  # holiday | workday


class CalendarYear(SQLModel, table=True):
    """A year an imported holiday schedule covers in full, and where the schedule came from."""

    __tablename__ = "calendar_years"
    year: int = Field(primary_key=True)
    source: str


PROJECTION_TABLES = (
    "cases",
    "case_texts",
    "case_departments",
    "case_notes",
    "papers",
    "users",
    "settings",
    "calendar_days",
    "calendar_years",
    "conflicts",
    "event_flags",
)

FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS cases_fts USING fts5("
    "text, content='', contentless_delete=1, tokenize='trigram')"
)
