"""The audit trail: verify the hash chains and the events' signatures; rebuild the projections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from station_app.services.permissions import Act, require
from station_app.services.session import Session
from station_app.store.account_trust import AccountProblem, verify_accounts
from station_app.store.db import read, write
from station_app.store.projection import rebuild
from station_app.store.read_model.station import page_checks, projection_fingerprint
from station_app.store.signature_check import SignatureReport, verify_signatures
from station_app.store.verify import ChainReport, verify_chain


def verify(session: Session) -> ChainReport:
    """Check every chain of the event log and the ledger."""
    with read(session.store.engine) as conn:
        return verify_chain(conn)


def accounts(session: Session) -> list[AccountProblem]:
    """Check the signatures of the account events and the `users` table against them.

    See store/account_trust.py. Returns the problems found, empty when every account is an
    admin's act.
    """
    with read(session.store.engine) as conn:
        return verify_accounts(conn)


def signatures(session: Session, progress: Callable[[int, int], None] | None = None) -> SignatureReport:
    """Check every event's signature (store/signature_check.py).

    Returns the counts and the first bad event of each chain. `progress` is called with
    (events done, events in all) as the check goes: one Ed25519 verification per event.
    """
    with read(session.store.engine) as conn:
        return verify_signatures(conn, progress)


def integrity(session: Session) -> dict[str, list[str]]:
    """Run SQLCipher's page check and SQLite's `integrity_check`.

    `cipher_integrity_check` checks every page's HMAC. Returns the problems each reported by
    pragma name, empty when the file is sound.
    """
    with read(session.store.engine) as conn:
        return page_checks(conn)


def fingerprint(conn: Connection) -> str:
    """A digest of every projection table (see `read_model.station.projection_fingerprint`)."""
    return projection_fingerprint(conn)


def rebuild_projections(session: Session) -> dict[str, Any]:
    """Replay the log into empty projections; report whether the result is identical."""
    require(session, Act.AUDIT)
    with write(session.store.engine) as conn:
        before = fingerprint(conn)
        count = rebuild(conn)
        after = fingerprint(conn)
    session._settings = None
    session._calendar = None
    return {"events": count, "identical": before == after, "fingerprint": after}
