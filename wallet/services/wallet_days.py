"""The wallet ledger summed per merchant-local day, pocket, store and reason (资金日汇总), for the reports over a year.

`keep_wallet_days` sums the entries of past days into `WalletDay` (wallet.tasks.keep_wallet_days hourly,
`manage.py keep_wallet_days --days 400` after an import or a restore); `wallet_by_day` answers a window from the
kept days and reads every other day (today, a day not yet kept, another zone's days) from the entries, so its
figures are the entries' own whichever way a day is read.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate

from loyalty.money import ZERO, quantize
from loyalty.usable_cards import merchant_today, merchant_zone
from merchants.kept_days import day_bounds, kept_days_of, replace_kept_days, unkept_runs
from merchants.models import Merchant
from wallet.models import WalletDay, WalletEntry, WalletKeptDay

# (local day, reason) -> the sum of the entries' changes
ByDayReason = dict[tuple[datetime.date, str], Decimal]


def _entries(merchant_id: int | None, pocket: str | None, store_ids: Sequence[int]) -> QuerySet:
    entries = WalletEntry.objects.all() if merchant_id is None else WalletEntry.objects.filter(merchant_id=merchant_id)
    if pocket is not None:
        entries = entries.filter(pocket=pocket)
    return entries.filter(store_id__in=store_ids) if store_ids else entries


def _from_entries(entries: QuerySet, first: datetime.date, last: datetime.date, zone: datetime.tzinfo,
                  *keys: str) -> QuerySet:
    low, high = day_bounds(first, last, zone)
    return (entries.filter(created_at__gte=low, created_at__lt=high)
            .annotate(day=TruncDate("created_at", tzinfo=zone)).order_by().values("day", "reason", *keys)
            .annotate(total=Sum("delta"), n=Count("pk")))


def wallet_by_day(*, merchant_id: int | None, pocket: str, start: datetime.date, end: datetime.date,
                  zone: datetime.tzinfo, store_ids: Sequence[int] = ()) -> ByDayReason:
    """What moved `pocket` on each local day of `start`..`end`, by reason, over the stores asked for (every one if
    none). Sums of two-place amounts, exact to the cent."""
    moved: ByDayReason = defaultdict(lambda: ZERO)
    kept = kept_days_of(WalletKeptDay, merchant_id=merchant_id, start=start, end=end, zone=zone)
    if kept:
        figures = WalletDay.objects.filter(merchant_id=merchant_id, pocket=pocket, day__gte=start, day__lte=end)
        if store_ids:
            figures = figures.filter(store_id__in=store_ids)
        for row in figures.order_by().values("day", "reason").annotate(total=Sum("delta")):
            moved[row["day"], row["reason"]] += quantize(Decimal(row["total"]))
    entries = _entries(merchant_id, pocket, store_ids)
    for first, last in unkept_runs(start, end, kept):
        for row in _from_entries(entries, first, last, zone):
            # SQLite hands a money sum back with float noise; the entries themselves have two places.
            moved[row["day"], row["reason"]] += quantize(Decimal(row["total"]))
    return dict(moved)


def keep_wallet_days(merchant: Merchant, *, first: datetime.date, last: datetime.date) -> int:
    """Keep the wallet ledger of the merchant's days `first`..`last` (none after yesterday); idempotent: a day built
    again replaces its figures. Returns the number of figures written."""
    last = min(last, merchant_today(merchant) - datetime.timedelta(days=1))
    if last < first:
        return 0
    zone = merchant_zone(merchant)
    figures = [WalletDay(merchant_id=merchant.pk, day=row["day"], pocket=row["pocket"], store_id=row["store"],
                         reason=row["reason"], delta=quantize(Decimal(row["total"])), count=row["n"])
               for row in _from_entries(_entries(merchant.pk, None, ()), first, last, zone, "pocket", "store")]
    return replace_kept_days(merchant, first=first, last=last, table="wallet", figure_model=WalletDay,
                             kept_model=WalletKeptDay, figures=figures)
