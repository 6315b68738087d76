"""Verify the event log: every (origin, stream) chain and the local ledger (SYNC.md §3.2).

A chain is good when its origin_seq runs 1, 2, 3... without a hole, each event links to the
previous one's hash, each hash recomputes (by the formula its `hash_v` names), and its last event
is the head recorded for it. The ledger is good when its seq runs 1, 2, 3..., each ledger hash
recomputes and the last one is the recorded ledger head. The report names the first bad event
of each broken chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from station_app.store.events import GENESIS, Envelope, chain_heads, envelope_hash, ledger_hash, ledger_head
from station_app.store.payloads import Scope


@dataclass(frozen=True)
class ChainStatus:
    """One chain's (or the ledger's) verdict: `bad_*` name its first bad event when not ok."""

    origin: str
    stream: str
    count: int
    ok: bool
    bad_seq: int | None = None  # ledger seq of the first bad event
    bad_origin_seq: int | None = None
    bad_uuid: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The verdict as the CLI prints it."""
        return {
            "origin": self.origin, "stream": self.stream, "events": self.count, "ok": self.ok,
            "bad_seq": self.bad_seq, "bad_origin_seq": self.bad_origin_seq, "bad_uuid": self.bad_uuid,
            "reason": self.reason,
        }  # fmt: skip


@dataclass(frozen=True)
class ChainReport:
    """The whole log's verdict.

    `bad_seq`, `bad_uuid` and `reason` name the first bad event of the first broken chain (by
    ledger seq), else the ledger's first bad entry.
    """

    ok: bool
    count: int
    bad_seq: int | None = None
    bad_uuid: str | None = None
    reason: str | None = None
    chains: tuple[ChainStatus, ...] = ()
    ledger: ChainStatus | None = None
    broken: tuple[ChainStatus, ...] = field(default=())


_ROWS = (
    "SELECT seq, uuid, case_uuid, type, payload, author, origin, at, prev_hash, hash, stream, origin_seq, hash_v, v,"
    " scope, base, ledger_hash, bundle_id FROM events"
)

MODIFIED = "事件内容与哈希不符(事件被修改)"
RELINKED = "前一事件哈希不符(事件被删除、插入或调换)"
HOLE = "链内序号不连续(事件被删除或调换)"
TRUNCATED = "链末尾被截断或改写"
LEDGER_MODIFIED = "本地账本哈希不符(账本被改写)"
LEDGER_HOLE = "本地账本序号不连续(事件被删除)"
LEDGER_TRUNCATED = "本地账本末尾被截断或改写"


def _envelope(r: Any) -> Envelope:
    return Envelope(
        r[1], r[6], r[10], int(r[11]), int(r[12]), r[9], r[3], int(r[13]), Scope(r[14]), r[2],
        None if r[15] is None else json.loads(r[15]), r[5], r[7], json.loads(r[4]),
    )  # fmt: skip


def _bad(origin: str, stream: str, count: int, r: Any, reason: str) -> ChainStatus:
    return ChainStatus(origin, stream, count, False, int(r[0]), int(r[11]) if r[11] is not None else None, r[1], reason)


def _verify_chains(conn: Connection) -> list[ChainStatus]:
    heads = chain_heads(conn)
    out: list[ChainStatus] = []
    key: tuple[str, str] | None = None
    count, expect, prev, failed = 0, 1, GENESIS, False

    def close() -> None:
        if key is None:
            return
        if not failed:
            head = heads.get(key)
            if head != (expect - 1, prev):
                out.append(ChainStatus(key[0], key[1], count, False, None, expect - 1, None, TRUNCATED))
            else:
                out.append(ChainStatus(key[0], key[1], count, True))

    rows = conn.execute(text(f"{_ROWS} ORDER BY origin, stream, origin_seq"))
    for r in rows:
        this = (str(r[6]), str(r[10]))
        if this != key:
            close()
            key, count, expect, prev, failed = this, 0, 1, GENESIS, False
        count += 1
        if failed:
            continue
        if r[11] != expect:
            out.append(_bad(*this, count, r, HOLE))
            failed = True
        elif r[8] != prev:
            out.append(_bad(*this, count, r, RELINKED))
            failed = True
        elif envelope_hash(prev, _envelope(r)) != r[9]:
            out.append(_bad(*this, count, r, MODIFIED))
            failed = True
        else:
            prev = r[9]
            expect += 1
    close()
    seen = {(c.origin, c.stream) for c in out}
    for (origin, stream), (seq, _) in sorted(heads.items()):
        if (origin, stream) not in seen:  # a chain with a head and no events left: truncated whole
            out.append(ChainStatus(origin, stream, 0, False, None, seq, None, TRUNCATED))
    return out


def _verify_ledger(conn: Connection) -> ChainStatus:
    count, prev, expect = 0, GENESIS, 1
    for r in conn.execute(text(f"{_ROWS} ORDER BY seq")):
        count += 1
        if int(r[0]) != expect:
            return ChainStatus("", "ledger", count, False, int(r[0]), None, r[1], LEDGER_HOLE)
        if ledger_hash(prev, expect, r[9], r[17]) != r[16]:
            return ChainStatus("", "ledger", count, False, int(r[0]), None, r[1], LEDGER_MODIFIED)
        prev = r[16]
        expect += 1
    if ledger_head(conn) != (expect - 1, prev):
        return ChainStatus("", "ledger", count, False, None, None, None, LEDGER_TRUNCATED)
    return ChainStatus("", "ledger", count, True)


def verify_chain(conn: Connection) -> ChainReport:
    """Check every chain and the ledger (a read of the whole log, in the caller's connection)."""
    chains = _verify_chains(conn)
    ledger = _verify_ledger(conn)
    count = ledger.count
    broken = [c for c in chains if not c.ok]
    if broken:
        first = min(broken, key=lambda c: (c.bad_seq is None, c.bad_seq or 0))
        return ChainReport(False, count, first.bad_seq, first.bad_uuid, first.reason, tuple(chains), ledger,
                           tuple(broken))  # fmt: skip
    if not ledger.ok:
        return ChainReport(False, count, ledger.bad_seq, ledger.bad_uuid, ledger.reason, tuple(chains), ledger)
    return ChainReport(True, count, chains=tuple(chains), ledger=ledger)
