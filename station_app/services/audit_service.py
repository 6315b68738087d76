"""The audit trail: verify the hash chains and the events' signatures; rebuild the projections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

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


@dataclass(frozen=True)
class AuditReport:
    """Every check of `audit verify`, in one result (the CLI and the desk's 记录核验 show it).

    `pages`: each page check's problems by pragma name (empty lists: sound). `chain`: the chains
    and ledger, None when a damaged page stopped the log from being read. `accounts`: the
    account records' problems. `signatures`: every event's signature, None when not reached.
    """

    pages: dict[str, list[str]]
    chain: ChainReport | None
    accounts: tuple[AccountProblem, ...]
    signatures: SignatureReport | None

    @property
    def damaged(self) -> list[str]:
        """The page checks that reported a problem."""
        return [name for name, problems in self.pages.items() if problems]

    @property
    def ok(self) -> bool:
        """Whether every check holds."""
        return (
            not self.damaged
            and self.chain is not None
            and self.chain.ok
            and not self.accounts
            and self.signatures is not None
            and self.signatures.ok
        )

    def problem(self) -> str | None:
        """The first problem, as one Chinese sentence for the person at the desk (None: all good)."""
        if self.damaged:
            return "数据库文件损坏:" + "、".join(self.damaged) + " 报告了问题,请恢复最新的备份或联系市级管理员"
        if self.chain is not None and not self.chain.ok:
            return f"事件日志的哈希链断开:第 {self.chain.bad_seq} 条记录({self.chain.reason})"
        if self.accounts:
            return f"账户记录有问题:{self.accounts[0].name} {self.accounts[0].reason}"
        if self.signatures is not None and self.signatures.findings:
            bad = self.signatures.findings[0]
            return f"事件签名有问题:事件 {bad.uuid}({bad.type}) {bad.reason}"
        return None


def audit_all(session: Session, progress: Callable[[int, int], None] | None = None) -> AuditReport:
    """Run every check of `audit verify`: the pages, every chain, the accounts, every signature.

    `progress(done, total)` follows the signature check (one Ed25519 verification per event:
    about 0.1-0.2 ms each). When a page is damaged and the log cannot be read past it, the
    report has `chain` and `signatures` None.

    Raises:
        DBAPIError: the log cannot be read although no page check reported damage.
    """
    pages = integrity(session)
    try:
        chain = verify(session)
        found = tuple(accounts(session))
        signed = signatures(session, progress)
    except DBAPIError:
        if not [name for name, problems in pages.items() if problems]:
            raise
        return AuditReport(pages, None, (), None)
    return AuditReport(pages, chain, found, signed)


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
