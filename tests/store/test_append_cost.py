"""Appending stays O(1) in the size of the log: every statement of an intake or an action finds
its rows by key or index, never by reading the event log, and what it reports changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from station_app.services import case_service, settings_service
from station_app.services.session import Session
from station_app.store.db import write
from tests.factories import joint_intake

FULL_SCAN = re.compile(r"^SCAN (events|chain_heads|cases|meta)(\s|$)")


@contextmanager
def _recorded(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if not many:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _plans(session: Session, statements: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    out = []
    with session.store.engine.connect() as conn:
        for statement, params in statements:
            if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
                plan = [row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
                out.append((statement, plan))
    return out


def test_intake_and_actions_never_scan_the_log(station: Session) -> None:
    nos = [case_service.intake(station, joint_intake(name=n)).case_no for n in ("张伟", "李娜", "王芳")]
    engine = station.store.engine
    with _recorded(engine) as statements:
        no = case_service.intake(station, joint_intake(name="赵敏")).case_no
        case_service.perform(station, no, "route")
        case_service.perform(station, no, "sign", {"dept": "tax"})
        case_service.perform(station, nos[0], "withdraw", {"reason": "申请人自愿撤回。"})
    assert any("INSERT INTO events" in s for s, _ in statements)
    for statement, plan in _plans(station, statements):
        assert not any(FULL_SCAN.match(line) for line in plan), (statement, plan)


def test_the_recorder_reports_what_changed(station: Session) -> None:
    no = case_service.intake(station, joint_intake(name="张伟"))
    with write(station.store.engine) as conn:
        done = station.recorder().record(conn, "personal_data_revealed", {"field": "applicant_phone"}, no.uuid)
    assert done.changes.cases == {no.uuid} and not done.changes.settings
    assert done.event.author == f"{station.station_code}/{station.user}"
    assert done.event.base == {station.station_code: done.event.origin_seq - 1}
    before = station.settings()
    settings_service.set_setting(station, "station_phone", "0457-2719999")
    assert station.settings() != before  # the settings cache was dropped because the event said so
