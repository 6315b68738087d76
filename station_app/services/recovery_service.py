"""After a refused rollback: an admin accepts the database as it is found (docs/recovery.md).

A database found behind its anchor (a deleted `-wal`, an older `station.db` copied back) is
refused for normal work. When no newer copy of the data exists anywhere, an admin accepts the
state found: the case and paper counters are raised to what the anchor recorded, so that no
number already handed out on paper is issued again, a `rollback_accepted` event records what
was lost (it travels to the city with the rest of the log), and the current head is anchored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from station_app.clock import Clock, SystemClock
from station_app.domain.enums import Role
from station_app.domain.safe_input import text_problem
from station_app.errors import AuthError, PermissionDenied, StationError, ValidationError
from station_app.services.session import Session
from station_app.store.anchor import anchor_problem, read_head, reanchor
from station_app.store.db import get_meta, read, set_meta, write
from station_app.store.keystore import GENERIC_LOGIN_ERROR
from station_app.store.read_model.station import account
from station_app.store.station_store import db_path, unlock_store


@dataclass(frozen=True)
class AcceptedRollback:
    """What was accepted: the anchor's complaint, the seqs, the counters raised."""

    reason: str
    anchored_seq: int | None
    found_seq: int
    counters_raised: dict[str, int]


def accept_rollback(
    data_dir: Path, user: str, password: str, note: str, clock: Clock | None = None
) -> AcceptedRollback:
    """Accept the database as found after its anchor refused it (admin; `note` says why).

    Raises:
        AuthError: wrong password, unknown or disabled account (one generic message).
        PermissionDenied: not an admin.
        ValidationError: on `reason`, an empty note.
        StationError: the database agrees with its anchor (nothing to accept).
    """
    if not (note or "").strip() or len(note) > 500:
        raise ValidationError({"reason": "请写明原因(500字以内),例如:备份已找不到,确认从当前状态继续"})
    if why := text_problem(note):
        raise ValidationError({"reason": f"原因{why}"})
    clock = clock or SystemClock()
    store = unlock_store(data_dir, user, password, clock.now(), check_anchor=False)
    try:
        with read(store.engine) as conn:
            admin = account(conn, user)
        if admin is None or not admin.active:
            raise AuthError(GENERIC_LOGIN_ERROR)
        if Role(admin.role) is not Role.ADMIN:
            raise PermissionDenied("当前账户无权执行此操作")
        problem, anchored = anchor_problem(store.engine, db_path(data_dir))
        if problem is None:
            raise StationError("数据库与锚点记录一致,无需处理")
        session = Session(store, user, Role.ADMIN, clock, keys=store.user_keys)
        raised: dict[str, int] = {}
        with write(store.engine) as conn:
            found = read_head(conn, from_log=True)
            for key, value in sorted((anchored.counters if anchored else {}).items()):
                if int(get_meta(conn, key) or 0) < value:
                    set_meta(conn, key, str(value))
                    raised[key] = value
            payload = {
                "reason": problem.reason,
                "note": note.strip(),
                "found_seq": found.seq,
                "anchored_seq": anchored.seq if anchored else None,
                "counters_raised": raised,
            }
            session.record(conn, "rollback_accepted", {k: v for k, v in payload.items() if v is not None})
        reanchor(store.engine, db_path(data_dir))
        return AcceptedRollback(problem.reason, anchored.seq if anchored else None, found.seq, raised)
    finally:
        store.close()
