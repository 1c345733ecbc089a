"""The time card app's events (loyalty.events): what happens to cards and their settings."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from cards.timecards.models import TimeCard, TimeCardProduct, TimeCardSettings, TimeCardUse
from loyalty.events import Changes, EventKind, record_event
from loyalty.models import Event

PRODUCT_CHANGED = EventKind("time_card_product.changed", _("time card product changed"))
SETTINGS_CHANGED = EventKind("time_card_settings.changed", _("time card settings changed"))
CARD_VOIDED = EventKind("time_card.voided", _("time card voided"))
CARD_REFUNDED = EventKind("time_card.refunded", _("time card refunded"))
USE_UNDONE = EventKind("time_card.use_undone", _("time card use undone"))
CARD_SOLD = EventKind("time_card.sold", _("time card sold or given"))
CARD_USED = EventKind("time_card.used", _("time card used"))

KINDS = [PRODUCT_CHANGED, SETTINGS_CHANGED, CARD_SOLD, CARD_USED, CARD_VOIDED, CARD_REFUNDED, USE_UNDONE]


def time_card_product_changed(product: TimeCardProduct, *, staff: AbstractBaseUser | None,
                              changes: Changes) -> Event:
    """A product (and its tiers) added, edited or deleted in the admin."""
    return record_event(PRODUCT_CHANGED, product, staff=staff, data=changes.as_data())


def time_card_settings_changed(settings: TimeCardSettings, *, staff: AbstractBaseUser | None,
                               changes: Changes) -> Event:
    return record_event(SETTINGS_CHANGED, settings, staff=staff, data=changes.as_data())


def card_sold(card: TimeCard, *, new: bool) -> Event:
    """The card became the member's (a counter sale, an online purchase paid, a benefit): once, on activation.
    Its period is empty (None) while it waits for its first use. `new`: created in this transaction."""
    return record_event(CARD_SOLD, card, staff=card.staff, member_id=card.member_id, new_subject=new, data={
        "source": card.source, "product": card.product_id, "tier": card.tier_id, "price": f"{card.price_paid:.2f}",
        "store": card.store_id, "days": card.days, "starts_on": card.starts_on, "ends_on": card.ends_on,
        "reference": card.reference})


def card_used(card: TimeCard, *, use: TimeCardUse) -> Event:
    """One visit recorded on the card valid today (a time card has no uses to count down: its period ends)."""
    return record_event(CARD_USED, card, staff=use.staff, terminal=use.terminal, member_id=card.member_id, data={
        "use": use.pk, "count": 1, "store": use.store_id, "day": use.used_on,
        "starts_on": card.starts_on, "ends_on": card.ends_on, "identity_confirmed": use.identity_confirmed})


def card_voided(card: TimeCard, *, staff: AbstractBaseUser | None, reason: str) -> Event:
    return record_event(CARD_VOIDED, card, staff=staff, member=card.member, data={"reason": reason})


def card_refunded(card: TimeCard, *, staff: AbstractBaseUser | None, amount: Decimal) -> Event:
    return record_event(CARD_REFUNDED, card, staff=staff, member=card.member, data={"amount": f"{amount:.2f}"})


def use_undone(card: TimeCard, *, use: TimeCardUse, staff: AbstractBaseUser | None) -> Event:
    return record_event(USE_UNDONE, card, staff=staff, member=card.member,
                        data={"use": use.pk, "day": use.used_on.isoformat()})
