"""What every kept-days table (finance's settlement, membership's points) shares: past days are built once into
a table a report reads, today is read live. Here: consecutive days grouped into runs (each run is read from the
raw rows in one statement), and the backfill command's shape (`--days 400` after an import or a restore)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction

from loyalty.usable_cards import merchant_today, merchant_zone
from merchants.models import Merchant

# The first key of the advisory lock a kept-days builder holds (the second: its table and the merchant).
KEEPING_LOCK_SPACE = 7203


def serialise_keeping(table: str, merchant_id: int) -> None:
    """Hold, until the transaction ends, the right to rebuild one merchant's days of one kept table, so that two
    builders at once (the hourly task and an operator's backfill) take turns: the second replaces the first's
    figures instead of failing on the unique day key. An advisory lock, so nothing a payment locks is held;
    Postgres only, as SQLite writes one transaction at a time."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [KEEPING_LOCK_SPACE, f"{table}:{merchant_id}"])


def day_bounds(first: datetime.date, last: datetime.date,
               zone: datetime.tzinfo) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants [start of `first`, start of the day after `last`) of the local days `first`..`last`."""
    return (datetime.datetime.combine(first, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone))


# Late rows (a refund's take-back, an expiry run or a platform's report that came late) land on the day they are
# written, and a beat may be down: the hourly tasks build again the days just past until a week has gone by.
DAYS_BACK = 7


def keep_recent_days(build: Callable[..., int]) -> int:
    """What each kept-days task does: every merchant's last `DAYS_BACK` days up to its yesterday, built again by
    `build(merchant, first=, last=)` (idempotent: a day built again replaces its figures); the figures written."""
    written = 0
    for merchant in Merchant.objects.all().iterator():
        yesterday = merchant_today(merchant) - datetime.timedelta(days=1)
        written += build(merchant, first=yesterday - datetime.timedelta(days=DAYS_BACK - 1), last=yesterday)
    return written


def replace_kept_days(merchant: Merchant, *, first: datetime.date, last: datetime.date, table: str,
                      figure_model: type[models.Model], kept_model: type[models.Model],
                      figures: list[models.Model]) -> int:
    """Write `figures` as the merchant's days `first`..`last` of one kept table and mark those days kept, in one
    transaction that replaces whatever those days held (a builder's rewrite, idempotent); the figures written."""
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    with transaction.atomic():
        serialise_keeping(table, merchant.pk)
        figure_model.objects.filter(merchant=merchant, day__gte=first, day__lte=last).delete()
        figure_model.objects.bulk_create(figures, batch_size=5000)
        kept_model.objects.filter(merchant=merchant, day__gte=first, day__lte=last).delete()
        kept_model.objects.bulk_create([kept_model(merchant=merchant, day=day) for day in days])
    return len(figures)


def kept_days_of(kept_model: type[models.Model], *, merchant_id: int | None, start: datetime.date,
                 end: datetime.date, zone: datetime.tzinfo) -> set[datetime.date]:
    """The days of `start`..`end` a reading may take from one kept table: none for every merchant at once, nor in a
    zone other than the merchant's (a kept day is a day of the merchant's zone; elsewhere its rows fall on other
    days)."""
    if merchant_id is None:
        return set()
    merchant = Merchant.objects.only("pk", "time_zone").get(pk=merchant_id)
    if merchant_zone(merchant).key != getattr(zone, "key", str(zone)):
        return set()
    return set(kept_model.objects.filter(merchant_id=merchant_id, day__gte=start, day__lte=end)
               .values_list("day", flat=True))


def unkept_runs(start: datetime.date, end: datetime.date,
                kept: set[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """The days of `start`..`end` not kept, as runs of consecutive days, each read from the raw rows at once."""
    every_day = (start + datetime.timedelta(days=n) for n in range((end - start).days + 1))
    return day_runs(day for day in every_day if day not in kept)


def day_runs(days: Iterable[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Consecutive days as (first, last) runs."""
    runs: list[tuple[datetime.date, datetime.date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + datetime.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


class KeepDaysCommand(BaseCommand):
    """Build a kept-days table for the last N days, for one merchant or every one; idempotent. `keep` is the
    table's builder, `keep(merchant, first=, last=) -> figures written`, set by `keeping()`."""

    keep: Callable[..., int]

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument("--merchant", help="the merchant's slug; every merchant if not given")

    def handle(self, *args, days, merchant, **options):
        merchants = Merchant.objects.all()
        if merchant:
            merchants = merchants.filter(slug=merchant)
            if not merchants.exists():
                raise CommandError(f"No merchant {merchant!r}.")
        for each in merchants:
            today = merchant_today(each)
            written = self.keep(each, first=today - datetime.timedelta(days=days), last=today)
            self.stdout.write(f"{each.slug}: {written} figures over {days} days")


def keeping(build: Callable[..., int], help_text: str) -> type[KeepDaysCommand]:
    """The backfill command of one kept-days builder."""
    return type("Command", (KeepDaysCommand,), {"help": help_text, "keep": staticmethod(build)})
