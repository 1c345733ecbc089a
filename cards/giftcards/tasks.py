"""Scheduled gift card work (celery beat): expiry."""

from celery import shared_task

from cards.giftcards import services


@shared_task(name="giftcards.tasks.expire_gift_cards")
def expire_gift_cards() -> int:
    """Idempotent: a card expires once, however often this runs."""
    return services.expire_cards()
