"""Typed event payloads: one small frozen dataclass per event type, with its version and scope.

Every event this app writes or projects has a class here, and `import_foreign` checks incoming
payloads with the same classes. Adding an event type is one decorated class in this module:

    @event_type("hearing_scheduled")
    @dataclass(frozen=True)
    class HearingScheduled(CasePayload):
        held_on: str

A case event's payload carries `set`, the case-row fields it changes (DESIGN.md "Event log");
its status, when the lifecycle table gives the action a target, comes from `Action.target`.
A payload field with a default is optional; a key that is a Python keyword (`from`) is declared
as `from_` with `field(metadata={"key": "from"})`. Keys not declared are refused, so a typo or
a key from a newer app is caught; a newer app bumps `V`, and a store that does not know that version
keeps the event unprojected and flagged (SYNC.md §3.4).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, fields
from dataclasses import field as dc_field
from enum import StrEnum
from typing import Any, ClassVar, TypeVar, Union


class Scope(StrEnum):
    """What an event concerns: one case, this store only, or every store (city broadcasts)."""

    CASE = "case"
    STORE = "store"  # identity, users, settings, papers without a case: never applied elsewhere
    BROADCAST = "broadcast"


class MalformedPayload(ValueError):
    """A payload that does not fit its event type's class; `why` says which key and how."""

    def __init__(self, type_: str, why: str) -> None:
        super().__init__(f"{type_}: {why}")
        self.type = type_
        self.why = why


@dataclass(frozen=True)
class Payload:
    """Base of every payload class. `V` is the payload version; `SCOPES` the scopes the type
    may be written with, the first being the one for an event without a case."""

    TYPE: ClassVar[str] = ""
    V: ClassVar[int] = 1
    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.STORE,)

    @classmethod
    def from_json(cls, data: object) -> Payload:
        """Check `data` against the class and build it. Raises MalformedPayload."""
        if not isinstance(data, dict):
            raise MalformedPayload(cls.TYPE, "payload is not an object")
        known, spec = _spec(cls)
        if not known.issuperset(data):
            raise MalformedPayload(cls.TYPE, f"unknown key {sorted(set(data) - known)[0]!r}")
        values: dict[str, Any] = {}
        for key, name, required, hint in spec:
            if key not in data:
                if required:
                    raise MalformedPayload(cls.TYPE, f"missing key {key!r}")
                continue
            if not _fits(data[key], hint):
                raise MalformedPayload(cls.TYPE, f"key {key!r} has the wrong type")
            values[name] = data[key]
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """The payload as stored: declared keys, optional ones left out while None."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.default is None:
                continue
            out[_key(f)] = value
        return out


def _key(f: Field[Any]) -> str:
    """The JSON key of a payload field: its name, or `metadata["key"]` (for a Python keyword)."""
    return str(f.metadata.get("key", f.name))


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


_SPECS: dict[type, tuple[frozenset[str], tuple[tuple[str, str, bool, Any], ...]]] = {}


def _spec(cls: type) -> tuple[frozenset[str], tuple[tuple[str, str, bool, Any], ...]]:
    """A payload class's JSON keys, and per field (key, name, required, type hint): read once."""
    if cls not in _SPECS:
        hints = _hints(cls)
        spec = tuple(
            (_key(f), f.name, f.default is MISSING and f.default_factory is MISSING, hints[f.name]) for f in fields(cls)
        )
        _SPECS[cls] = frozenset(key for key, *_ in spec), spec
    return _SPECS[cls]


def _fits(value: object, hint: Any) -> bool:
    """Whether a JSON value fits a field's annotation (str, int, bool, lists, dicts, unions, Any)."""
    return _checker(hint)(value)


_CHECKERS: dict[Any, Callable[[object], bool]] = {}


def _checker(hint: Any) -> Callable[[object], bool]:
    """The test `_fits` applies for `hint`, built once per annotation.

    A bundle's payloads are checked by the tens of thousands; reading the annotation apart on
    every value cost more than the check.

    Raises:
        TypeError: an annotation it cannot check.
    """
    if hint in _CHECKERS:
        return _CHECKERS[hint]
    check: Callable[[object], bool]
    origin = typing.get_origin(hint)
    if hint is Any:
        check = _anything
    elif origin in (Union, types.UnionType):
        arms = tuple(_checker(arm) for arm in typing.get_args(hint))
        check = lambda v: any(arm(v) for arm in arms)  # noqa: E731
    elif hint is type(None):
        check = _none
    elif hint is bool:
        check = _boolean
    elif hint is int:
        check = _integer
    elif hint is str:
        check = _text
    elif origin is list:
        (item_hint,) = typing.get_args(hint)
        item = _checker(item_hint)
        check = lambda v: isinstance(v, list) and all(item(x) for x in v)  # noqa: E731
    elif origin is dict:
        key_hint, value_hint = typing.get_args(hint)
        key, value = _checker(key_hint), _checker(value_hint)
        check = lambda v: isinstance(v, dict) and all(key(k) and value(x) for k, x in v.items())  # noqa: E731
    else:
        raise TypeError(f"unsupported payload annotation {hint!r}")
    _CHECKERS[hint] = check
    return check


