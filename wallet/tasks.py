"""Scheduled wallet work (celery beat): monthly recharge bonuses, cashback expiry and the kept daily sums of the
wallet ledger the reports read."""

from celery import shared_task

from merchants.kept_days import keep_recent_days
from wallet import services
from wallet.services import wallet_days


@shared_task(name="wallet.tasks.pay_due_instalments")
def pay_due_instalments() -> int:
    """Idempotent: each instalment is paid once however often, or however late, this runs."""
    return services.pay_due_instalments()


@shared_task(name="wallet.tasks.expire_cashback")
def expire_cashback() -> int:
    return services.expire_cashback()


@shared_task(name="wallet.tasks.keep_wallet_days", ignore_result=True)
def keep_wallet_days() -> int:
    return keep_recent_days(wallet_days.keep_wallet_days)
