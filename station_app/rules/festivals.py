"""The festival days 《全国年节及纪念日放假办法》 fixes, year by year, from a lunar calendar library.

A year without an official schedule (the State Council's notice comes out in the autumn before)
still rests on these days, so the working-day fallback skips them; the 调休 a notice adds
cannot be guessed and deadlines in such a year stay *estimated*. An imported schedule must
give every one of these days off.

The rule changed over the years; each version applies from its effective year:
- 1999: 元旦; 春节 正月初一至初三; 5月1日至3日; 10月1日至3日.
- 2008: 元旦; 春节 除夕、初一、初二; 清明; 5月1日; 端午; 中秋; 10月1日至3日.
- 2014: as 2008, but 春节 正月初一至初三.
- 2025: 元旦; 春节 除夕至初三; 清明; 5月1日、2日; 端午; 中秋; 10月1日至3日.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from lunar_python import Lunar, Solar

__all__ = ["FIRST_YEAR", "LAST_YEAR", "festival_days", "missing_festivals"]

FIRST_YEAR, LAST_YEAR = 1999, 2099  # the 1999 rule; the lunar library's range


def _lunar(year: int, month: int, day: int) -> date:
    s = Lunar.fromYmd(year, month, day).getSolar()
    return date(s.getYear(), s.getMonth(), s.getDay())


def _qingming(year: int) -> date:
    s = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"]
    return date(s.getYear(), s.getMonth(), s.getDay())


@cache
def festival_days(year: int) -> dict[date, str]:
    """The statutory festival days of `year` with their names (empty outside 1999-2099).

    Returns:
        `{date: "春节"}`-style mapping, in date order.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return {}
    new_year = _lunar(year, 1, 1)
    eve = new_year - timedelta(days=1)
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    if year < 2008:
        spring = [new_year + timedelta(days=n) for n in range(3)]
        labour = [date(year, 5, d) for d in (1, 2, 3)]
    elif year < 2014:
        spring = [eve, new_year, new_year + timedelta(days=1)]
        labour = [date(year, 5, 1)]
    elif year < 2025:
        spring = [new_year + timedelta(days=n) for n in range(3)]
        labour = [date(year, 5, 1)]
    else:
        spring = [eve] + [new_year + timedelta(days=n) for n in range(3)]
        labour = [date(year, 5, 1), date(year, 5, 2)]
    days.update((d, "春节") for d in spring if d.year == year)
    if year >= 2008:
        days[_qingming(year)] = "清明节"
        days[_lunar(year, 5, 5)] = "端午节"
        days[_lunar(year, 8, 15)] = "中秋节"
    days.update((d, "劳动节") for d in labour)
    days.update((date(year, 10, d), "国庆节") for d in (1, 2, 3))
    return dict(sorted(days.items()))


def missing_festivals(days: dict[date, bool], years: frozenset[int]) -> dict[str, str]:
    """Festival days a schedule would leave as working days, with a Chinese reason for each.

    A festival is missing when its weekday is not listed, or listed as a working day. The
    answer reads `{"days[2027-02-05]": "春节(2027-02-05)应为法定节假日"}`; empty when complete.
    """
    errors: dict[str, str] = {}
    for year in sorted(years):
        for day, name in festival_days(year).items():
            working = days.get(day, day.weekday() < 5)
            if working:
                errors[f"days[{day.isoformat()}]"] = f"{name}({day.isoformat()})是法定节日,日历中不能为工作日"
    return errors
