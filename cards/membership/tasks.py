"""Scheduled membership work (celery beat): points expiry, expiry warnings, level reviews, drop warnings and the
kept daily points sums the reports read."""

import datetime

from celery import shared_task

from cards.membership import services
from cards.membership.services import points_days
from loyalty.usable_cards import merchant_today
from merchants.models import Merchant


@shared_task(name="membership.tasks.expire_points")
def expire_points() -> int:
    """Idempotent: a bucket's points expire once however often this runs."""
    return services.expire_points()


@shared_task(name="membership.tasks.warn_expiring_points")
def warn_expiring_points() -> int:
    return services.warn_expiring_points()


@shared_task(name="membership.tasks.recompute_levels")
def recompute_levels() -> int:
    return services.recompute_levels()


@shared_task(name="membership.tasks.warn_level_drops")
def warn_level_drops() -> int:
    return services.warn_level_drops()


# Late entries (a refund's take-back, an expiry run that was down) land on the day they are written, so the
# days just past are summed again until a week has gone by.
KEEP_DAYS_BACK = 7


@shared_task(name="membership.tasks.keep_points_days", ignore_result=True)
def keep_points_days() -> int:
    """Idempotent: a day summed again replaces its figures."""
    written = 0
    for merchant in Merchant.objects.all().iterator():
        yesterday = merchant_today(merchant) - datetime.timedelta(days=1)
        first = yesterday - datetime.timedelta(days=KEEP_DAYS_BACK - 1)
        written += points_days.keep_points_days(merchant, first=first, last=yesterday)
    return written
