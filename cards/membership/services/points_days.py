"""The points ledger summed per merchant-local day, store and reason (积分日汇总), for the reports over a year.

`keep_points_days` sums the entries of past days into `PointsDay` (membership.tasks.keep_points_days hourly,
`manage.py keep_points_days --days 400` after an import or a restore); `points_by_day` answers a window from the
kept days and reads every other day (today, a day not yet kept, another zone's days) from the entries, so its
figures are the entries' own whichever way a day is read.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from cards.membership.models import PointsDay, PointsEntry, PointsKeptDay
from loyalty.usable_cards import merchant_today, merchant_zone
from merchants.kept_days import day_bounds, kept_days_of, replace_kept_days, unkept_runs
from merchants.models import Merchant


@dataclass
class Moved:
    """What one reason's entries did on one day: the points added, the points taken (negative), how many."""

    added: int = 0
    taken: int = 0
    count: int = 0

    @property
    def delta(self) -> int:
        return self.added + self.taken


ByDayReason = dict[tuple[datetime.date, str], Moved]


def _entries(merchant_id: int | None, store_ids: Sequence[int]):
    entries = PointsEntry.objects.all() if merchant_id is None else PointsEntry.objects.filter(merchant_id=merchant_id)
    return entries.filter(store_id__in=store_ids) if store_ids else entries


def _from_entries(entries, first: datetime.date, last: datetime.date, zone: datetime.tzinfo, *,
                  by_store: bool = False):
    low, high = day_bounds(first, last, zone)
    keys = ("day", "store", "reason") if by_store else ("day", "reason")
    return (entries.filter(created_at__gte=low, created_at__lt=high)
            .annotate(day=TruncDate("created_at", tzinfo=zone)).order_by().values(*keys)
            .annotate(added_sum=Sum("delta", filter=Q(delta__gt=0)), taken_sum=Sum("delta", filter=Q(delta__lt=0)),
                      n=Count("pk")))


def points_by_day(*, merchant_id: int | None, start: datetime.date, end: datetime.date, zone: datetime.tzinfo,
                  store_ids: Sequence[int] = ()) -> ByDayReason:
    """What moved on each local day of `start`..`end`, by reason, over the stores asked for (every one if none)."""
    moved: ByDayReason = {}

    def add(day: datetime.date, reason: str, added, taken, count) -> None:
        target = moved.setdefault((day, reason), Moved())
        target.added += int(added or 0)
        target.taken += int(taken or 0)
        target.count += int(count or 0)

    kept = kept_days_of(PointsKeptDay, merchant_id=merchant_id, start=start, end=end, zone=zone)
    if kept:
        figures = PointsDay.objects.filter(merchant_id=merchant_id, day__gte=start, day__lte=end)
        if store_ids:
            figures = figures.filter(store_id__in=store_ids)
        for row in (figures.order_by().values("day", "reason")
                    .annotate(added_sum=Sum("added"), taken_sum=Sum("taken"), n=Sum("count"))):
            add(row["day"], row["reason"], row["added_sum"], row["taken_sum"], row["n"])
    entries = _entries(merchant_id, store_ids)
    for first, last in unkept_runs(start, end, kept):
        for row in _from_entries(entries, first, last, zone):
            add(row["day"], row["reason"], row["added_sum"], row["taken_sum"], row["n"])
    return moved


def keep_points_days(merchant: Merchant, *, first: datetime.date, last: datetime.date) -> int:
    """Keep the points ledger of the merchant's days `first`..`last` (none after yesterday); idempotent: a day built
    again replaces its figures. Returns the number of figures written."""
    last = min(last, merchant_today(merchant) - datetime.timedelta(days=1))
    if last < first:
        return 0
    zone = merchant_zone(merchant)
    figures = [PointsDay(merchant_id=merchant.pk, day=row["day"], store_id=row["store"], reason=row["reason"],
                         added=row["added_sum"] or 0, taken=row["taken_sum"] or 0, count=row["n"])
               for row in _from_entries(_entries(merchant.pk, ()), first, last, zone, by_store=True)]
    return replace_kept_days(merchant, first=first, last=last, table="points", figure_model=PointsDay,
                             kept_model=PointsKeptDay, figures=figures)
