"""Rules and offers with benefit lines, written the way tests wrote them when each kind was a column."""

from __future__ import annotations

from decimal import Decimal

from checkout.models import RewardRule
from loyalty.money import ZERO
from wallet.models import RechargeOffer


def add_lines(owner, *, points: int = 0, experience: int = 0, coupon_template=None, coupon_quantity: int = 1,
              cashback: Decimal = ZERO) -> None:
    """Give `owner` (a rule, an offer, a join gift) one line per kind named, in the order rewards give them."""
    values = [("points", {"quantity": points}) if points else None,
              ("experience", {"quantity": experience}) if experience else None,
              ("coupon", {"quantity": coupon_quantity, "target_id": coupon_template.pk}) if coupon_template else None,
              ("cashback", {"amount": Decimal(cashback)}) if cashback else None]
    for position, (kind, fields) in enumerate(value for value in values if value):
        owner.benefits.create(merchant_id=owner.merchant_id, kind=kind, position=position, **fields)


def reward_rule(*, points: int = 0, experience: int = 0, coupon_template=None, cashback: Decimal = ZERO,
                **fields) -> RewardRule:
    rule = RewardRule.objects.create(**fields)
    add_lines(rule, points=points, experience=experience, coupon_template=coupon_template, cashback=cashback)
    return rule


def recharge_offer(*, points: int = 0, experience: int = 0, **fields) -> RechargeOffer:
    offer = RechargeOffer.objects.create(**fields)
    add_lines(offer, points=points, experience=experience)
    return offer
