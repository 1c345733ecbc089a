"""Scheduled membership work (celery beat): points expiry, expiry warnings, level reviews, drop warnings and the
kept daily points sums the reports read."""

from celery import shared_task

from cards.membership import services
from cards.membership.services import points_days
from merchants.kept_days import keep_recent_days


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


@shared_task(name="membership.tasks.keep_points_days", ignore_result=True)
def keep_points_days() -> int:
    return keep_recent_days(points_days.keep_points_days)
