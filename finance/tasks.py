"""Finance's periodic work: keep the settlement of the days just past (beat, hourly; idempotent)."""

from __future__ import annotations

import datetime

from celery import shared_task

from finance.services.settlement import settle_days
from loyalty.usable_cards import merchant_today
from merchants.models import Merchant

# Refunds and late reports land on the day they are made, so yesterday is rebuilt until today ends; a week
# back covers a beat that was down.
DAYS_BACK = 7


@shared_task(ignore_result=True)
def settle_recent_days() -> int:
    written = 0
    for merchant in Merchant.objects.all().iterator():
        yesterday = merchant_today(merchant) - datetime.timedelta(days=1)
        written += settle_days(merchant, first=yesterday - datetime.timedelta(days=DAYS_BACK - 1), last=yesterday)
    return written
