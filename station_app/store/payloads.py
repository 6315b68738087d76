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
from itertools import repeat
from typing import Any, ClassVar, TypeVar, Union


class Scope(StrEnum):
    """What an event concerns: one case, this store only, or every store (city broadcasts)."""

    CASE = "case"
    STORE = "store"  # identity, users, settings, papers without a case: never applied elsewhere
    BROADCAST = "broadcast"


class MalformedPayload(ValueError):
    """A payload that does not fit its event type's class; `why` says which key and how.

    Built from the event type and the reason.
    """

    def __init__(self, type_: str, why: str) -> None:
        super().__init__(f"{type_}: {why}")
        self.type = type_
        self.why = why


@dataclass(frozen=True)
class Payload:
    """Base of every payload class.

    `V` is the payload version; `SCOPES` the scopes the type may be written with, the first
    being the one for an event without a case.
    """

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

    @classmethod
    def check_json(cls, data: object) -> None:
        """Check `data` as `from_json` does, without building the object (an import checks thousands).

        Raises:
            MalformedPayload: the first key that is unknown, missing or of the wrong type.
        """
        if not isinstance(data, dict):
            raise MalformedPayload(cls.TYPE, "payload is not an object")
        known, checks = _checks(cls)
        if not known.issuperset(data):
            raise MalformedPayload(cls.TYPE, f"unknown key {sorted(set(data) - known)[0]!r}")
        for key, required, check in checks:
            if key not in data:
                if required:
                    raise MalformedPayload(cls.TYPE, f"missing key {key!r}")
            elif not check(data[key]):
                raise MalformedPayload(cls.TYPE, f"key {key!r} has the wrong type")

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


_CHECKS: dict[type, tuple[frozenset[str], tuple[tuple[str, bool, Callable[[object], bool]], ...]]] = {}


def _checks(cls: type) -> tuple[frozenset[str], tuple[tuple[str, bool, Callable[[object], bool]], ...]]:
    """A payload class's JSON keys, and per field (key, required, its test): built once."""
    if cls not in _CHECKS:
        known, spec = _spec(cls)
        _CHECKS[cls] = known, tuple((key, required, _checker(hint)) for key, _, required, hint in spec)
    return _CHECKS[cls]


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
        if len(arms) == 2 and _none in arms:  # `T | None`, most optional fields
            other = arms[1] if arms[0] is _none else arms[0]
            check = lambda v: v is None or other(v)  # noqa: E731
        else:
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
        if item is _text:  # isinstance over the items without a Python call each
            check = lambda v: isinstance(v, list) and all(map(isinstance, v, repeat(str)))  # noqa: E731
        else:
            check = lambda v: isinstance(v, list) and all(item(x) for x in v)  # noqa: E731
    elif origin is dict:
        key_hint, value_hint = typing.get_args(hint)
        key, value = _checker(key_hint), _checker(value_hint)
        if key is _text and value is _anything:  # `dict[str, Any]`: only the keys to test
            check = lambda v: isinstance(v, dict) and all(map(isinstance, v, repeat(str)))  # noqa: E731
        elif key is _text:
            check = lambda v: (  # noqa: E731
                isinstance(v, dict) and all(map(isinstance, v, repeat(str))) and all(map(value, v.values()))
            )
        else:
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
    """`case_registered`: an intake taken in (四(一) 受理登记), with its validated intake and routing as JSON."""

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
    """`case_routed`: the case routed (分类流转), with the departments' opinion deadlines.

    `first_receiver` and `reason` are set when someone other than the receiver (a head) routed
    it: who registered it and why (首问责任制 四(一)).
    """

    routing: dict[str, Any]
    dept_due: DeptDue | None = None
    first_receiver: str | None = None  # routed by someone else (a head): who registered it
    reason: str | None = None  # and why (首问责任制)


@event_type("closed_on_spot")
@dataclass(frozen=True)
class ClosedOnSpot(CasePayload):
    """`closed_on_spot`: a matter of the station's own duty settled at the desk (四(一)), with what was done."""

    text: str


