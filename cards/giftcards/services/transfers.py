"""Sending a card to a friend (转赠): by a link, claimed once; the friend gets a new card with a new code."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.giftcards import errors, events, states
from cards.giftcards.models import GiftCard, GiftCardEntry, GiftCardTransfer
from cards.giftcards.services.cards import _entry, cards_for_update, gift_card_settings, post
from loyalty.errors import DomainError
from merchants.models import Member

S = GiftCard.Status


def _own_card(card: GiftCard, member: Member) -> GiftCard:
    locked = cards_for_update([card.pk])[card.pk]
    if locked.holder_id != member.pk:
        raise DomainError(errors.GIFT_CARD_NOT_YOURS, _("This gift card is not yours."), status_code=404)
    return locked


def send_card(card: GiftCard, member: Member, *, greeting: str = "") -> GiftCardTransfer:
    """Start sending a card by a link with the theme's greeting (or the sender's own words)."""
    with transaction.atomic():
        card = _own_card(card, member)
        if card.expires_at is not None and card.expires_at <= timezone.now():
            raise DomainError(errors.GIFT_CARD_UNUSABLE, _("This gift card cannot be used."), status_code=404)
        if card.transfers >= gift_card_settings(card.merchant_id).transfers_allowed:
            raise DomainError(errors.GIFT_CARD_TRANSFERS_USED, _("This gift card cannot be sent on again."),
                              status_code=409)
        before = states.move(card, S.SENDING)
        card.save(update_fields=["status"])
        transfer = GiftCardTransfer.objects.create(
            merchant_id=card.merchant_id, card=card, sender=member, token=secrets.token_urlsafe(32),
            greeting=(greeting or card.theme.greeting)[:200], status_before=before)
        events.gift_card_sending(card, before=before, transfer_id=transfer.pk)
        return transfer


def _open_transfer(transfer: GiftCardTransfer) -> GiftCardTransfer:
    locked = GiftCardTransfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != GiftCardTransfer.Status.OPEN:
        raise DomainError(errors.GIFT_CARD_TRANSFER_CLOSED, _("This gift has already been claimed or taken back."),
                          status_code=409)
    return locked


def take_back(transfer: GiftCardTransfer, member: Member) -> GiftCard:
    """The sender takes back a gift nobody claimed yet: the card is as it was, with its code."""
    with transaction.atomic():
        card = _own_card(transfer.card, member)
        transfer = _open_transfer(transfer)
        before = states.move(card, transfer.status_before)
        card.save(update_fields=["status"])
        transfer.status, transfer.ended_at = GiftCardTransfer.Status.TAKEN_BACK, timezone.now()
        transfer.save(update_fields=["status", "ended_at"])
        events.gift_card_taken_back(card, before=before, transfer_id=transfer.pk)
        return card


def claim_gift(transfer: GiftCardTransfer, member: Member) -> GiftCard:
    """The friend claims the gift, once: the sender's card ends (its code stops working) and its balance moves
    to a new card with a new code for the friend, received or, if no phone is needed, active at once."""
    with transaction.atomic():
        card = cards_for_update([transfer.card_id])[transfer.card_id]
        transfer = _open_transfer(transfer)
        if member.pk == transfer.sender_id:
            raise DomainError(errors.GIFT_CARD_OWN_GIFT, _("You cannot claim your own gift; take it back instead."),
                              status_code=409)
        if member.merchant_id != card.merchant_id:
            raise DomainError(errors.GIFT_CARD_TRANSFER_CLOSED, _("This gift has already been claimed or taken "
                                                                  "back."), status_code=409)
        if card.expires_at is not None and card.expires_at <= timezone.now():
            raise DomainError(errors.GIFT_CARD_UNUSABLE, _("This gift card cannot be used."), status_code=404)
        needs_phone = card.face_value.needs_phone
        amount = card.balance
        new_card = GiftCard.objects.create(
            merchant_id=card.merchant_id, theme_id=card.theme_id, face_value_id=card.face_value_id,
            purchase_id=card.purchase_id, previous=card, holder=member,
            status=S.RECEIVED if needs_phone else S.ACTIVE, initial_amount=card.initial_amount,
            transfers=card.transfers + 1, activated_at=None if needs_phone else timezone.now(),
            expires_at=card.expires_at)
        before = states.move(card, S.SENT)
        reference = f"T{transfer.pk}"
        post(card, [_entry(card, -amount, GiftCardEntry.Reason.SENT_ON, reference=reference)], fields=["status"])
        post(new_card, [_entry(new_card, amount, GiftCardEntry.Reason.RECEIVED, reference=reference)])
        transfer.status, transfer.receiver, transfer.new_card = GiftCardTransfer.Status.CLAIMED, member, new_card
        transfer.ended_at = timezone.now()
        try:
            with transaction.atomic():
                transfer.save(update_fields=["status", "receiver", "new_card", "ended_at"])
        except IntegrityError:
            raise DomainError(errors.GIFT_CARD_TRANSFER_CLOSED, _("This gift has already been claimed or taken "
                                                                  "back."), status_code=409) from None
        events.gift_card_sent(card, before=before, new_card=new_card)
        events.gift_card_received(new_card)
        return new_card


def open_gift(merchant, token: str) -> GiftCardTransfer | None:
    return (GiftCardTransfer.objects.filter(merchant=merchant, token=str(token)[:43])
            .select_related("card__theme", "card__face_value", "sender").first())
