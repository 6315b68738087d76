"""What the desk form needs besides intake itself.

Routing preview, deadlines, employers, the encrypted draft and the password check of the lock
screen.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from station_app.domain.routing import RoutingDecision
from station_app.errors import AuthError
from station_app.rules.deadlines import stage_plan
from station_app.services.case_service import decide
from station_app.services.session import Session
from station_app.store import search_index
from station_app.store.db import delete_meta, read, set_meta, write
from station_app.store.keystore import GENERIC_LOGIN_ERROR
from station_app.store.read_model import case_list

ROUTING_KEYS = ("category", "insurance_types", "periods", "amount_claimed", "group_size", "flags", "proceeding")
_PREVIEW_PARTY = {"kind": "person", "name": "预览", "phone": "0457-2812345"}
_PREVIEW_SUMMARY = "预览"
DRAFT_LIMIT = 200_000


@dataclass(frozen=True)
class DeadlineHint:
    """One expected deadline of a matter taken in today."""

    label: str
    due_date: str
    working_days: int
    estimated: bool


def routing_preview(session: Session, data: dict[str, Any]) -> RoutingDecision:
    """Route the routing fields of a half-filled form (parties and texts may still be missing).

    Raises:
        ValidationError: a routing field is missing or wrong (category, periods, amount...).
    """
    probe: dict[str, Any] = {k: data[k] for k in ROUTING_KEYS if data.get(k) not in (None, "")}
    towns = session.settings()["jurisdiction_towns"]
    town = station_town(session)
    probe.update(
        received_at=session.now_iso(),
        channel="visit",
        town_code=town if town in towns else next(iter(towns)),
        applicant=dict(_PREVIEW_PARTY),
        summary=_PREVIEW_SUMMARY,
    )
    return decide(session, probe)


def stage_deadlines(session: Session, decision: RoutingDecision, start: date | None = None) -> list[DeadlineHint]:
    """The deadlines a matter routed today would get.

    The stages of `rules.deadlines.stage_plan`, the same plan the receipt prints. [] for a matter
    not accepted.
    """
    plan = stage_plan(session.calendar(), decision.track, start or session.today(), session.deadline_settings())
    return [DeadlineHint(s.label, s.due.isoformat(), s.working_days, s.estimated) for s in plan.stages]


def station_town(session: Session) -> str:
    """The town code the station was set up in."""
    return session.store.meta("town_code") or ""


def known_employers(session: Session, limit: int = 5000) -> list[tuple[str, str]]:
    """Employers already in the store with their USCC (most recent first), for autocomplete."""
    with read(session.store.engine) as conn:
        return case_list.known_employers(conn, limit)


def _draft_key(session: Session) -> str:
    return f"draft:intake:{session.user}"


def save_draft(session: Session, data: dict[str, Any]) -> None:
    """Keep the user's unsaved intake form inside the encrypted store (never a plain file)."""
    raw = json.dumps(data, ensure_ascii=False)
    if len(raw) > DRAFT_LIMIT:
        return
    with write(session.store.engine) as conn:
        set_meta(conn, _draft_key(session), raw)


def load_draft(session: Session) -> dict[str, Any] | None:
    """The user's unsaved intake form kept by `save_draft`, or None (none kept, or unreadable)."""
    raw = session.store.meta(_draft_key(session))
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def clear_draft(session: Session) -> None:
    """Forget the user's unsaved intake form (after it was saved as a case, or discarded)."""
    with write(session.store.engine) as conn:
        delete_meta(conn, _draft_key(session))


def confirm_password(session: Session, password: str) -> None:
    """Check the logged-in user's password again (lock screen). Failures count to lockout.

    Raises:
        AuthError: with the one generic login message.
    """
    # unwrap re-reads the key file under its lock: the login window may have counted attempts
    key = session.store.keystore.unwrap(session.user, password, session.clock.now())
    if not hmac.compare_digest(key, session.store.key):
        raise AuthError(GENERIC_LOGIN_ERROR)


def prepare_desk() -> None:
    """Load what the first intake would otherwise load while the worker waits.

    That is the pinyin dictionary for the search index (about 0.5 s). Called off the GUI thread
    after login.
    """
    search_index.warm_up()