@event_type("department_signed")
@dataclass(frozen=True)
class DepartmentSigned(CasePayload):
    """`department_signed`: a department signed for the case (`signed_at`, ISO date, when given)."""

    dept: str
    signed_at: str | None = None


@event_type("department_returned")
@dataclass(frozen=True)
class DepartmentReturned(CasePayload):
    """`department_returned`: a department sent the case back, with its reason."""

    dept: str
    reason: str


@event_type("opinion_recorded")
@dataclass(frozen=True)
class OpinionRecorded(CasePayload):
    """`opinion_recorded`: a department's written opinion (四(二)1(3), 2(3)).

    `file` describes an attached scan; `received_on` is the day it was received (ISO date);
    `on_time` whether it came within the department's deadline (None: it had none).
    """

    dept: str
    text: str
    file: dict[str, Any] | None = None
    received_on: str | None = None  # the day the written opinion was received
    on_time: bool | None = None  # None: the department had no deadline


@event_type("extension_granted")
@dataclass(frozen=True)
class ExtensionGranted(CasePayload):
    """`extension_granted`: a head extended a deadline by `days` working days, with the reason.

    `dept` names the department whose deadline moves and `due_date` its new deadline; with
    `term` True the major case's term itself was extended (四(二)2).
    """

    days: int
    reason: str
    dept: str | None = None  # the department whose deadline moves (None: a major case's term)
    due_date: str | None = None  # that department's new deadline
    dept_due: DeptDue | None = None
    term: bool | None = None  # True: the major term itself was extended


@event_type("escalation_requested")
@dataclass(frozen=True)
class EscalationRequested(CasePayload):
    """`escalation_requested`: the station asks the leading group to take the matter as 重大疑难 (四(二)2(2))."""

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
    """`minutes_recorded`: the leading group's meeting minutes (会议纪要, 四(二)2(3)).

    `held_on` is the meeting's day (ISO date); `on_time` whether it was held within the major term.
    """

    text: str
    attendees: str
    held_on: str
    recorder: str | None = None
    on_time: bool | None = None  # held within the major term


@event_type("consultation_recorded")
@dataclass(frozen=True)
class ConsultationRecorded(CasePayload):
    """`consultation_recorded`: a 一般事项 consultation (会商, 四(二)3): what was agreed, who attended, when."""

    text: str
    attendees: str
    held_on: str


@event_type("reply_issued")
@dataclass(frozen=True)
class ReplyIssued(CasePayload):
    """`reply_issued`: the written reply to the parties (四(三) 回复反馈).

    `parties` names the applicant, and the respondent when there is one; `respondent_text` is
    the reply to the other party when it differs.
    """

    text: str
    parties: list[str] | None = None  # applicant, and respondent when there is one
    respondent_text: str | None = None  # the reply to the other party when it differs


@event_type("reply_delivered")
@dataclass(frozen=True)
class ReplyDelivered(CasePayload):
    """`reply_delivered`: the reply delivered to `party` by `method` on `date` (ISO date)."""

    party: str
    method: str
    date: str
    text: str


@event_type("department_handled")
@dataclass(frozen=True)
class DepartmentHandled(CasePayload):
    """`department_handled`: the department a `refer` matter went to reports it handled, on `date` (ISO date)."""

    dept: str
    text: str
    date: str


@event_type("payer_confirmed")
@dataclass(frozen=True)
class PayerConfirmed(CasePayload):
    """`payer_confirmed`: a callback found a `refer` matter handled by its department, with the payer's satisfaction."""

    satisfaction: str
    text: str


@event_type("objection_recorded")
@dataclass(frozen=True)
class ObjectionRecorded(CasePayload):
    """`objection_recorded`: the payer disagrees and takes `route` (四(三): mediation, 复议, arbitration, litigation).

    `referred_to` is 司法局 for 复议 and 诉讼 (三(二)5: guidance for those who appeal).
    """

    route: str
    text: str
    referred_to: str | None = None  # 司法局, for 复议 and 诉讼
    referral: str | None = None


