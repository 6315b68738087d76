"""An unlocked station and the user working at it: what every service call takes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from station_app.clock import Clock, SystemClock
from station_app.domain.enums import Role
from station_app.domain.validation import IntakeRules
from station_app.errors import AuthError, PermissionDenied
from station_app.rules.calendar import WorkCalendar
from station_app.rules.deadlines import DeadlineSettings
from station_app.rules.routing import RoutingSettings
from station_app.services.settings_schema import SCHEMA, SPECS
from station_app.store import events
from station_app.store.db import get_meta, read, write
from station_app.store.environment import as_environment_problem
from station_app.store.event_sig import EventSigner, user_signer
from station_app.store.keystore import GENERIC_LOGIN_ERROR
from station_app.store.log import Recorder
from station_app.store.projection import Changes
from station_app.store.read_model.station import account, calendar_days, calendar_years, stored_settings
from station_app.store.station_store import OpenStore, unlock_store
from station_app.store.user_keys import UserKeys


@dataclass
class Session:
    """The store, the logged-in user and the clock. Created by `login` or `init_station`."""

    store: OpenStore
    user: str
    role: Role
    clock: Clock = field(default_factory=SystemClock)
    origin: str = ""
    keys: UserKeys | None = None  # the user's own keys (signing), when the session was opened with a password
    _settings: dict[str, Any] | None = None
    _calendar: WorkCalendar | None = None
    profile: str = "station"  # station | city (docs/sync.md)
    _signer: tuple[UserKeys, EventSigner] | None = field(default=None, repr=False)

    @property
    def station_code(self) -> str:
        """The station's 12-digit code (the city console's id on a city store)."""
        return self.store.keystore.station_code

    @property
    def station_name(self) -> str:
        """The station's name as set up (printed on papers)."""
        return self.store.keystore.station_name

    @property
    def data_dir(self) -> Path:
        """The folder that holds the store."""
        return self.store.data_dir

    def close(self) -> None:
        """Close the store (its database connections); the session is unusable afterwards."""
        self.store.close()

    @property
    def is_city(self) -> bool:
        """Whether this is the city's store (the city profile)."""
        return self.profile == "city"

    def bound_city(self) -> str | None:
        """The city code this station is bound to (None: a standalone station or the city)."""
        from station_app.store.sync_state import bound_city

        with read(self.store.engine) as conn:
            return bound_city(conn)

    def now_iso(self) -> str:
        """Now on the session's clock, ISO 8601 to the second with the UTC offset (Beijing time)."""
        return self.clock.now().isoformat(timespec="seconds")

    def today(self) -> date:
        """Today on the session's clock (Beijing date)."""
        return self.clock.now().date()

    # -- roles ------------------------------------------------------------------
    def require(self, *roles: Role) -> None:
        """Refuse unless the session's role is one of `roles`.

        Raises:
            PermissionDenied: any other role.
        """
        if self.role not in roles:
            raise PermissionDenied("当前账户无权执行此操作")

    # -- events -----------------------------------------------------------------
    def record(
        self,
        conn: Connection,
        type_: str,
        payload: dict[str, Any],
        case_uuid: str | None = None,
    ) -> events.Event:
        """Append an event and update the projections, in the caller's transaction.

        Through the store's `Recorder`; errors as `station_app.store.log.append_local`.
        """
        done = self.recorder().record(conn, type_, payload, case_uuid)
        self.drop_caches(done.changes)
        return done.event

    def recorder(self) -> Recorder:
        """The recorder of this user's events at this store, signing with `signer()`."""
        return Recorder(self.origin or self.station_code, self.user, self.clock, self.signer())

    def signer(self) -> EventSigner | None:
        """The key this session signs its events with.

        The user's personal key when the session was opened with their password; None (the
        store's key signs: a system writer) otherwise.
        """
        if self.keys is None:
            return None
        if self._signer is None or self._signer[0] is not self.keys:
            self._signer = (self.keys, user_signer(self.keys))
        return self._signer[1]

    def drop_caches(self, changes: Changes) -> None:
        """Forget what `changes` made stale (settings, calendar)."""
        if changes.settings:
            self._settings = None
        if changes.calendar:
            self._calendar = None

    def record_one(self, type_: str, payload: dict[str, Any], case_uuid: str | None = None) -> events.Event:
        """Record one event in a transaction of its own (see `record`); returns the event appended."""
        with write(self.store.engine) as conn:
            return self.record(conn, type_, payload, case_uuid)

    # -- settings ---------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """Every setting by key: the stored value, else its default (settings_schema); cached until a settings event."""
        if self._settings is None:
            values = {spec.key: spec.default for spec in SCHEMA}
            with read(self.store.engine) as conn:
                for key, raw in stored_settings(conn).items():
                    if key in SPECS:
                        values[key] = json.loads(raw)
            self._settings = values
        return dict(self._settings)

    def setting(self, key: str) -> Any:
        """One setting's value (KeyError for a key the schema does not know)."""
        return self.settings()[key]

    def routing_settings(self) -> RoutingSettings:
        """The settings routing reads: the cutoff date, the group size and the amount (yuan) thresholds."""
        s = self.settings()
        return RoutingSettings(
            cutoff=date.fromisoformat(str(s["cutoff_date"])),
            group_threshold=int(s["group_threshold"]),
            amount_threshold=Decimal(str(s["amount_threshold"])),
        )

    def intake_rules(self) -> IntakeRules:
        """The station's jurisdiction (setting `jurisdiction_towns`) and clock, for `parse_intake`."""
        towns = self.settings()["jurisdiction_towns"]
        return IntakeRules(towns=frozenset(towns), now=self.clock.now())

    def deadline_settings(self) -> DeadlineSettings:
        """The time limits in working days and their extension maximums (DESIGN.md "Deadlines").

        Routing, opinion, the major term, reply and archive, and the ratio that turns a deadline
        to a warning.
        """
        s = self.settings()
        return DeadlineSettings(
            routing_days=int(s["routing_days"]),
            opinion_days=int(s["opinion_days"]),
            opinion_extension_max=int(s["opinion_extension_max"]),
            major_days=int(s["major_days"]),
            major_extension_max=int(s["major_extension_max"]),
            reply_days=int(s["reply_days"]),
            archive_days=int(s["archive_days"]),
            warn_ratio=float(s["warn_ratio"]),
        )

    def calendar(self) -> WorkCalendar:
        """The work calendar: weekends, and the imported holiday arrangements (国务院办公厅) by year; cached."""
        if self._calendar is None:
            days: dict[date, bool] = {}
            with read(self.store.engine) as conn:
                years = calendar_years(conn)
                for day, kind in calendar_days(conn):
                    days[date.fromisoformat(day)] = kind == "workday"
            self._calendar = WorkCalendar(days, years)
        return self._calendar


def login(data_dir: Path, user: str, password: str, clock: Clock | None = None) -> Session:
    """Unlock the station as `user`. Any failure raises AuthError with one generic message.

    A disabled account is refused like a wrong password. An account whose signing key the log
    does not know yet (its first login after the upgrade to per-account keys) records it in a
    `user_key_set` event signed with that key. A full disk, a read-only folder, a missing or
    locked file raise EnvironmentProblem (what and where), never a traceback or AuthError.
    """
    clock = clock or SystemClock()
    try:
        store = unlock_store(data_dir, user, password, clock.now())
    except (OSError, DBAPIError) as exc:
        problem = as_environment_problem(exc, data_dir)
        if problem is None:
            raise
        raise problem from None
    with read(store.engine) as conn:
        found = account(conn, user)
        origin = get_meta(conn, "origin") or ""
        profile = get_meta(conn, "profile") or "station"
    if found is None or not found.active:
        store.close()
        raise AuthError(GENERIC_LOGIN_ERROR)
    session = Session(store, user, Role(found.role), clock, origin=origin, keys=store.user_keys, profile=profile)
    if session.keys is not None and found.sign_key != session.keys.sign_public:
        from station_app.services.user_service import record_own_key

        record_own_key(session)
    return session