def _anything(value: object) -> bool:
    return True


def _none(value: object) -> bool:
    return value is None


def _boolean(value: object) -> bool:
    return isinstance(value, bool)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: object) -> bool:
    return isinstance(value, str)


PAYLOADS: dict[str, type[Payload]] = {}
"""Every event type this app knows, by name. Filled by `event_type`."""

P = TypeVar("P", bound=type[Payload])


def event_type(name: str) -> typing.Callable[[P], P]:
    """Class decorator: register a payload class under the event type `name`."""

    def register(cls: P) -> P:
        if name in PAYLOADS and PAYLOADS[name] is not cls:
            raise ValueError(f"event type {name!r} is registered twice")
        cls.TYPE = name
        PAYLOADS[name] = cls
        return cls

    return register


def payload_class(type_: str) -> type[Payload] | None:
    """The class of `type_`, or None for a type this app does not know."""
    return PAYLOADS.get(type_)


def check_payload(type_: str, data: object) -> dict[str, Any]:
    """Validate a payload of a known type and return it as stored.

    Raises KeyError for a type with no class (a new event type must be registered above) and
    MalformedPayload for a payload that does not fit.
    """
    cls = PAYLOADS.get(type_)
    if cls is None:
        raise KeyError(f"event type {type_!r} has no payload class in station_app.store.payloads")
    if isinstance(data, Payload):
        if not isinstance(data, cls):
            raise MalformedPayload(type_, f"payload is a {type(data).__name__}")
        return data.to_json()
    cls.from_json(data)
    assert isinstance(data, dict)
    return dict(data)


# -- case events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CasePayload(Payload):
    """A case event: `set` holds the case-row fields it changes (possibly none)."""

    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.CASE,)
    set: dict[str, Any]


@event_type("case_registered")
@dataclass(frozen=True)
class CaseRegistered(CasePayload):
    case_no: str
    station_code: str
    intake: dict[str, Any]
    routing: dict[str, Any]


DeptDue = dict[str, dict[str, Any]]
"""`dept_due`: {dept: {"due_date", "due_estimated", "extended"?}}, the opinion deadlines an event
starts or moves (DESIGN.md "Per-department deadlines"); applied by the event's handler."""


@event_type("case_routed")
@dataclass(frozen=True)
class CaseRouted(CasePayload):
    routing: dict[str, Any]
    dept_due: DeptDue | None = None
    first_receiver: str | None = None  # routed by someone else (a head): who registered it
    reason: str | None = None  # and why (首问责任制)


@event_type("closed_on_spot")
@dataclass(frozen=True)
class ClosedOnSpot(CasePayload):
    text: str


@event_type("department_signed")
@dataclass(frozen=True)
class DepartmentSigned(CasePayload):
    dept: str
    signed_at: str | None = None


@event_type("department_returned")
@dataclass(frozen=True)
class DepartmentReturned(CasePayload):
    dept: str
    reason: str


@event_type("opinion_recorded")
@dataclass(frozen=True)
class OpinionRecorded(CasePayload):
    dept: str
    text: str
    file: dict[str, Any] | None = None
    received_on: str | None = None  # the day the written opinion was received
    on_time: bool | None = None  # None: the department had no deadline


@event_type("extension_granted")
@dataclass(frozen=True)
class ExtensionGranted(CasePayload):
    days: int
    reason: str
    dept: str | None = None  # the department whose deadline moves (None: a major case's term)
    due_date: str | None = None  # that department's new deadline
    dept_due: DeptDue | None = None
    term: bool | None = None  # True: the major term itself was extended


@event_type("escalation_requested")
@dataclass(frozen=True)
class EscalationRequested(CasePayload):
    reason: str
    routing: dict[str, Any]


@event_type("escalation_approved")
@dataclass(frozen=True)
class EscalationApproved(CasePayload):
    """The leading group's approval, copied from its document (older events carry `text` only)."""

    text: str
    approver: str | None = None
    date: str | None = None
    document_no: str | None = None
    task_group: list[str] | None = None
    dept_due: DeptDue | None = None


