"""The pricing pipeline (DESIGN.md, "The money path"): five ordered steps, each a small pure function.

Each step takes what is left of the bill and returns one adjustment (or None): never more than what
is left, rounded half-up to the cent. `price` runs the steps, resolves steps that do not stack by
pricing the alternatives and keeping the cheapest for the member, and says why. Nothing here reads
or writes the database: services load what the steps need and pass it in, so quote and pay agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from checkout.models import AdjustmentKind
from loyalty.errors import DomainError
from loyalty.money import CENT, ZERO, format_percent, quantize

STEP_ORDER = (AdjustmentKind.LEVEL, AdjustmentKind.BALANCE_TIER, AdjustmentKind.POINTS, AdjustmentKind.COUPON,
              AdjustmentKind.RANDOM)


@dataclass(frozen=True)
class Adjustment:
    kind: str
    amount: Decimal
    description: str
    points: int = 0


def _capped(kind: str, amount: Decimal, remaining: Decimal, description: str, points: int = 0) -> Adjustment | None:
    """An adjustment of `amount`, never more than what is left of the bill; None when it takes nothing off."""
    amount = min(quantize(amount), remaining)
    if amount <= ZERO:
        return None
    return Adjustment(kind, amount, description, points)


# --- the five steps ---------------------------------------------------------------------------------

def level_step(remaining: Decimal, level) -> Adjustment | None:
    """会员等级折扣: members of `level` pay `discount_percent`% of what is left."""
    if level is None or level.discount_percent >= 100:
        return None
    amount = remaining - quantize(remaining * level.discount_percent / 100)
    return _capped(AdjustmentKind.LEVEL, amount, remaining, _("%(level)s: pay %(percent)s%%") % {
        "level": level.name, "percent": format_percent(level.discount_percent)})


def balance_tier_step(remaining: Decimal, tier, reason: str = "") -> Adjustment | None:
    """储值折上折: holding at least the tier's stored value, the member pays the tier's percentage."""
    if tier is None:
        return None
    amount = remaining - quantize(remaining * tier.discount_percent / 100)
    return _capped(AdjustmentKind.BALANCE_TIER, amount, remaining, _("Stored value ≥ %(balance)s: pay %(percent)s%%")
                   % {"balance": tier.min_balance, "percent": format_percent(tier.discount_percent)})


def points_step(remaining: Decimal, program, *, available: int, requested) -> Adjustment | None:
    """积分抵现: whole units of points take money off, within the programme's limits (membership's rules)."""
    if not requested:
        return None
    from cards.membership.services.pricing import points_deduction

    deduction = points_deduction(program, bill=remaining, available=available, requested=requested)
    if not deduction.points:
        return None
    return _capped(AdjustmentKind.POINTS, deduction.amount, remaining, deduction.note, deduction.points)


def coupon_step(remaining: Decimal, coupon, *, lines, store, at) -> Adjustment | None:
    """优惠券: what the coupon takes off what is left (cash with threshold, percentage, exchange)."""
    if coupon is None:
        return None
    from coupons.services.rules import coupon_discount

    amount, why = coupon_discount(coupon, bill_amount=remaining, lines=lines, store=store, at=at)
    return _capped(AdjustmentKind.COUPON, amount, remaining, why)


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
    return _capped(AdjustmentKind.RANDOM, amount, remaining, _("Random reduction: %(amount)s off") % {
        "amount": min(amount, remaining)})


# --- the whole pipeline -----------------------------------------------------------------------------

@dataclass
class PricingInput:
    """Everything the steps need, loaded by the caller (a quote reads it, a payment reads it under locks)."""

    bill: Decimal
    store_id: int
    store: object = None
    level: object = None
    level_stacks: bool = True
    tier: object = None
    tier_reason: str = ""
    tier_stacks: bool = True
    program: object = None
    points_available: int = 0
    points_requested: object = None
    points_stack: bool = True
    coupon: object = None
    coupon_stacks: bool = True
    lines: list | None = None
    at: object = None
    random_settings: object = None
    random_stacks: bool = True
    random_budget_left: Decimal = ZERO
    bill_id: str = ""


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


def _run_step(kind: str, remaining: Decimal, given: PricingInput) -> Adjustment | None:
    if kind == AdjustmentKind.LEVEL:
        return level_step(remaining, given.level)
    if kind == AdjustmentKind.BALANCE_TIER:
        return balance_tier_step(remaining, given.tier, given.tier_reason)
    if kind == AdjustmentKind.POINTS:
        return points_step(remaining, given.program, available=given.points_available,
                           requested=given.points_requested)
    if kind == AdjustmentKind.COUPON:
        return coupon_step(remaining, given.coupon, lines=given.lines, store=given.store, at=given.at)
    return random_step(remaining, given.random_settings, store_id=given.store_id, bill_id=given.bill_id,
                       budget_left=given.random_budget_left, bill=given.bill)


def _stacks(kind: str, given: PricingInput) -> bool:
    return {AdjustmentKind.LEVEL: given.level_stacks, AdjustmentKind.BALANCE_TIER: given.tier_stacks,
            AdjustmentKind.POINTS: given.points_stack, AdjustmentKind.COUPON: given.coupon_stacks,
            AdjustmentKind.RANDOM: given.random_stacks}[kind]


def _offered(kind: str, given: PricingInput) -> bool:
    """Whether the step has anything to offer this bill at all (so an exclusive step makes an alternative)."""
    return {AdjustmentKind.LEVEL: given.level is not None and given.level.discount_percent < 100,
            AdjustmentKind.BALANCE_TIER: given.tier is not None,
            AdjustmentKind.POINTS: bool(given.points_requested),
            AdjustmentKind.COUPON: given.coupon is not None,
            AdjustmentKind.RANDOM: given.random_settings is not None and given.random_settings.random_reduction_enabled
            and bool(given.bill_id)}[kind]


def _price_steps(label: str, kinds, given: PricingInput) -> Alternative:
    alternative = Alternative(label)
    remaining = given.bill
    try:
        for kind in kinds:
            adjustment = _run_step(kind, remaining, given)
            if adjustment is not None:
                alternative.adjustments.append(adjustment)
                remaining -= adjustment.amount
    except DomainError as error:
        alternative.error = error
    return alternative


def price(given: PricingInput) -> Priced:
    """Run the five steps in order. Steps that do not stack are priced alone against the stacked ones;
    the alternative with the lowest amount due wins (ties go to the stacked one), and the reason says so."""
    offered = [kind for kind in STEP_ORDER if _offered(kind, given)]
    exclusive = [kind for kind in offered if not _stacks(kind, given)]
    stacked = [kind for kind in offered if _stacks(kind, given)]
    alternatives = [_price_steps(_("stacked discounts"), stacked, given)]
    for kind in exclusive:
        alternatives.append(_price_steps(str(AdjustmentKind(kind).label), [kind], given))
    valid = [alternative for alternative in alternatives if alternative.error is None]
    if not valid:
        raise next(alternative.error for alternative in alternatives if alternative.error is not None)
    best = max(valid, key=lambda alternative: alternative.discount)  # first of equals: the stacked one
    if not exclusive:
        reason = ""
    else:
        names = ", ".join(str(AdjustmentKind(kind).label) for kind in exclusive)
        reason = _("%(names)s does not stack with other discounts; kept the cheapest for the member: "
                   "%(best)s (−%(amount)s).") % {"names": names, "best": best.label, "amount": best.discount}
    summary = [{"label": alternative.label, "discount": alternative.discount,
                "amount_due": given.bill - alternative.discount, "chosen": alternative is best,
                "error": alternative.error.as_dict() if alternative.error else None} for alternative in alternatives]
    return Priced(given.bill, best.adjustments, summary, reason)
