"""Papers as the projection records them.

Their numbers, reprints and the print events that a paper's QR code is checked against.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, text


def latest_paper(conn: Connection, case_uuid: str, kind: str) -> tuple[str, int] | None:
    """The case's paper of one kind (`receipt`...) with its highest reprint count.

    Returns (paper_no, reprint); None when none was printed.
    """
    row = conn.execute(
        text("SELECT paper_no, reprint FROM papers WHERE case_uuid = :c AND kind = :k ORDER BY reprint DESC LIMIT 1"),
        {"c": case_uuid, "k": kind},
    ).first()
    return (str(row[0]), int(row[1])) if row else None


def paper_reprint(conn: Connection, paper_no: str) -> int | None:
    """How many times the paper was reprinted (0 for the first print); None for no such paper."""
    row = conn.execute(text("SELECT reprint FROM papers WHERE paper_no = :n"), {"n": paper_no}).first()
    return int(row[0]) if row else None


def printed_payloads(conn: Connection, paper_no: str) -> list[dict[str, Any]] | None:
    """The payloads of the `paper_printed` events behind a paper number.

    The events of the paper's case, or of the store's own papers (monthly reports) for a paper of
    no case; None when no paper has that number.
    """
    row = conn.execute(text("SELECT case_uuid FROM papers WHERE paper_no = :n"), {"n": paper_no}).first()
    if row is None:
        return None
    if row[0] is None:
        sql, params = "case_uuid IS NULL", {}
    else:
        sql, params = "case_uuid = :c", {"c": row[0]}
    rows = conn.execute(text(f"SELECT payload FROM events WHERE type = 'paper_printed' AND {sql}"), params).all()
    return [json.loads(r[0]) for r in rows]
