"""Demo time cards for `manage.py seed_demo` (idempotent): a pass with tiers, and holders with visits."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db.models import F

from cards.timecards import services
from cards.timecards.models import StartRule, TimeCard, TimeCardProduct, TimeCardTier
from loyalty.demo import DemoData

# product, description, [(tier, days, price, daily limit, start rule)]
PRODUCTS = {
    "irongym": [("游泳卡", "恒温泳池", [("周卡", 7, "99.00", 1, StartRule.FIRST_USE),
                                     ("月卡", 30, "299.00", 1, StartRule.PURCHASE),
                                     ("季卡", 90, "799.00", 2, StartRule.PURCHASE)])],
    "chacha": [("畅饮月卡", "每天一杯中杯奶茶", [("月卡", 30, "199.00", 1, StartRule.PURCHASE)])],
}


def seed_products(merchant) -> None:
    for name, description, tiers in PRODUCTS.get(merchant.slug, []):
        product, _created = TimeCardProduct.objects.get_or_create(merchant=merchant, name=name,
                                                                  defaults={"description": description})
        for tier_name, days, price, limit, rule in tiers:
            TimeCardTier.objects.get_or_create(merchant=merchant, product=product, name=tier_name, defaults={
                "days": days, "price": Decimal(price), "daily_limit": limit, "start_rule": rule})
    services.time_card_settings(merchant)


def seed_holder(member) -> None:
    """Some members bought a pass at the counter, some days ago, and came today."""
    tiers = list(TimeCardTier.objects.filter(merchant_id=member.merchant_id).order_by("pk"))
    rng = random.Random(f"time-{member.phone}")
    if not tiers or rng.random() >= 0.25 or TimeCard.objects.filter(member=member).exists():
        return
    store = member.source_store or member.merchant.stores.order_by("pk").first()
    card = services.sell_card(rng.choice(tiers), member, store=store)
    services.record_use(card, store=store)
    # Bought some days ago (still running today), so the liability roll-forward shows days used day by day.
    back = datetime.timedelta(days=rng.randint(0, min(20, card.days - 1)))
    if back and card.tier.start_rule == StartRule.PURCHASE:
        TimeCard.objects.filter(pk=card.pk).update(created_at=F("created_at") - back,
                                                   activated_at=F("activated_at") - back,
                                                   starts_on=F("starts_on") - back, ends_on=F("ends_on") - back)


class TimeCardsDemo(DemoData):
    code = "timecards"
    order = 56

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        seed_products(merchant)

    @classmethod
    def seed_member(cls, member) -> None:
        seed_holder(member)
