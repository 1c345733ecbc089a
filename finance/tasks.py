"""Finance's periodic work: keep the settlement of the days just past (beat, hourly; idempotent)."""

from __future__ import annotations

from celery import shared_task

from finance.services.settlement import settle_days
from merchants.kept_days import keep_recent_days


@shared_task(ignore_result=True)
def settle_recent_days() -> int:
    return keep_recent_days(settle_days)
