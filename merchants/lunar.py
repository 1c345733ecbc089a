"""A member's lunar birthday (农历生日), worked out from the solar birthday with `borax`'s lunar calendar.

Stored on the member as month, day and a leap-month flag so a campaign selects by it with a plain filter.
The rules a birthday campaign applies to it are in `campaigns.triggers.lunar_birthday_condition`.
"""

from __future__ import annotations

import datetime
from typing import NamedTuple

from borax.calendars.lunardate import LCalendars, LunarDate


class LunarDay(NamedTuple):
    month: int
    day: int
    leap: bool
    # Days in that lunar month of that year (29 or 30): the last day of a short month stands for the 30th.
    month_days: int


def lunar_day(solar: datetime.date) -> LunarDay | None:
    """The lunar month and day of a solar date; None outside the calendar's range (1900–2100)."""
    if not (LunarDate.min.to_solar_date() <= solar <= LunarDate.max.to_solar_date()):
        return None
    lunar = LunarDate.from_solar(solar)
    return LunarDay(month=lunar.month, day=lunar.day, leap=bool(lunar.leap),
                    month_days=LCalendars.ndays(lunar.year, lunar.month, lunar.leap))


MONTH_NAMES = "正二三四五六七八九十冬腊"
DAY_TENS = ("初", "十", "廿", "三")
DIGITS = "一二三四五六七八九十"


def format_lunar(*, month: int, day: int, leap: bool) -> str:
    """Month and day as a Chinese lunar date is written (闰四月初八, 腊月廿三, 正月三十)."""
    if day in (10, 20, 30):
        day_name = ("初十", "二十", "三十")[day // 10 - 1]
    else:
        day_name = DAY_TENS[day // 10] + DIGITS[day % 10 - 1]
    return f"{'闰' if leap else ''}{MONTH_NAMES[month - 1]}月{day_name}"
