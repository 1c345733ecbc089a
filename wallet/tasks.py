"""Scheduled wallet work (celery beat): monthly recharge bonuses and cashback expiry."""

from celery import shared_task

from wallet import services


@shared_task(name="wallet.tasks.pay_due_instalments")
def pay_due_instalments() -> int:
    """Idempotent: each instalment is paid once however often, or however late, this runs."""
    return services.pay_due_instalments()


@shared_task(name="wallet.tasks.expire_cashback")
def expire_cashback() -> int:
    return services.expire_cashback()
