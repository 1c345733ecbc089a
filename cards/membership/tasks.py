"""Scheduled membership work (celery beat): points expiry, expiry warnings, level reviews and drop warnings."""

from celery import shared_task

from cards.membership import services


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
