"""The retention period a case file gets (国家档案局令第8号: 永久, 定期30年, 定期10年)."""

from __future__ import annotations

import pytest

from station_app.domain.enums import Track
from station_app.rules.retention import retention_for


@pytest.mark.parametrize(
    ("track", "period"),
    [
        (Track.MAJOR, "永久"),
        (Track.JOINT, "定期30年"),
        (Track.SUBMIT_CITY, "定期30年"),
        (Track.REFER, "定期10年"),
        (Track.NOT_ACCEPTED, "定期10年"),
    ],
)
def test_each_track_has_its_period_and_says_why(track: Track, period: str) -> None:
    retention = retention_for(track)
    assert retention.period == period
    assert retention.reason == track.label


def test_a_clue_transfer_keeps_the_file_for_good() -> None:
    assert retention_for(Track.REFER, clue_transferred=True).period == "永久"
    assert "纪委监委" in retention_for(Track.JOINT, clue_transferred=True).reason
