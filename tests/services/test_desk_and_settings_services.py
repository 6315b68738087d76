"""Services added for the desk: routing preview, deadlines, employers, draft, password check,
and changing settings through events."""

from __future__ import annotations

import pytest

from station_app.errors import AuthError, PermissionDenied, ValidationError
from station_app.services import desk_service as desk
from station_app.services.case_service import intake
from station_app.services.session import Session
from station_app.services.settings_service import set_setting
from station_app.services.user_service import add_user
from tests.conftest import ADMIN_PASSWORD, FAST_KDF, event_count
from tests.factories import intake_json


def test_routing_preview_needs_only_the_routing_fields(station: Session) -> None:
    half = {"category": 4, "insurance_types": ["pension"], "periods": [{"from": "2023-10", "to": "2024-06"}]}
    decision = desk.routing_preview(station, half)
    assert decision.track.value == "joint" and decision.lead.value == "tax"
    with pytest.raises(ValidationError) as missing:
        desk.routing_preview(station, {"category": 4})
    assert missing.value.fields == {"periods": "该类争议须填写争议期间"}
    hints = desk.stage_deadlines(station, decision)
    assert [h.label for h in hints] == ["分类流转", "部门书面意见", "书面答复"]
    assert hints[0].due_date == "2025-11-21"  # 2025-11-20 + 1 working day
    assert (
        desk.stage_deadlines(station, desk.routing_preview(station, {**half, "flags": {"in_legal_proceedings": True}}))
        == []
    )


def test_known_employers_and_station_town(station: Session) -> None:
    data = intake_json(employer="漠河市金山运输有限公司")
    intake(station, data)
    assert ("漠河市金山运输有限公司", data["respondent"]["uscc"]) in desk.known_employers(station)
    assert desk.station_town(station) == "232701100"


def test_draft_lives_in_the_store_not_the_log(station: Session) -> None:
    before = event_count(station)
    assert desk.load_draft(station) is None
    desk.save_draft(station, {"applicant": {"name": "张三"}})
    assert desk.load_draft(station) == {"applicant": {"name": "张三"}}
    desk.clear_draft(station)
    assert desk.load_draft(station) is None
    assert event_count(station) == before  # a draft is not an event: never synced, never audited


def test_confirm_password_counts_towards_lockout(station: Session) -> None:
    desk.confirm_password(station, ADMIN_PASSWORD)
    for _ in range(5):
        with pytest.raises(AuthError):
            desk.confirm_password(station, "wrong-password")
    with pytest.raises(AuthError):  # locked: even the right password is refused
        desk.confirm_password(station, ADMIN_PASSWORD)


def test_set_setting_checks_kind_range_and_role(station: Session) -> None:
    before = event_count(station)
    assert set_setting(station, "opinion_days", "7") == 7
    assert set_setting(station, "opinion_days", 7) == 7  # unchanged: no second event
    assert event_count(station) == before + 1
    assert set_setting(station, "amount_threshold", "600000.50") == "600000.50"
    assert set_setting(station, "cutoff_date", "2024-04-01") == "2024-04-01"
    assert set_setting(station, "station_address", "  西林吉镇中央街  ") == "西林吉镇中央街"
    refused = {
        "opinion_days": "abc",
        "warn_ratio": 5,
        "amount_threshold": "1.234",
        "cutoff_date": "2024-13-01",
        "department_contacts": {"nowhere": {"phone": "1"}},
        "legal_remedies": {"x": 1},
        "no_such_key": 1,
    }
    for key, value in refused.items():
        with pytest.raises(ValidationError) as exc:
            set_setting(station, key, value)
        assert key in exc.value.fields
    set_setting(station, "lockout_max_failures", 4)
    assert station.store.keystore.lockout.max_failures == 4
    add_user(station, "w1", "worker", "worker-pass-1", None, FAST_KDF)
    add_user(station, "h1", "head", "head-pass-123", None, FAST_KDF)
    from station_app.services.session import login

    worker = login(station.data_dir, "w1", "worker-pass-1", station.clock)
    head = login(station.data_dir, "h1", "head-pass-123", station.clock)
    try:
        with pytest.raises(PermissionDenied):
            set_setting(worker, "opinion_days", 6)
        assert set_setting(head, "opinion_days", 6) == 6
        with pytest.raises(PermissionDenied):  # lockout settings: admin only
            set_setting(head, "lockout_minutes", 30)
    finally:
        worker.close()
        head.close()
