"""Builders for gift card tests: a face value and a theme, and cards bought through the sandbox gateway."""

from __future__ import annotations

from decimal import Decimal

from cards.giftcards import services
from cards.giftcards.models import FaceValue, GiftCard, Theme
from loyalty import payments
from tests.wallet.helpers import enable_stored_value

D = Decimal


def make_face_value(merchant, *, amount="100.00", price=None, name=None, **fields) -> FaceValue:
    return FaceValue.objects.create(merchant=merchant, name=name or f"{amount} card", amount=D(amount),
                                    price=D(price or amount), **fields)


def make_theme(merchant, *values, name="Birthday", greeting="Happy birthday!") -> Theme:
    theme = Theme.objects.create(merchant=merchant, name=name, greeting=greeting)
    theme.face_values.set(values)
    return theme


def buy(member, *, amount="100.00", quantity=1, face_value=None, theme=None, **fields) -> list[GiftCard]:
    """Buy cards and confirm the gateway payment as its callback would; returns the cards in code order."""
    face_value = face_value or make_face_value(member.merchant, amount=amount, **fields)
    theme = theme or make_theme(member.merchant, face_value)
    purchase, payment = services.start_gift_card_purchase(theme, face_value, member, quantity=quantity)
    payments.confirm_payment(payment.out_trade_no, gateway_trade_no=f"T{payment.pk}", amount=payment.amount)
    return list(purchase.cards.order_by("pk"))


def card(pk) -> GiftCard:
    return GiftCard.objects.get(pk=pk)


def allow_moving(merchant) -> None:
    """Stored value on, and holders may move a card's balance into it."""
    enable_stored_value(merchant)
    settings = services.gift_card_settings(merchant)
    settings.move_to_stored_value = True
    settings.save()
