"""The gift card state machine: every allowed move in one place.

    not activated ──(activated with the holder's phone)──> active
    received ──(activated)──> active          (a card a friend claimed that needs the phone)
    active ──(last of the balance spent)──> used up ──(a bill refunded)──> active
    not activated | received | active ──(gift link sent)──> being sent
    being sent ──(friend claimed: a new card for them)──> sent
    being sent ──(sender took it back)──> the status it had before
    not activated | received | active | being sent ──(past its expiry)──> expired
    active ──(balance moved into stored value)──> moved into stored value ──(a bill refunded)──> active
    any open status ──(staff voids it)──> void
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from cards.giftcards import errors
from cards.giftcards.models import GiftCard
from loyalty.errors import DomainError

S = GiftCard.Status

ALLOWED: dict[str, set[str]] = {
    S.NOT_ACTIVATED: {S.ACTIVE, S.SENDING, S.EXPIRED, S.VOID},
    S.RECEIVED: {S.ACTIVE, S.SENDING, S.EXPIRED, S.VOID},
    S.ACTIVE: {S.USED_UP, S.SENDING, S.MOVED, S.EXPIRED, S.VOID},
    S.USED_UP: {S.ACTIVE, S.VOID},
    S.SENDING: {S.SENT, S.NOT_ACTIVATED, S.RECEIVED, S.ACTIVE, S.EXPIRED, S.VOID},
    S.SENT: set(),
    S.MOVED: {S.ACTIVE},
    S.EXPIRED: set(),
    S.VOID: set(),
}
# Statuses in which a card still holds value someone may use or receive (the sweeps look at these).
OPEN = (S.NOT_ACTIVATED, S.RECEIVED, S.ACTIVE, S.SENDING)


def can_move(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, set())


def move(card: GiftCard, target: str) -> str:
    """Set a locked card's status if the machine allows it (the caller saves); returns the status before."""
    before = card.status
    if not can_move(before, target):
        raise DomainError(errors.GIFT_CARD_STATE_CHANGE,
                          _("A gift card that is %(current)s cannot become %(target)s.") % {
                              "current": S(before).label, "target": S(target).label},
                          field="status", status_code=409)
    card.status = target
    return before
