"""The membership card's benefits: points and experience, given and taken back through its ledger."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.membership.models import ExperienceReason, PointsReason, RefundTakeBack
from cards.membership.services import grant_experience, grant_points, take_back_for_refund
from loyalty.benefits import QUANTITY, Benefit, BenefitLine, Given, Occasion, TakenBack, share_of
from loyalty.money import ZERO
from merchants.models import Member


class PointsBenefit(Benefit):
    code = "points"
    label = gettext_lazy("points")
    order = 10
    uses = frozenset({QUANTITY})
    answer_key = "points"

    def give(self, line: BenefitLine, member: Member, *, target: models.Model | None, occasion: str,
             reference: str, store=None, note: str = "") -> Given:
        reason = PointsReason.RECHARGE if occasion == Occasion.RECHARGE else PointsReason.GIFT
        grant_points(member, line.quantity, reason=reason, reference=reference, store=store, note=note)
        return Given(kind=self.code, quantity=line.quantity, reference=reference)

    def take_back(self, given: Given, member: Member, *, share: Decimal | None, reference: str,
                  store=None) -> TakenBack:
        wanted = share_of(given.quantity, share, given.quantity_left)
        # Points already spent stay spent: the membership app records them as the shortfall.
        short = take_back_for_refund(member, points=wanted, experience=0, spend=ZERO, reference=reference,
                                     store=store).points
        return TakenBack(quantity=wanted - short, shortfall_quantity=short)

    def describe(self, line: BenefitLine, target: models.Model | None) -> str:
        return _("%(points)d points") % {"points": line.quantity}

    def answer(self, lines: Sequence[tuple[BenefitLine, models.Model | None]]) -> int:
        return sum(line.quantity for line, _target in lines)


class ExperienceBenefit(Benefit):
    code = "experience"
    label = gettext_lazy("experience")
    order = 20
    uses = frozenset({QUANTITY})
    answer_key = "experience"

    def give(self, line: BenefitLine, member: Member, *, target: models.Model | None, occasion: str,
             reference: str, store=None, note: str = "") -> Given:
        reason = ExperienceReason.RECHARGE if occasion == Occasion.RECHARGE else ExperienceReason.GIFT
        grant_experience(member, line.quantity, reason=reason, reference=reference, store=store)
        return Given(kind=self.code, quantity=line.quantity, reference=reference)

    def take_back(self, given: Given, member: Member, *, share: Decimal | None, reference: str,
                  store=None) -> TakenBack:
        wanted = share_of(given.quantity, share, given.quantity_left)
        take_back_for_refund(member, points=0, experience=wanted, spend=ZERO, reference=reference, store=store)
        # Experience is never below zero: what the card no longer had is the shortfall.
        taken = (RefundTakeBack.objects.filter(card__member=member, reference=reference)
                 .values_list("experience", flat=True).first() or 0)
        return TakenBack(quantity=taken, shortfall_quantity=wanted - taken)

    def describe(self, line: BenefitLine, target: models.Model | None) -> str:
        return _("%(experience)d experience") % {"experience": line.quantity}

    def answer(self, lines: Sequence[tuple[BenefitLine, models.Model | None]]) -> int:
        return sum(line.quantity for line, _target in lines)