@event_type("escalation_declined")
@dataclass(frozen=True)
class EscalationDeclined(CasePayload):
    """The leading group's refusal: back to ordinary handling with `routing`."""

    approver: str
    date: str
    document_no: str
    text: str
    routing: dict[str, Any]
    dept_due: DeptDue | None = None


@event_type("minutes_recorded")
@dataclass(frozen=True)
class MinutesRecorded(CasePayload):
    text: str
    attendees: str
    held_on: str
    recorder: str | None = None
    on_time: bool | None = None  # held within the major term


@event_type("consultation_recorded")
@dataclass(frozen=True)
class ConsultationRecorded(CasePayload):
    text: str
    attendees: str
    held_on: str


@event_type("reply_issued")
@dataclass(frozen=True)
class ReplyIssued(CasePayload):
    text: str
    parties: list[str] | None = None  # applicant, and respondent when there is one
    respondent_text: str | None = None  # the reply to the other party when it differs


@event_type("reply_delivered")
@dataclass(frozen=True)
class ReplyDelivered(CasePayload):
    party: str
    method: str
    date: str
    text: str


@event_type("department_handled")
@dataclass(frozen=True)
class DepartmentHandled(CasePayload):
    dept: str
    text: str
    date: str


@event_type("payer_confirmed")
@dataclass(frozen=True)
class PayerConfirmed(CasePayload):
    satisfaction: str
    text: str


@event_type("objection_recorded")
@dataclass(frozen=True)
class ObjectionRecorded(CasePayload):
    route: str
    text: str
    referred_to: str | None = None  # 司法局, for 复议 and 诉讼
    referral: str | None = None


@event_type("callback_recorded")
@dataclass(frozen=True)
class CallbackRecorded(CasePayload):
    satisfaction: str
    text: str


@event_type("case_archived")
@dataclass(frozen=True)
class CaseArchived(CasePayload):
    text: str


@event_type("case_withdrawn")
@dataclass(frozen=True)
class CaseWithdrawn(CasePayload):
    reason: str


@event_type("submitted_to_city")
@dataclass(frozen=True)
class SubmittedToCity(CasePayload):
    reason: str
    consulted: list[str]
    suggested: str | None = None


@event_type("city_assigned")
@dataclass(frozen=True)
class CityAssigned(CasePayload):
    routing: dict[str, Any]
    document_no: str | None = None
    date: str | None = None
    dept_due: DeptDue | None = None


@event_type("city_feedback_recorded")
@dataclass(frozen=True)
class CityFeedbackRecorded(CasePayload):
    dept: str
    text: str
    date: str
    to: list[str]


@event_type("clue_transferred")
@dataclass(frozen=True)
class ClueTransferred(CasePayload):
    """Sets the case's `clue_transferred` flag (older events set the status clue_transferred)."""

    dept: str
    reason: str
    grounds: list[str] | None = None  # department_returned, overdue
    to: str | None = None  # the discipline commission


@event_type("incident_recorded")
@dataclass(frozen=True)
class IncidentRecorded(CasePayload):
    incident_kind: str
    dept: str
    text: str


@event_type("deadline_recomputed")
@dataclass(frozen=True, kw_only=True)
class DeadlineRecomputed(CasePayload):
    """A calendar import re-counted the case's estimated deadline (`set`, with `from`, `to` and
    `working_days`) and/or its departments' (`dept_due`); `set` is absent when only the
    departments' moved."""

    set: dict[str, Any] = dc_field(default_factory=dict)
    reason: str
    from_: str | None = dc_field(default=None, metadata={"key": "from"})
    to: str | None = None
    working_days: int | None = None
    dept_due: DeptDue | None = None


@event_type("disclosure_approved")
@dataclass(frozen=True)
class DisclosureApproved(CasePayload):
    """A head's approval (报批) to give `recipient` personal data: a case's papers (case scope)
    or one case-list export (`scope` case_list, this store only)."""

    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.CASE, Scope.STORE)
    recipient: str
    purpose: str
    scope: str


@event_type("conflict_resolved")
@dataclass(frozen=True)
class ConflictResolved(CasePayload):
    """Settles the open conflicts between `events` (DESIGN.md "No silent overwrite"): `chosen`
    is the event whose version stands (None: `set` was written by hand); `set` is applied."""

    events: list[str]
    reason: str
    chosen: str | None = None


@event_type("personal_data_revealed")
@dataclass(frozen=True)
class PersonalDataRevealed(Payload):
    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.CASE,)
    field: str


@event_type("paper_printed")
@dataclass(frozen=True)
class PaperPrinted(Payload):
    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.STORE, Scope.CASE)
    paper_no: str
    kind: str
    digest: str
    reprint: int = 0
    sections: list[str] | None = None
    pages: int | None = None
    period: str | None = None
    recipient: str | None = None  # an internal paper's receiver (department code or station)
    approval: str | None = None  # the disclosure approval it rests on


