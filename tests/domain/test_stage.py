"""The stage and deadline-state enums: every stage a plan names has a key, every open stage says
what is due and who owes it, and the JSON carries plain text."""

from __future__ import annotations

import json
from datetime import date

from station_app.domain.enums import Track
from station_app.domain.stage import DeadlineState, StageKey
from station_app.rules.calendar import load_default_calendar
from station_app.rules.deadlines import deadline_state, stage_due, stage_plan
from station_app.services.query_service import CaseQuery, list_cases
from station_app.services.session import Session
from tests.factories import intake_json


def test_every_plan_stage_is_a_key_and_says_what_is_due() -> None:
    calendar = load_default_calendar()
    for track in Track:
        for stage in stage_plan(calendar, track, date(2025, 11, 20)).stages:
            assert isinstance(stage.key, StageKey)
            assert stage_due(stage.key, track) is not None
    assert stage_due(StageKey.CLOSED, Track.JOINT) is None
    assert stage_due(StageKey.OPINION, Track.REFER) == stage_due(StageKey.DEPARTMENT, Track.REFER)


def test_deadline_state_is_the_enum_and_compares_as_its_text() -> None:
    state = deadline_state(load_default_calendar(), date(2025, 9, 26), date(2025, 10, 10), date(2025, 10, 11))
    assert state is DeadlineState.OVERDUE and state == "overdue"


def test_a_listed_case_prints_its_stage_and_state_as_text(station: Session) -> None:
    from station_app.services.case_service import intake

    intake(station, intake_json())
    row = list_cases(station, CaseQuery())[0]
    assert isinstance(row.stage, StageKey) and isinstance(row.deadline_state, DeadlineState)
    printed = json.loads(json.dumps(row.to_json()))
    assert printed["stage"] == row.stage.value and printed["deadline_state"] in {s.value for s in DeadlineState}


def test_a_stage_written_by_a_newer_version_is_kept_as_its_text() -> None:
    newer = StageKey("hearing")
    assert newer == "hearing" and newer.value == "hearing"
    assert stage_due(newer, Track.JOINT) is None
