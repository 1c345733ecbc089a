"""The gift card app's events (loyalty.events): a card's history besides its ledger, and configuration edits."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from cards.giftcards.models import FaceValue, GiftCard, GiftCardSettings, Theme
from loyalty.events import Changes, EventKind, record_event
from loyalty.models import Event

GIFT_CARD_BOUGHT = EventKind("gift_card.bought", _("gift card bought"))
GIFT_CARD_ACTIVATED = EventKind("gift_card.activated", _("gift card activated"))
GIFT_CARD_SENDING = EventKind("gift_card.sending", _("gift card sent by link"))
GIFT_CARD_TAKEN_BACK = EventKind("gift_card.taken_back", _("gift card taken back"))
GIFT_CARD_SENT = EventKind("gift_card.sent", _("gift card claimed by the friend"))
GIFT_CARD_RECEIVED = EventKind("gift_card.received", _("gift card received from a friend"))
GIFT_CARD_EXPIRED = EventKind("gift_card.expired", _("gift card expired"))
GIFT_CARD_VOIDED = EventKind("gift_card.voided", _("gift card voided"))
GIFT_CARD_MOVED = EventKind("gift_card.moved", _("gift card moved into stored value"))
GIFT_CARD_SPENT = EventKind("gift_card.spent", _("gift card spent"))
GIFT_CARD_REFUNDED = EventKind("gift_card.refunded", _("payment refund given back to a gift card"))
GIFT_CARD_SETTINGS_CHANGED = EventKind("gift_card_settings.changed", _("gift card settings changed"))
FACE_VALUE_CHANGED = EventKind("gift_face_value.changed", _("gift card face value changed"))
THEME_CHANGED = EventKind("gift_theme.changed", _("gift card theme changed"))

KINDS = [GIFT_CARD_BOUGHT, GIFT_CARD_ACTIVATED, GIFT_CARD_SENDING, GIFT_CARD_TAKEN_BACK, GIFT_CARD_SENT,
         GIFT_CARD_RECEIVED, GIFT_CARD_SPENT, GIFT_CARD_REFUNDED, GIFT_CARD_EXPIRED, GIFT_CARD_VOIDED, GIFT_CARD_MOVED,
         GIFT_CARD_SETTINGS_CHANGED,
         FACE_VALUE_CHANGED, THEME_CHANGED]


def _status(before: str, card: GiftCard) -> dict:
    return {"changes": {"status": [before, card.status]}}


def gift_card_bought(card: GiftCard) -> Event:
    return record_event(GIFT_CARD_BOUGHT, card, member=card.holder, data={
        "purchase": card.purchase_id, "amount": str(card.initial_amount), "status": card.status})


def gift_card_activated(card: GiftCard, *, before: str, named: bool) -> Event:
    return record_event(GIFT_CARD_ACTIVATED, card, member=card.holder, data=_status(before, card) | {
        "named": named, "expires_at": card.expires_at})


def gift_card_sending(card: GiftCard, *, before: str, transfer_id: int) -> Event:
    return record_event(GIFT_CARD_SENDING, card, member=card.holder, data=_status(before, card) | {
        "transfer": transfer_id})


def gift_card_taken_back(card: GiftCard, *, before: str, transfer_id: int) -> Event:
    return record_event(GIFT_CARD_TAKEN_BACK, card, member=card.holder, data=_status(before, card) | {
        "transfer": transfer_id})


def gift_card_sent(card: GiftCard, *, before: str, new_card: GiftCard) -> Event:
    """The friend claimed it: this card (and its code) is finished; the value lives on in `new_card`."""
    return record_event(GIFT_CARD_SENT, card, member=card.holder, data=_status(before, card) | {
        "new_card": new_card.pk, "amount": str(new_card.balance)})


def gift_card_received(card: GiftCard) -> Event:
    return record_event(GIFT_CARD_RECEIVED, card, member=card.holder, data={
        "previous_card": card.previous_id, "amount": str(card.balance), "status": card.status})


def gift_card_expired(card: GiftCard, *, before: str, amount: str) -> Event:
    return record_event(GIFT_CARD_EXPIRED, card, member=card.holder, data=_status(before, card) | {
        "amount": amount})


def gift_card_voided(card: GiftCard, *, before: str, staff: AbstractBaseUser | None, reason: str,
                     amount: str) -> Event:
    return record_event(GIFT_CARD_VOIDED, card, staff=staff, member=card.holder, data=_status(before, card) | {
        "reason": reason, "amount": amount})


def gift_card_moved(card: GiftCard, *, before: str, amount: str) -> Event:
    return record_event(GIFT_CARD_MOVED, card, member=card.holder, data=_status(before, card) | {"amount": amount})


def gift_card_spent(card: GiftCard, *, before: str, amount, payment: str, store_id: int | None,
                    terminal) -> Event:
    """A payment drew `amount` from the locked card; `balance` is what it holds after."""
    return record_event(GIFT_CARD_SPENT, card, terminal=terminal, member_id=card.holder_id, data=_status(
        before, card) | {"amount": f"{amount:.2f}", "balance": f"{card.balance:.2f}", "payment": payment,
                         "store": store_id})


def gift_card_refunded(card: GiftCard, *, before: str, amount, payment: str, reference: str, staff,
                       terminal) -> Event:
    """A payment's refund gave `amount` back to the card now holding that value. A card that expired or was
    voided since loses it again at once (`kept` false, the balance unchanged)."""
    return record_event(GIFT_CARD_REFUNDED, card, staff=staff, terminal=terminal, member_id=card.holder_id,
                        data=_status(before, card) | {
                            "amount": f"{amount:.2f}", "balance": f"{card.balance:.2f}", "payment": payment,
                            "refund": reference, "kept": card.status not in (GiftCard.Status.EXPIRED,
                                                                             GiftCard.Status.VOID)})


def gift_card_settings_changed(settings: GiftCardSettings, *, staff: AbstractBaseUser | None,
                               changes: Changes) -> Event:
    return record_event(GIFT_CARD_SETTINGS_CHANGED, settings, staff=staff, data=changes.as_data())


def face_value_changed(face_value: FaceValue, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    return record_event(FACE_VALUE_CHANGED, face_value, staff=staff, data=changes.as_data())


def theme_changed(theme: Theme, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    return record_event(THEME_CHANGED, theme, staff=staff, data=changes.as_data())