# -- store-local and broadcast events ---------------------------------------------------------


@event_type("station_initialised")
@dataclass(frozen=True)
class StationInitialised(Payload):
    station_code: str
    station_name: str
    town_code: str


@event_type("user_added")
@dataclass(frozen=True)
class UserAdded(Payload):
    name: str
    role: str
    display_name: str | None = None
    sign_key: str | None = None  # the account's Ed25519 public key (hex)
    sig: str | None = None  # the author's signature (account_trust.py)


@event_type("user_changed")
@dataclass(frozen=True)
class UserChanged(Payload):
    name: str
    role: str | None = None
    active: bool | None = None
    sig: str | None = None


@event_type("password_changed")
@dataclass(frozen=True)
class PasswordChanged(Payload):
    name: str
    sign_key: str | None = None  # a reset by an admin gives the account a new key
    sig: str | None = None


@event_type("user_key_set")
@dataclass(frozen=True)
class UserKeySet(Payload):
    """An account given its first key (at its first login after the upgrade), self-signed."""

    name: str
    sign_key: str
    sig: str | None = None


@event_type("rollback_accepted")
@dataclass(frozen=True)
class RollbackAccepted(Payload):
    """An admin accepted a database found behind its anchor (`audit accept-rollback`): what the
    anchor said, what was found, the counters raised so that no number is issued twice."""

    reason: str  # behind | diverged | emptied | counters | tampered | missing
    note: str
    found_seq: int
    anchored_seq: int | None = None
    counters_raised: dict[str, int] | None = None


@event_type("store_key_rotated")
@dataclass(frozen=True)
class StoreKeyRotated(Payload):
    """The database key was replaced; `accounts` is how many accounts it was sealed to."""

    accounts: int


@event_type("user_unlocked")
@dataclass(frozen=True)
class UserUnlocked(Payload):
    name: str


@event_type("setting_changed")
@dataclass(frozen=True)
class SettingChanged(Payload):
    key: str
    value: Any


@event_type("contacts_confirmed")
@dataclass(frozen=True)
class ContactsConfirmed(Payload):
    depts: dict[str, str]  # department -> digest of the confirmed contact entry


@event_type("cases_exported")
@dataclass(frozen=True)
class CasesExported(Payload):
    recipient: str
    approval: str | None
    count: int
    digest: str


@event_type("calendar_imported")
@dataclass(frozen=True)
class CalendarImported(Payload):
    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.STORE, Scope.BROADCAST)
    source: str
    years: list[int]
    days: dict[str, str]


# -- sync: the city's store, binding, enrolment (docs/sync.md) ----------------------------------


@event_type("city_initialised")
@dataclass(frozen=True)
class CityInitialised(Payload):
    city_code: str
    city_name: str
    fingerprint: str  # the city's public identity (all its public keys)


@event_type("city_bound")
@dataclass(frozen=True)
class CityBound(Payload):
    city_code: str
    city_fingerprint: str
    fingerprint: str  # this station's own identity


@event_type("store_recovered")
@dataclass(frozen=True)
class StoreRecovered(Payload):
    """A station's store key given back by its city (DESIGN.md "Key recovery"): `name` becomes
    an admin with the signing key the city's signed answer names (account_trust.py)."""

    name: str
    role: str
    sign_key: str
    request_id: str
    city_code: str
    response: dict[str, Any]  # the city's signed answer (the wrapped key in it no longer opens anything)


@event_type("recovery_answered")
@dataclass(frozen=True)
class RecoveryAnswered(Payload):
    """The city answered a station's recovery request (who answered is the event's author)."""

    station_code: str
    request_id: str
    request_fingerprint: str


@event_type("station_provisioned")
@dataclass(frozen=True)
class StationProvisioned(Payload):
    station_code: str
    station_name: str
    town_code: str


@event_type("station_enrolled")
@dataclass(frozen=True)
class StationEnrolled(Payload):
    station_code: str
    fingerprint: str
    keyring_version: int


@event_type("station_revoked")
@dataclass(frozen=True)
class StationRevoked(Payload):
    station_code: str
    fingerprint: str
    reason: str
    keyring_version: int


@event_type("keyring_issued")
@dataclass(frozen=True)
class KeyringIssued(Payload):
    """The city's new signed keyring, broadcast to every station (`*` stream). The document is
    verified against the pinned city root by the sync package before a station holds it."""

    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.BROADCAST,)
    version: int
    document: str  # the exact signed keyring text (public keys and station codes only)
