"""Checkout's own pricing step: random reduction (随机立减), seeded by the bill so quote and pay agree.

The day's budget left is read once by `load()` (a plain read: a payment takes its share as its last write,
`take_random_budget`); the arithmetic is `checkout.pipeline.random_step`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy

from checkout.models import AdjustmentKind, CheckoutSettings
from checkout.pipeline import random_step
from checkout.services.bills import random_budget_left
from loyalty.pricing import Adjustment, LoadedBill, PricingInput, PricingStep


@dataclass(frozen=True)
class RandomFacts:
    settings: CheckoutSettings
    budget_left: Decimal
    stacks: bool = True


class RandomReductionStep(PricingStep[RandomFacts]):
    code = AdjustmentKind.RANDOM
    label = gettext_lazy("random reduction")
    order = 50

    def facts(self, loaded: LoadedBill) -> RandomFacts | None:
        settings = loaded.config.checkout
        if not settings.random_reduction_enabled:
            return None
        return RandomFacts(settings, budget_left=random_budget_left(settings, timezone.localdate(loaded.bill.at)),
                           stacks=settings.random_reduction_stacks)

    def offers(self, facts: RandomFacts, given: PricingInput) -> bool:
        return bool(given.bill_id)

    def price(self, remaining: Decimal, given: PricingInput) -> Adjustment | None:
        facts = given.facts[self.code]
        return random_step(remaining, facts.settings, store_id=given.store_id, bill_id=given.bill_id,
                           budget_left=facts.budget_left, bill=given.bill)
