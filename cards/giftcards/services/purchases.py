"""Buying gift cards through the payment gateway (the purpose "gift_card_purchase"): one card per unit bought."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.giftcards import errors, events
from cards.giftcards.models import FaceValue, GiftCard, GiftCardEntry, GiftCardPurchase, Theme
from cards.giftcards.services.cards import _entry, check_face_value, expiry_on_activation, post
from loyalty import payments
from loyalty.errors import DomainError
from loyalty.models import GatewayPayment
from loyalty.money import quantize
from merchants.models import Member

GIFT_CARD_PURCHASE_PURPOSE = "gift_card_purchase"
MOST_PER_PURCHASE = 10


def start_gift_card_purchase(theme: Theme, face_value: FaceValue, buyer: Member, *, quantity: int,
                             return_url: str = "") -> tuple[GiftCardPurchase, GatewayPayment]:
    """The buyer picks a theme, a face value it shows and a quantity; the cards are issued once the gateway
    confirms the payment (`fulfil_gift_card_purchase`). The sale is final: nothing refunds it."""
    if theme.merchant_id != buyer.merchant_id or face_value.merchant_id != buyer.merchant_id or not (
            theme.is_active and face_value.is_active and theme.face_values.filter(pk=face_value.pk).exists()):
        raise DomainError(errors.GIFT_CARD_NOT_FOR_SALE, _("This gift card is not for sale."), field="face_value",
                          status_code=409)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MOST_PER_PURCHASE:
        raise DomainError(errors.GIFT_CARD_QUANTITY, _("Buy between 1 and %(most)d cards at a time.") % {
            "most": MOST_PER_PURCHASE}, field="quantity")
    check_face_value(face_value)
    total = quantize(face_value.price * quantity)
    with transaction.atomic():
        purchase = GiftCardPurchase.objects.create(
            merchant_id=buyer.merchant_id, buyer=buyer, theme=theme, face_value=face_value, quantity=quantity,
            unit_price=face_value.price, total=total)
        payment = payments.start_payment(buyer.merchant, amount=total, purpose=GIFT_CARD_PURCHASE_PURPOSE,
                                         reference=str(purchase.pk), member=buyer, return_url=return_url,
                                         subject=_("Gift card %(name)s × %(count)d") % {
                                             "name": face_value.name, "count": quantity})
        purchase.payment = payment
        purchase.save(update_fields=["payment"])
    return purchase, payment


def issue_cards(purchase: GiftCardPurchase) -> list[GiftCard]:
    """The purchase's cards, each with its own code and its issue in its ledger; active at once unless the
    face value asks for the holder's phone."""
    face_value, now = purchase.face_value, timezone.now()
    needs_phone = face_value.needs_phone
    issued = []
    for _unit in range(purchase.quantity):
        card = GiftCard.objects.create(
            merchant_id=purchase.merchant_id, theme_id=purchase.theme_id, face_value=face_value, purchase=purchase,
            holder_id=purchase.buyer_id,
            status=GiftCard.Status.NOT_ACTIVATED if needs_phone else GiftCard.Status.ACTIVE,
            initial_amount=face_value.amount, activated_at=None if needs_phone else now,
            expires_at=expiry_on_activation(face_value, now) if not needs_phone else None)
        post(card, [_entry(card, face_value.amount, GiftCardEntry.Reason.ISSUED, reference=f"P{purchase.pk}")])
        events.gift_card_bought(card)
        issued.append(card)
    return issued


def fulfil_gift_card_purchase(payment: GatewayPayment) -> None:
    """The gateway confirmed the payment (inside loyalty.payments' transaction, once): issue the cards."""
    purchase = GiftCardPurchase.objects.select_for_update().select_related("face_value__merchant").get(
        payment=payment)
    if purchase.status != GiftCardPurchase.Status.PENDING:
        return
    purchase.status, purchase.paid_at = GiftCardPurchase.Status.PAID, timezone.now()
    purchase.save(update_fields=["status", "paid_at"])
    issue_cards(purchase)


def fail_gift_card_purchase(payment: GatewayPayment) -> None:
    GiftCardPurchase.objects.filter(payment=payment, status=GiftCardPurchase.Status.PENDING).update(
        status=GiftCardPurchase.Status.FAILED)


def refuse_sale_refund(purchase: GiftCardPurchase) -> None:
    """A gift card sale is final (the page says so before paying): whoever asks for its money back is refused."""
    raise DomainError(errors.GIFT_CARD_SALE_FINAL, _("Gift card sales are final and cannot be refunded."),
                      status_code=409)
