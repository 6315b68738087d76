"""The number counters a store issues from, raised past numbers that came back from elsewhere.

Case numbers (`{station}-{year}-{seq:06d}`) and paper numbers (`...〔YYYY〕N号`) come from the
counters `case_seq:YYYY` and `paper_seq:YYYY` in `meta`. When a station takes back its own
events from the city after a restore (SYNC.md §3.8), the numbers those events carry were issued
by this station before the backup was taken back; the counters must move past them, or the desk
would issue them a second time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from station_app.store.db import get_meta, set_meta

_CASE_NO = re.compile(r"-(\d{4})-(\d+)$")
PAPER_NO = re.compile(r"〔(\d{4})〕(\d+)号$")  # a paper number's year and seq (`...〔2025〕12号`)


def issued_numbers(events: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The highest number each counter had issued, as the events show.

    Args:
        events: events of this store's own chains as a bundle carries them (`type`, `payload`).

    Returns:
        `{counter key: highest seq}`, e.g. `{"case_seq:2025": 41, "paper_seq:2025": 12}`; only
        `case_registered` (its `case_no`) and `paper_printed` (its `paper_no`) count.
    """
    highest: dict[str, int] = {}
    for event in events:
        payload = event.get("payload")
        if not isinstance(payload, Mapping):
            continue
        if event.get("type") == "case_registered":
            match, prefix = _CASE_NO.search(str(payload.get("case_no", ""))), "case_seq"
        elif event.get("type") == "paper_printed":
            match, prefix = PAPER_NO.search(str(payload.get("paper_no", ""))), "paper_seq"
        else:
            continue
        if match is not None:
            key = f"{prefix}:{match.group(1)}"
            highest[key] = max(highest.get(key, 0), int(match.group(2)))
    return highest


def raise_counters(conn: Connection, highest: dict[str, int]) -> dict[str, int]:
    """Raise each counter in `meta` to at least the given value, inside the caller's transaction.

    Args:
        conn: a write connection.
        highest: `{counter key: value}` as `issued_numbers` returns.

    Returns:
        The counters that moved, with their new values (empty when none was behind).
    """
    raised: dict[str, int] = {}
    for key, value in sorted(highest.items()):
        if int(get_meta(conn, key) or 0) < value:
            set_meta(conn, key, str(value))
            raised[key] = value
    return raised
