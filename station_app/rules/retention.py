"""How long a closed case's file is kept (保管期限), printed on the archive cover.

The periods are those of 《机关文件材料归档范围和文书档案保管期限规定》(国家档案局令第8号):
永久, or 定期 30 or 10 years. Which one a dispute's file gets follows the weight of the matter,
as that rule sorts an office's records: a 重大疑难 matter (the leading group's approval, a task
group, minutes) or one whose handling was reported to 纪委监委 is kept for good; a matter several
departments answered together (联办, 报送市级) for 30 years; a matter one department answered,
or one not taken in, for 10 years. The table is data, one line per track.
"""

from __future__ import annotations

from dataclasses import dataclass

from station_app.domain.enums import Track

PERMANENT = "永久"
YEARS_30 = "定期30年"
YEARS_10 = "定期10年"
PERIODS = (PERMANENT, YEARS_30, YEARS_10)

BY_TRACK: dict[Track, str] = {
    Track.MAJOR: PERMANENT,
    Track.JOINT: YEARS_30,
    Track.SUBMIT_CITY: YEARS_30,
    Track.REFER: YEARS_10,
    Track.NOT_ACCEPTED: YEARS_10,
}


@dataclass(frozen=True)
class Retention:
    """A case file's retention period and why.

    Attributes:
        period: one of `PERIODS` (永久, 定期30年, 定期10年).
        reason: why, in the words printed beside it on the archive cover.
    """

    period: str  # one of PERIODS
    reason: str  # why, in the words printed beside it


def retention_for(track: Track, clue_transferred: bool = False) -> Retention:
    """The retention period of a case file of `track`, with the reason printed beside it.

    A clue transferred to 纪委监委 (四(五)) keeps the file for good. Example:
    `Retention("定期30年", "一般事项(联办)")`.
    """
    if clue_transferred:
        return Retention(PERMANENT, "涉线索移送纪委监委")
    return Retention(BY_TRACK[track], track.label)