@event_type("callback_recorded")
@dataclass(frozen=True)
class CallbackRecorded(CasePayload):
    """`callback_recorded`: a follow-up call to the payer and their satisfaction."""

    satisfaction: str
    text: str


@event_type("case_archived")
@dataclass(frozen=True)
class CaseArchived(CasePayload):
    """`case_archived`: the file archived (四(四) 案卷归档)."""

    text: str


@event_type("case_withdrawn")
@dataclass(frozen=True)
class CaseWithdrawn(CasePayload):
    """`case_withdrawn`: the payer withdrew the matter, with the reason."""

    reason: str


@event_type("submitted_to_city")
@dataclass(frozen=True)
class SubmittedToCity(CasePayload):
    """`submitted_to_city`: a 职责不清 matter sent to the city with the report slip (报送单, 四(五)).

    `consulted` lists the departments consulted first; `suggested` a department the station suggests.
    """

    reason: str
    consulted: list[str]
    suggested: str | None = None


@event_type("city_assigned")
@dataclass(frozen=True)
class CityAssigned(CasePayload):
    """`city_assigned`: the city assigned a submitted matter (四(五)), under `document_no` on `date`."""

    routing: dict[str, Any]
    document_no: str | None = None
    date: str | None = None
    dept_due: DeptDue | None = None


@event_type("city_feedback_recorded")
@dataclass(frozen=True)
class CityFeedbackRecorded(CasePayload):
    """`city_feedback_recorded`: the handling department's feedback to the payer and 12345 (四(五)), sent `to` them."""

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
    """`incident_recorded`: a department's incident under 五(四) (work error, public opinion, serious consequence)."""

    incident_kind: str
    dept: str
    text: str


@event_type("deadline_recomputed")
@dataclass(frozen=True, kw_only=True)
class DeadlineRecomputed(CasePayload):
    """`deadline_recomputed`: a calendar import re-counted estimated deadlines.

    The case's own (`set`, with `from`, `to` and `working_days`) and/or its departments'
    (`dept_due`); `set` is absent when only the departments' moved.
    """

    set: dict[str, Any] = dc_field(default_factory=dict)
    reason: str
    from_: str | None = dc_field(default=None, metadata={"key": "from"})
    to: str | None = None
    working_days: int | None = None
    dept_due: DeptDue | None = None


@event_type("disclosure_approved")
@dataclass(frozen=True)
class DisclosureApproved(CasePayload):
    """`disclosure_approved`: a head's approval (报批, 五(三)) to give `recipient` personal data.

    Either a case's papers (case scope) or one case-list export (`scope` case_list, this store only).
    """

    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.CASE, Scope.STORE)
    recipient: str
    purpose: str
    scope: str


@event_type("conflict_resolved")
@dataclass(frozen=True)
class ConflictResolved(CasePayload):
    """`conflict_resolved`: settles the open conflicts between `events` (DESIGN.md "No silent overwrite").

    `chosen` is the event whose version stands (None: `set` was written by hand); `set` is applied.
    """

    events: list[str]
    reason: str
    chosen: str | None = None


@event_type("personal_data_revealed")
@dataclass(frozen=True)
class PersonalDataRevealed(Payload):
    """`personal_data_revealed`: a user saw `field` of a case unmasked (五(三))."""

    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.CASE,)
    field: str


@event_type("paper_printed")
@dataclass(frozen=True)
class PaperPrinted(Payload):
    """`paper_printed`: a paper printed or saved, with its number, kind and digest.

    `reprint` counts reprints (补打); `sections` holds the digest of each section (what a QR code
    signs), `pages` the page count, `period` a report's month; `recipient` is an internal
    paper's receiver and `approval` the disclosure approval it rests on.
    """

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
    """`station_initialised`: the store created for a station (12-digit code, name, town code)."""

    station_code: str
    station_name: str
    town_code: str


@event_type("user_added")
@dataclass(frozen=True)
class UserAdded(Payload):
    """`user_added`: an account created, with its role and its Ed25519 public key (hex), signed by its author."""

    name: str
    role: str
    display_name: str | None = None
    sign_key: str | None = None  # the account's Ed25519 public key (hex)
    sig: str | None = None  # the author's signature (account_trust.py)


