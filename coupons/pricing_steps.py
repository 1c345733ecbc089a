"""The coupons app's pricing step (优惠券): what the coupon named on the bill takes off what is left.

`load()` has found the coupon (locked for a payment) and checked it may be used here and now; its kind
does the arithmetic (coupons.kinds). A payment redeems it in the same transaction.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy

from coupons.models import Coupon
from coupons.services.redemption import redeem_locked_coupon
from coupons.services.rules import coupon_discount
from loyalty.pricing import Adjustment, LoadedBill, PricingInput, PricingStep, capped
from merchants.models import Store, Terminal

COUPON = "coupon"


def coupon_step(remaining: Decimal, coupon: Coupon | None, *, lines: list[dict] | None, store: Store | None,
                at: datetime.datetime | None) -> Adjustment | None:
    """What the coupon takes off what is left (cash with threshold, percentage, exchange: its kind's rule)."""
    if coupon is None:
        return None
    amount, why = coupon_discount(coupon, bill_amount=remaining, lines=lines, store=store, at=at)
    return capped(COUPON, amount, remaining, why)


@dataclass(frozen=True)
class CouponFacts:
    coupon: Coupon
    stacks: bool = True


class CouponStep(PricingStep[CouponFacts]):
    code = COUPON
    label = gettext_lazy("coupon")
    order = 40

    def facts(self, loaded: LoadedBill) -> CouponFacts | None:
        coupon = loaded.coupon
        if coupon is None:
            return None
        # Both must allow it: the merchant's setting for all coupons, and the coupon's own template.
        return CouponFacts(coupon, stacks=loaded.config.checkout.coupons_stack and coupon.template.stackable)

    def price(self, remaining: Decimal, given: PricingInput) -> Adjustment | None:
        return coupon_step(remaining, given.facts[COUPON].coupon, lines=given.lines, store=given.store, at=given.at)

    def use(self, adjustment: Adjustment, facts: CouponFacts, *, bill_amount: Decimal, lines: list[dict] | None,
            reference: str, store: Store, terminal: Terminal | None) -> None:
        redeem_locked_coupon(facts.coupon, bill_amount=bill_amount, lines=lines, payment_reference=reference,
                             store=store, terminal=terminal)
