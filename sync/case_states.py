"""The sync state of cases and the 同步待处理 list (SYNC.md §3.9), for the case list and detail.

Kept apart from `sync.station_sync` (export, import, the relay client) so that the case list,
which shows a state per row, opens without loading the bundle and relay code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from station_app.services.session import Session
from station_app.store import sync_state
from station_app.store.db import get_meta, read
from station_app.store.events import own_origin
from station_app.store.sync_marks import case_heads, sent_through

#: Per-case states (SYNC.md §3.9), in the order a case moves through them; 待处理 overrides.
STATE_DUE = "待同步"
STATE_EXPORTED = "已导出"
STATE_AT_RELAY = "已上传中转"
STATE_ACKED = "市级已确认"
STATE_ATTENTION = "待处理"
CASE_STATES = (STATE_DUE, STATE_EXPORTED, STATE_AT_RELAY, STATE_ACKED, STATE_ATTENTION)


@dataclass(frozen=True)
class AttentionItem:
    """One entry of the 同步待处理 list.

    `kind` is conflict | gap | missing_base | unknown_type; `case_no` is None when the case itself
    has not arrived yet (a gap before its registration).
    """

    kind: str
    case_uuid: str | None
    case_no: str | None
    label: str


_ATTENTION_LABELS = {
    "conflict": "冲突:两处修改了同一事项,需站长处理",
    "gap": "缺少前序记录,等待补齐",
    "missing_base": "缺少所依据的记录,等待补齐",
    "unknown_type": "需更新程序版本后才能显示",
}


def _bound_city_ack(conn: Connection, origin: str) -> tuple[str, int] | None:
    """(the city this station is bound to, the seq of this station's chain it acknowledged, 0 for none).

    None for a standalone station and for the city's own store (its peers are stations). The
    chain is the one `exchange.sync_status` reports as the peer's last ack: (origin, station code).
    """
    if sync_state.profile(conn) == sync_state.PROFILE_CITY:
        return None
    city = sync_state.bound_city(conn)
    if city is None or sync_state.get_peer(conn, city) is None:
        return None
    ack = sync_state.acks_from(conn, city).get((origin, str(get_meta(conn, "station_code"))))
    return city, ack.through_seq if ack else 0


def attention_items(session: Session) -> list[AttentionItem]:
    """The 同步待处理 list: open conflicts, events held pending, and events this version cannot show.

    Pending events are held for a gap or a missing base; each entry has its case number when the
    case is here.
    """
    from station_app.services.conflict_service import conflicts
    from station_app.store.log import pending_list
    from station_app.store.sync_marks import case_numbers, flagged_events

    found: list[tuple[str, str | None]] = [("conflict", c.case_uuid) for c in conflicts(session, open_only=True)]
    with read(session.store.engine) as conn:
        found += [(p.reason, p.case_uuid) for p in pending_list(conn)]
        found += [("unknown_type", case_uuid) for _uuid, _type, case_uuid in flagged_events(conn)]
        numbers = case_numbers(conn, [u for _k, u in found if u])
    items, seen = [], set()
    for kind, case_uuid in found:
        if (kind, case_uuid) in seen:
            continue
        seen.add((kind, case_uuid))
        number = numbers.get(case_uuid) if case_uuid else None
        items.append(AttentionItem(kind, case_uuid, number, _ATTENTION_LABELS.get(kind, kind)))
    return items


def case_sync_states(session: Session, case_uuids: Sequence[str]) -> dict[str, str]:
    """The sync state of each case (SYNC.md §3.9), by case uuid.

    One of 待同步, 已导出, 已上传中转, 市级已确认, or 待处理 (a conflict, a gap or an event this
    version cannot show). Empty at a standalone station. A case's state is that of its newest
    event written here: the city acknowledged it (市级已确认), the relay stored a bundle holding it
    (已上传中转), a verified bundle holds it (已导出), or none yet (待同步). Cases with no event
    written here count as acknowledged.
    """
    if not case_uuids:
        return {}
    with read(session.store.engine) as conn:
        origin = own_origin(conn)
        bound = _bound_city_ack(conn, origin)
    if bound is None:
        return {}
    city, acked = bound
    held = {item.case_uuid for item in attention_items(session) if item.case_uuid}
    with read(session.store.engine) as conn:
        heads = case_heads(conn, origin, session.station_code, case_uuids)
        exported, uploaded = sent_through(conn, city, origin, session.station_code)
    states = {}
    for case_uuid in case_uuids:
        head = heads.get(case_uuid, 0)
        if case_uuid in held:
            states[case_uuid] = STATE_ATTENTION
        elif head <= acked:
            states[case_uuid] = STATE_ACKED
        elif head <= uploaded:
            states[case_uuid] = STATE_AT_RELAY
        elif head <= exported:
            states[case_uuid] = STATE_EXPORTED
        else:
            states[case_uuid] = STATE_DUE
    return states
