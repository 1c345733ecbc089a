"""Demo membership programmes and points history for `manage.py seed_demo` (idempotent)."""

from __future__ import annotations

import random
from decimal import Decimal

from cards.membership import services
from cards.membership.models import Level, MembershipProgram, PointsReason
from loyalty.demo import DemoData

D = Decimal

PROGRAMMES = {
    "chacha": {
        "program": {"card_name": "茶茶会员卡", "colour": "#C0392B", "notice": "消费 1 元得 1 积分，100 积分抵 1 元。",
                    "opening_points": 100, "points_expiry": MembershipProgram.PointsExpiry.YEARS,
                    "points_expiry_period": 1, "least_money_to_use_bonus": D("20.00"), "max_reduce_bonus": 500},
        "levels": [(1, "普通会员", "0", "100", "1", ""), (2, "银卡会员", "200", "98", "1.2", "生日赠饮"),
                   (3, "金卡会员", "1000", "95", "1.5", "生日赠饮\n每月一杯免费升杯")],
    },
    "irongym": {
        "program": {"card_name": "铁馆会员", "colour": "#1F3A5F", "level_basis": MembershipProgram.LevelBasis.SPEND,
                    "retention": MembershipProgram.Retention.REEVALUATE, "retention_days": 365,
                    "points_expiry": MembershipProgram.PointsExpiry.MONTHS, "points_expiry_period": 12,
                    "cost_money_unit": D("10.00")},
        "levels": [(1, "普通会员", "0", "100", "1", ""), (2, "黄金会员", "3000", "95", "1.5", "免费体测"),
                   (3, "黑金会员", "10000", "90", "2", "免费体测\n私教课九折")],
    },
}


def seed_programme(merchant) -> MembershipProgram | None:
    """The demo merchant's programme and levels, created once."""
    spec = PROGRAMMES.get(merchant.slug)
    if spec is None:
        return None
    program, _created = MembershipProgram.objects.get_or_create(merchant=merchant, defaults=spec["program"])
    for rank, name, threshold, discount, multiplier, benefits in spec["levels"]:
        Level.objects.get_or_create(program=program, rank=rank, defaults={
            "merchant": merchant, "name": name, "threshold": D(threshold), "discount_percent": D(discount),
            "points_multiplier": D(multiplier), "benefits": benefits})
    return program


def seed_history(member) -> None:
    """A few payments earning points and experience, and for some members points spent on a bill."""
    rng = random.Random(member.phone)
    for n in range(rng.randint(1, 4)):
        amount = D(rng.randint(1500, 40000)) / 100
        services.earn_for_payment(member, paid_amount=amount, reference=f"demo-pay-{member.pk}-{n}")
    card = services.card_for(member)
    if member.pk % 3 == 0 and card.points >= 100:
        services.spend_points(member, 100, reason=PointsReason.POINTS_DEDUCTION, reference=f"demo-bill-{member.pk}")


class MembershipDemo(DemoData):
    """Registered in MembershipConfig.ready(); seed_demo finds it in loyalty.demo.demo_data."""

    code = "membership"
    order = 30

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        seed_programme(merchant)

    @classmethod
    def seed_member(cls, member) -> None:
        seed_history(member)