@event_type("user_changed")
@dataclass(frozen=True)
class UserChanged(Payload):
    """`user_changed`: an account's role or active flag changed (None: unchanged), signed by its author."""

    name: str
    role: str | None = None
    active: bool | None = None
    sig: str | None = None


@event_type("password_changed")
@dataclass(frozen=True)
class PasswordChanged(Payload):
    """`password_changed`: an account's password set; a reset by an admin gives it a new `sign_key`."""

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
    """`rollback_accepted`: an admin accepted a database found behind its anchor (`audit accept-rollback`).

    Records what the anchor said, what was found, and the counters raised so that no number is
    issued twice.
    """

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
    """`user_unlocked`: an admin lifted an account's lockout."""

    name: str


@event_type("setting_changed")
@dataclass(frozen=True)
class SettingChanged(Payload):
    """`setting_changed`: a station setting's new value (any JSON)."""

    key: str
    value: Any


@event_type("contacts_confirmed")
@dataclass(frozen=True)
class ContactsConfirmed(Payload):
    """`contacts_confirmed`: departments' contact entries checked, as department -> digest of the entry."""

    depts: dict[str, str]  # department -> digest of the confirmed contact entry


@event_type("cases_exported")
@dataclass(frozen=True)
class CasesExported(Payload):
    """`cases_exported`: a case list exported to `recipient` (五(三)): approval used, row count, digest of the rows."""

    recipient: str
    approval: str | None
    count: int
    digest: str


@event_type("calendar_imported")
@dataclass(frozen=True)
class CalendarImported(Payload):
    """`calendar_imported`: a holiday schedule imported; the city broadcasts it.

    `days` maps an ISO date to holiday or workday; `years` are covered in full.
    """

    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.STORE, Scope.BROADCAST)
    source: str
    years: list[int]
    days: dict[str, str]


# -- sync: the city's store, binding, enrolment (docs/sync.md) ----------------------------------


@event_type("city_initialised")
@dataclass(frozen=True)
class CityInitialised(Payload):
    """`city_initialised`: a city store created, with its code, name and public-identity fingerprint."""

    city_code: str
    city_name: str
    fingerprint: str  # the city's public identity (all its public keys)


@event_type("city_bound")
@dataclass(frozen=True)
class CityBound(Payload):
    """`city_bound`: this station bound to its city (the city's fingerprint and the station's own)."""

    city_code: str
    city_fingerprint: str
    fingerprint: str  # this station's own identity


@event_type("store_recovered")
@dataclass(frozen=True)
class StoreRecovered(Payload):
    """`store_recovered`: a station's store key given back by its city (DESIGN.md "Key recovery").

    `name` becomes an admin with the signing key the city's signed answer names (account_trust.py).
    """

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
    """`station_provisioned`: the city wrote a station's provisioning file (code, name, town code)."""

    station_code: str
    station_name: str
    town_code: str


@event_type("station_enrolled")
@dataclass(frozen=True)
class StationEnrolled(Payload):
    """`station_enrolled`: the city enrolled a station's identity (fingerprint) in keyring `keyring_version`."""

    station_code: str
    fingerprint: str
    keyring_version: int


@event_type("station_revoked")
@dataclass(frozen=True)
class StationRevoked(Payload):
    """`station_revoked`: the city revoked a station's identity, with the reason, in keyring `keyring_version`."""

    station_code: str
    fingerprint: str
    reason: str
    keyring_version: int


@event_type("keyring_issued")
@dataclass(frozen=True)
class KeyringIssued(Payload):
    """`keyring_issued`: the city's new signed keyring, broadcast to every station (`*` stream).

    The document is verified against the pinned city root by the sync package before a station
    holds it.
    """

    SCOPES: ClassVar[tuple[Scope, ...]] = (Scope.BROADCAST,)
    version: int
    document: str  # the exact signed keyring text (public keys and station codes only)
