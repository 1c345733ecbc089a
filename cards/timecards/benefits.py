"""A time card as a benefit: reward rules, recharge offers, the join gift and mass sends can give one."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.timecards import services
from cards.timecards.models import TimeCardTier
from loyalty.benefits import QUANTITY, TARGET, Benefit, BenefitLine, Given, TakenBack, share_of
from merchants.models import Member


class TimeCardBenefit(Benefit):
    """`quantity` periods of the chosen tier, end to end; a refund of what gave them voids those not lapsed."""

    code = "time_card"
    label = gettext_lazy("time card")
    order = 55
    uses = frozenset({QUANTITY, TARGET})
    target_field = "time_card_tier"
    target_label = gettext_lazy("time card")
    foreign_target_message = gettext_lazy("Choose a time card of this merchant.")

    def targets(self, merchant_id: int | None) -> QuerySet:
        tiers = TimeCardTier.objects.select_related("product").order_by("product__name", "days", "pk")
        return tiers if merchant_id is None else tiers.filter(merchant_id=merchant_id)

    def give(self, line: BenefitLine, member: Member, *, target: models.Model | None, occasion: str,
             reference: str, store=None, note: str = "") -> Given:
        cards = [services.give_card(target, member, reference=f"{reference}#{n + 1}"[:64], store=store).pk
                 for n in range(line.quantity if target is not None else 0)]
        return Given(kind=self.code, quantity=len(cards), target_id=line.target_id, reference=reference,
                     objects=tuple(cards))

    def take_back(self, given: Given, member: Member, *, share: Decimal | None, reference: str,
                  store=None) -> TakenBack:
        wanted = share_of(given.quantity, share, given.quantity_left)
        if not wanted:
            return TakenBack()
        taken, short = services.take_back_given(given.objects, wanted=wanted)
        return TakenBack(quantity=taken, shortfall_quantity=short)

    def describe(self, line: BenefitLine, target: models.Model | None) -> str:
        name = str(target) if target is not None else _("a time card no longer offered")
        return f"{name} ×{line.quantity}"
