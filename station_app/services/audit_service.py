"""The audit trail: verify the hash chains and the events' signatures; rebuild the projections."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from station_app.services.permissions import Act, require
from station_app.services.session import Session
from station_app.store.account_trust import AccountProblem, verify_accounts
from station_app.store.db import read, write
from station_app.store.projection import rebuild
from station_app.store.signature_check import SignatureReport, verify_signatures
from station_app.store.verify import ChainReport, verify_chain

# Columns compared before and after a rebuild (timestamps of the rebuild itself excluded).
_FINGERPRINT = {
    "cases": "SELECT * FROM cases ORDER BY uuid",
    "case_texts": (
        "SELECT c.uuid, t.summary, t.claim, t.intake FROM case_texts t JOIN cases c ON c.id = t.case_id ORDER BY c.uuid"
    ),
    "case_departments": "SELECT * FROM case_departments ORDER BY case_uuid, dept",
    "case_notes": "SELECT case_uuid, kind, body, at, author FROM case_notes ORDER BY id",
    "papers": "SELECT * FROM papers ORDER BY paper_no",
    "users": "SELECT * FROM users ORDER BY name",
    "settings": "SELECT * FROM settings ORDER BY key",
    "calendar_days": "SELECT * FROM calendar_days ORDER BY day",
    "conflicts": (
        "SELECT case_uuid, a_uuid, b_uuid, held, fields, state, resolved_by FROM conflicts ORDER BY a_uuid, b_uuid"
    ),
    "event_flags": "SELECT * FROM event_flags ORDER BY uuid",
}


def verify(session: Session) -> ChainReport:
    """Check every chain of the event log and the ledger."""
    with read(session.store.engine) as conn:
        return verify_chain(conn)


def accounts(session: Session) -> list[AccountProblem]:
    """Check the signatures of the account events and the `users` table against them.

    The rules are store/account_trust.py's. Returns the problems found, empty when every account
    is an admin's act.
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
    """SQLCipher's page check and SQLite's `integrity_check`.

    `cipher_integrity_check` checks every page's HMAC. Returns the problems each reported,
    empty when the file is sound.
    """
    out: dict[str, list[str]] = {}
    with read(session.store.engine) as conn:
        for pragma in ("cipher_integrity_check", "integrity_check"):
            try:
                rows = [str(r[0]) for r in conn.exec_driver_sql(f"PRAGMA {pragma}")]
            except DBAPIError as exc:  # a page so damaged that the check itself stops
                rows = [f"{type(exc.orig).__name__}: {exc.orig}"]
            out[pragma] = [r for r in rows if r != "ok"]
    return out


def fingerprint(conn: Connection) -> str:
    """A SHA-256 over the projections a rebuild must reproduce (hex); the cases' ids left out."""
    digest = hashlib.sha256()
    for name, sql in _FINGERPRINT.items():
        digest.update(name.encode())
        for row in conn.execute(text(sql)):
            values = list(row)
            if name == "cases":
                values = values[1:]  # the integer id may be renumbered
            digest.update(repr(values).encode("utf-8"))
    return digest.hexdigest()


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
