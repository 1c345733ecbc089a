"""The membership card's pricing steps: the member level discount (会员等级折扣) and points deduction (积分抵现).

Pure arithmetic on what checkout's `load()` has read: the member's card (locked for a payment), its level
and the programme from the merchant's cached configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.membership.models import Level, MembershipProgram
from cards.membership.services.pricing import points_deduction
from loyalty.money import format_percent, quantize
from loyalty.pricing import Adjustment, LoadedBill, PricingInput, PricingStep, capped

LEVEL = "level"
POINTS = "points"


def level_step(remaining: Decimal, level: Level | None) -> Adjustment | None:
    """Members of `level` pay `discount_percent`% of what is left."""
    if level is None or level.discount_percent >= 100:
        return None
    amount = remaining - quantize(remaining * level.discount_percent / 100)
    return capped(LEVEL, amount, remaining, _("%(level)s: pay %(percent)s%%") % {
        "level": level.name, "percent": format_percent(level.discount_percent)})


def points_step(remaining: Decimal, program: MembershipProgram | None, *, available: int,
                requested: int | str | None) -> Adjustment | None:
    """Whole units of points take money off, within the programme's limits (`points_deduction`)."""
    if not requested:
        return None
    deduction = points_deduction(program, bill=remaining, available=available, requested=requested)
    if not deduction.points:
        return None
    return capped(POINTS, deduction.amount, remaining, deduction.note, deduction.points)


@dataclass(frozen=True)
class LevelFacts:
    level: Level
    stacks: bool = True


class LevelDiscountStep(PricingStep[LevelFacts]):
    code = LEVEL
    label = gettext_lazy("member level discount")
    order = 10

    def facts(self, loaded: LoadedBill) -> LevelFacts | None:
        level = loaded.card.level if loaded.card is not None else None
        if level is None:
            return None
        return LevelFacts(level, stacks=loaded.config.checkout.level_discount_stacks)

    def offers(self, facts: LevelFacts, given: PricingInput) -> bool:
        return facts.level.discount_percent < 100

    def price(self, remaining: Decimal, given: PricingInput) -> Adjustment | None:
        return level_step(remaining, given.facts[LEVEL].level)


@dataclass(frozen=True)
class PointsFacts:
    program: MembershipProgram | None
    available: int
    requested: int | str  # a number of points or "max"
    stacks: bool = True


class PointsDeductionStep(PricingStep[PointsFacts]):
    code = POINTS
    label = gettext_lazy("points deduction")
    order = 30

    def facts(self, loaded: LoadedBill) -> PointsFacts | None:
        requested = loaded.bill.points if loaded.bill.member is not None else None
        if not requested:
            return None
        return PointsFacts(loaded.config.program, available=loaded.card.points if loaded.card is not None else 0,
                           requested=requested, stacks=loaded.config.checkout.points_stack)

    def price(self, remaining: Decimal, given: PricingInput) -> Adjustment | None:
        facts = given.facts[POINTS]
        return points_step(remaining, facts.program, available=facts.available, requested=facts.requested)
