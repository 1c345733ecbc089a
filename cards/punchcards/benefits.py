"""A punch card as a benefit: reward rules, recharge offers, the join gift and mass sends can give one."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.punchcards import services
from cards.punchcards.models import PunchCardProduct
from loyalty.benefits import QUANTITY, TARGET, Benefit, BenefitLine, Given, TakenBack, share_of
from merchants.models import Member


class PunchCardBenefit(Benefit):
    """`quantity` cards of the chosen product; a refund of what gave them voids those still usable."""

    code = "punch_card"
    label = gettext_lazy("punch card")
    order = 50
    uses = frozenset({QUANTITY, TARGET})
    target_field = "punch_card_product"
    target_label = gettext_lazy("punch card")
    foreign_target_message = gettext_lazy("Choose a punch card of this merchant.")

    def targets(self, merchant_id: int | None) -> QuerySet:
        products = PunchCardProduct.objects.order_by("name", "pk")
        return products if merchant_id is None else products.filter(merchant_id=merchant_id)

    def give(self, line: BenefitLine, member: Member, *, target: models.Model | None, occasion: str,
             reference: str, store=None, note: str = "") -> Given:
        cards = []
        for n in range(line.quantity if target is not None else 0):
            card = services.give_card(target, member, reference=f"{reference}#{n + 1}"[:64], store=store)
            if card is None:
                break
            cards.append(card.pk)
        return Given(kind=self.code, quantity=len(cards), target_id=line.target_id, reference=reference,
                     objects=tuple(cards))

    def take_back(self, given: Given, member: Member, *, share: Decimal | None, reference: str,
                  store=None) -> TakenBack:
        wanted = share_of(given.quantity, share, given.quantity_left)
        if not wanted:
            return TakenBack()
        taken, short = services.take_back_given(given.objects, wanted=wanted, reference=reference)
        return TakenBack(quantity=taken, shortfall_quantity=short)

    def describe(self, line: BenefitLine, target: models.Model | None) -> str:
        name = target.name if target is not None else _("a punch card no longer offered")
        return f"{name} ×{line.quantity}"
