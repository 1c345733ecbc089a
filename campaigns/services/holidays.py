"""The merchant's holiday calendar: China's public holidays preloaded from `chinese-calendar`, then editable.

chinese-calendar 1.11.0 knows the State Council's holiday arrangements for 2004 to 2026 (it is updated each
year when the next year's arrangement is published; upgrade it to preload later years). A holiday of several
days off is one date in the calendar, its first day, named by the library (e.g. "National Day").
"""

from __future__ import annotations

import datetime

import chinese_calendar
from django.db import transaction

from campaigns.models import HolidayDate
from merchants.models import Merchant

# The library names holidays in English; the calendar shows them as merchants and members say them.
CHINESE_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def public_holidays(year: int) -> list[tuple[datetime.date, str]]:
    """The first day of each public holiday of `year` that the library knows, with its name."""
    days = sorted((day, name) for day, name in chinese_calendar.holidays.items() if day.year == year)
    firsts: list[tuple[datetime.date, str]] = []
    previous, previous_name = None, ""
    for day, name in days:
        if previous is None or previous_name != name or (day - previous).days > 1:
            firsts.append((day, CHINESE_NAMES.get(name, name)))
        previous, previous_name = day, name
    return firsts


def covered_years() -> tuple[int, int]:
    years = [day.year for day in chinese_calendar.holidays]
    return min(years), max(years)


@transaction.atomic
def preload_holidays(merchant: Merchant, *, years: list[int]) -> int:
    """Add the public holidays of `years` to the merchant's calendar; dates already there are left as they are."""
    rows = [HolidayDate(merchant=merchant, day=day, name=name, source=HolidayDate.Source.PUBLIC)
            for year in years for day, name in public_holidays(year)]
    before = HolidayDate.objects.filter(merchant=merchant).count()
    HolidayDate.objects.bulk_create(rows, ignore_conflicts=True)
    return HolidayDate.objects.filter(merchant=merchant).count() - before
