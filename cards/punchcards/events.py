"""The punch card app's events (loyalty.events): what happens to cards that the uses ledger does not say."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from cards.punchcards.models import CoUser, PunchCard, PunchCardProduct, PunchCardSettings, PunchCardUse
from loyalty.events import Changes, EventKind, record_event
from loyalty.models import Event

PRODUCT_CHANGED = EventKind("punch_card_product.changed", _("punch card product changed"))
SETTINGS_CHANGED = EventKind("punch_card_settings.changed", _("punch card settings changed"))
CARD_VOIDED = EventKind("punch_card.voided", _("punch card voided"))
CARD_REFUNDED = EventKind("punch_card.refunded", _("punch card refunded"))
USE_UNDONE = EventKind("punch_card.use_undone", _("punch card use undone"))
CO_USER_ADDED = EventKind("punch_card.co_user_added", _("punch card co-user added"))
CO_USER_REMOVED = EventKind("punch_card.co_user_removed", _("punch card co-user removed"))
CARD_SOLD = EventKind("punch_card.sold", _("punch card sold or given"))
CARD_USED = EventKind("punch_card.used", _("punch card used"))

KINDS = [PRODUCT_CHANGED, SETTINGS_CHANGED, CARD_SOLD, CARD_USED, CARD_VOIDED, CARD_REFUNDED, USE_UNDONE,
         CO_USER_ADDED, CO_USER_REMOVED]


def masked_phone(phone: str) -> str:
    """A co-user's phone as a receiver may see it: like a member's (merchants.Member.masked_phone)."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else phone


def punch_card_product_changed(product: PunchCardProduct, *, staff: AbstractBaseUser | None,
                               changes: Changes) -> Event:
    return record_event(PRODUCT_CHANGED, product, staff=staff, data=changes.as_data())


def punch_card_settings_changed(settings: PunchCardSettings, *, staff: AbstractBaseUser | None,
                                changes: Changes) -> Event:
    return record_event(SETTINGS_CHANGED, settings, staff=staff, data=changes.as_data())


def card_sold(card: PunchCard, *, new: bool) -> Event:
    """The card became the member's (a counter sale, an online purchase paid, a benefit): once, on activation.
    `new`: the card was created in this transaction (not a purchase that waited for its payment)."""
    return record_event(CARD_SOLD, card, staff=card.staff, member_id=card.member_id, new_subject=new, data={
        "source": card.source, "product": card.product_id, "price": f"{card.price_paid:.2f}", "store": card.store_id,
        "uses": None if card.unlimited else card.uses_total, "valid_from": card.valid_from,
        "valid_until": card.valid_until, "reference": card.reference})


def card_used(card: PunchCard, *, use: PunchCardUse, co_user: CoUser | None) -> Event:
    """核销 recorded: `uses_left` is after this use (None for an unlimited card)."""
    return record_event(CARD_USED, card, staff=use.staff, terminal=use.terminal, member_id=card.member_id, data={
        "use": use.pk, "count": use.count, "store": use.store_id,
        "uses_left": None if card.unlimited else card.uses_left,
        "used_by": masked_phone(co_user.phone) if co_user is not None else None})


def card_voided(card: PunchCard, *, staff: AbstractBaseUser | None, reason: str) -> Event:
    return record_event(CARD_VOIDED, card, staff=staff, member=card.member, data={"reason": reason})


def card_refunded(card: PunchCard, *, staff: AbstractBaseUser | None, amount: Decimal) -> Event:
    """A bought card refunded: void, its gifts taken back, `amount` owed back to the member."""
    return record_event(CARD_REFUNDED, card, staff=staff, member=card.member, data={"amount": f"{amount:.2f}"})


def use_undone(card: PunchCard, *, use: PunchCardUse, staff: AbstractBaseUser | None) -> Event:
    return record_event(USE_UNDONE, card, staff=staff, member=card.member, data={"use": use.pk, "count": use.count})


def co_user_added(card: PunchCard, *, co_user: CoUser) -> Event:
    return record_event(CO_USER_ADDED, card, member=card.member, data={"phone": co_user.phone})


def co_user_removed(card: PunchCard, *, phone: str) -> Event:
    return record_event(CO_USER_REMOVED, card, member=card.member, data={"phone": phone})
