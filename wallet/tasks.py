"""Scheduled wallet work (celery beat): monthly recharge bonuses, cashback expiry and the kept daily sums of the
wallet ledger the reports read."""

import datetime

from celery import shared_task

from loyalty.usable_cards import merchant_today
from merchants.models import Merchant
from wallet import services
from wallet.services import wallet_days


@shared_task(name="wallet.tasks.pay_due_instalments")
def pay_due_instalments() -> int:
    """Idempotent: each instalment is paid once however often, or however late, this runs."""
    return services.pay_due_instalments()


@shared_task(name="wallet.tasks.expire_cashback")
def expire_cashback() -> int:
    return services.expire_cashback()


# Late entries (a refund's take-back, an expiry run that was down) land on the day they are written, so the
# days just past are summed again until a week has gone by.
KEEP_DAYS_BACK = 7


@shared_task(name="wallet.tasks.keep_wallet_days", ignore_result=True)
def keep_wallet_days() -> int:
    """Idempotent: a day summed again replaces its figures."""
    written = 0
    for merchant in Merchant.objects.all().iterator():
        yesterday = merchant_today(merchant) - datetime.timedelta(days=1)
        first = yesterday - datetime.timedelta(days=KEEP_DAYS_BACK - 1)
        written += wallet_days.keep_wallet_days(merchant, first=first, last=yesterday)
    return written
