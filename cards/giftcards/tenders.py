"""Gift cards as a way to pay (loyalty.tenders): the terminal sends the codes with the bill (`gift_cards`), the
quote shows each card's share, and the payment draws each card exactly that under its row lock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.giftcards import errors, services
from cards.giftcards.models import FaceValue, GiftCard
from cards.giftcards.serializers import GiftCardsInput
from loyalty import errors as loyalty_errors
from loyalty import ratelimit
from loyalty.errors import DomainError
from loyalty.money import ZERO, parse_amount
from loyalty.tenders import Drawer, Tender, TenderContext

GIFT_CARD = "giftcard"
MOST_CARDS_PER_BILL = 10


def _shares(context: TenderContext, wanted: Decimal) -> list[tuple[GiftCard, Decimal]]:
    return services.plan_cards(context.inputs[GIFT_CARD], wanted)


class GiftCardDrawer(Drawer):
    def take(self, payment: models.Model, context: TenderContext, shares: dict[str, Decimal]) -> dict[str, Decimal]:
        drawn = services.draw_cards(_shares(context, shares[GIFT_CARD]), reference=payment.number,
                                    store=payment.store, terminal=payment.terminal)
        return {GIFT_CARD: drawn}

    def refund(self, payment: models.Model, shares: dict[str, Decimal], *, reference: str, staff=None,
               terminal=None) -> None:
        services.give_back_to_cards(payment.number, payment.merchant_id, shares[GIFT_CARD], reference=reference,
                                    store=payment.store, staff=staff, terminal=terminal)


def _invalid() -> DomainError:
    return DomainError(errors.GIFT_CARD_CODES_INVALID, _("Send gift cards as a list of codes (at most %(most)d), "
                                                         "each once, or of {\"code\", \"amount\"}.") % {
        "most": MOST_CARDS_PER_BILL}, field="gift_cards")


def _masked(item) -> str | None:
    code = item.get("code") if isinstance(item, dict) else item
    return f"····{code[-4:]}" if isinstance(code, str) else None


class GiftCardTender(Tender):
    """礼品卡: after cashback and before stored value, the cards the payer handed over, in their order."""

    code = GIFT_CARD
    label = gettext_lazy("gift card")
    order = 15
    drawer = GiftCardDrawer()
    request_field = "gift_cards"
    error_codes = (errors.GIFT_CARD_UNUSABLE, errors.GIFT_CARD_NOT_HERE, errors.GIFT_CARD_SHARE_CHANGED,
                   errors.GIFT_CARD_CODES_INVALID, loyalty_errors.RATE_LIMITED)

    def request_schema(self):
        return GiftCardsInput(required=False)

    def parse_input(self, value: Any) -> tuple[services.Wanted, ...]:
        if not isinstance(value, list | tuple) or len(value) > MOST_CARDS_PER_BILL:
            raise _invalid()
        wanted = []
        for item in value:
            if isinstance(item, dict):
                amount = item.get("amount")
                wanted.append(services.Wanted(services.check_code(item.get("code")), None if amount in (None, "")
                                              else parse_amount(amount, field="gift_cards")))
            elif isinstance(item, str):
                wanted.append(services.Wanted(services.check_code(item)))
            else:
                raise _invalid()
        if len({item.code for item in wanted}) != len(wanted):
            raise _invalid()
        return tuple(wanted)

    def redact_input(self, value):
        """Only the last characters of each code are kept with the payment (the full code is the money)."""
        return [_masked(item) for item in value] if isinstance(value, list | tuple) else None

    def load_input(self, parsed, *, store, member, terminal, at, for_update: bool):
        # Codes that are refused count against who tried them, like balance lookups: guessing gets nowhere.
        who = f"terminal:{terminal.pk}" if terminal is not None else f"member:{getattr(member, 'pk', None)}"
        key, limit = f"giftcard-miss:{who}", settings.GIFT_CARD_LOOKUPS_PER_MINUTE
        if ratelimit.exceeded(key, limit=limit):
            raise DomainError(loyalty_errors.RATE_LIMITED, _("Too many lookups; try again in a minute."),
                              field="gift_cards", status_code=429)
        try:
            return services.load_cards(store.merchant_id, parsed, store=store, at=at, for_update=for_update)
        except DomainError as error:
            if error.code == errors.GIFT_CARD_UNUSABLE:
                ratelimit.hit(key, limit=limit, window_seconds=60)
            raise

    def plan(self, context: TenderContext, remaining: Decimal) -> Decimal:
        if GIFT_CARD not in context.inputs:
            return ZERO
        outside = context.requested.get("external_amount")
        wanted = remaining if outside is None else max(remaining - outside, ZERO)
        return sum((share for _card, share in _shares(context, wanted)), ZERO)

    def details(self, context: TenderContext, share: Decimal) -> list[dict[str, str]]:
        return [{"card": card.masked_code, "amount": f"{part:.2f}", "balance_after": f"{card.balance - part:.2f}"}
                for card, part in _shares(context, share)]

    def offers(self, member, store) -> list[tuple[str, str]]:
        if member is None:
            return []
        now = timezone.now()
        cards = (GiftCard.objects.filter(holder=member, status=GiftCard.Status.ACTIVE, balance__gt=0)
                 .select_related("theme", "face_value").order_by("expires_at", "pk"))
        kept = set(FaceValue.stores.through.objects.filter(facevalue__merchant_id=member.merchant_id)
                   .values_list("facevalue_id", "store_id"))
        limited = {face_value_id for face_value_id, _store in kept}
        return [(card.code, _("%(theme)s %(card)s: %(balance)s left") % {
            "theme": card.theme.name, "card": card.masked_code, "balance": card.balance})
            for card in cards if services.is_usable(card, now)
            and (card.face_value_id not in limited or (card.face_value_id, store.pk) in kept)]

    def counts_as_paid(self, config) -> bool:
        return True  # the buyer paid for the card: like stored value principal, it earns
