"""The pricing pipeline (DESIGN.md, "The money path"): the registered pricing steps, in their order.

Each step (loyalty.pricing.PricingStep, registered by the app that owns it) takes what is left of the bill
and returns one adjustment (or None): never more than what is left, rounded half-up to the cent. `price`
runs the steps, resolves steps that do not stack by pricing the alternatives and keeping the cheapest for
the member, and says why. Nothing here reads or writes the database: `load()` asks each step for its facts
and passes them in, so quote and pay agree. Checkout's own step, random reduction, is priced here too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from checkout.models import AdjustmentKind
from loyalty.errors import DomainError
from loyalty.money import CENT, ZERO
from loyalty.pricing import Adjustment, PricingInput, PricingStep, capped, pricing_steps

# --- checkout's own step: random reduction --------------------------------------------------------------

def random_amount(store_id: int, bill_id: str, low: Decimal, high: Decimal) -> Decimal:
    """A cent amount in [low, high], the same for the same store and bill reference (quote and pay agree)."""
    digest = hashlib.sha256(f"random-reduction|{store_id}|{bill_id}".encode()).digest()
    cents_low, cents_high = int(low / CENT), int(high / CENT)
    return Decimal(cents_low + int.from_bytes(digest[:8], "big") % (cents_high - cents_low + 1)) * CENT


def random_step(remaining: Decimal, settings, *, store_id: int, bill_id: str, budget_left: Decimal,
                bill: Decimal) -> Adjustment | None:
    """随机立减: a seeded amount in the merchant's range, never over what is left of today's budget."""
    if settings is None or not settings.random_reduction_enabled or not bill_id:
        return None
    if bill < settings.random_reduction_min_bill or budget_left <= ZERO:
        return None
    amount = min(random_amount(store_id, bill_id, settings.random_reduction_min, settings.random_reduction_max),
                 budget_left)
    return capped(AdjustmentKind.RANDOM, amount, remaining, _("Random reduction: %(amount)s off") % {
        "amount": min(amount, remaining)})


# --- the whole pipeline -----------------------------------------------------------------------------

@dataclass
class Alternative:
    label: str
    adjustments: list[Adjustment] = field(default_factory=list)
    error: DomainError | None = None

    @property
    def discount(self) -> Decimal:
        return sum((adjustment.amount for adjustment in self.adjustments), ZERO)


@dataclass
class Priced:
    bill: Decimal
    adjustments: list[Adjustment]
    alternatives: list[dict]
    reason: str

    @property
    def discount(self) -> Decimal:
        return sum((adjustment.amount for adjustment in self.adjustments), ZERO)

    @property
    def amount_due(self) -> Decimal:
        return self.bill - self.discount

    @property
    def points_used(self) -> int:
        return sum(adjustment.points for adjustment in self.adjustments)

    def amount_of(self, kind: str) -> Decimal:
        return sum((adjustment.amount for adjustment in self.adjustments if adjustment.kind == kind), ZERO)


def _price_steps(label: str, steps: list[PricingStep], given: PricingInput) -> Alternative:
    alternative = Alternative(label)
    remaining = given.bill
    try:
        for step in steps:
            adjustment = step.price(remaining, given)
            if adjustment is not None:
                alternative.adjustments.append(adjustment)
                remaining -= adjustment.amount
    except DomainError as error:
        alternative.error = error
    return alternative


def price(given: PricingInput) -> Priced:
    """Run the registered steps in order. Steps that do not stack are priced alone against the stacked ones;
    the alternative with the lowest amount due wins (ties go to the stacked one), and the reason says so."""
    facts = given.facts
    offered = [step for step in pricing_steps.all() if step.code in facts and step.offers(facts[step.code], given)]
    stacked, exclusive = [], []
    for step in offered:
        (stacked if step.stacks(facts[step.code]) else exclusive).append(step)
    alternatives = [_price_steps(_("stacked discounts"), stacked, given)]
    for step in exclusive:
        alternatives.append(_price_steps(str(step.label), [step], given))
    valid = [alternative for alternative in alternatives if alternative.error is None]
    if not valid:
        raise next(alternative.error for alternative in alternatives if alternative.error is not None)
    best = max(valid, key=lambda alternative: alternative.discount)  # first of equals: the stacked one
    if not exclusive:
        reason = ""
    else:
        names = ", ".join(str(step.label) for step in exclusive)
        reason = _("%(names)s does not stack with other discounts; kept the cheapest for the member: "
                   "%(best)s (−%(amount)s).") % {"names": names, "best": best.label, "amount": best.discount}
    summary = [{"label": alternative.label, "discount": alternative.discount,
                "amount_due": given.bill - alternative.discount, "chosen": alternative is best,
                "error": alternative.error.as_dict() if alternative.error else None} for alternative in alternatives]
    return Priced(given.bill, best.adjustments, summary, reason)
