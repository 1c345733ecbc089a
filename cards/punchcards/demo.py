"""Demo punch cards for `manage.py seed_demo` (idempotent): products, and holders with some uses."""

from __future__ import annotations

import random
from decimal import Decimal

from cards.punchcards import services
from cards.punchcards.models import PunchCard, PunchCardProduct, Validity
from coupons import services as coupons
from coupons.models import CouponIssuance, CouponIssuanceBenefit
from loyalty.demo import DemoData

# name, services, uses, price, validity, days, co-users
PRODUCTS = {
    "chacha": [("奶茶10杯卡", "任意中杯奶茶", 10, "120.00", Validity.FROM_PURCHASE, 180, 2)],
    "irongym": [("私教课10次卡", "一对一私教课", 10, "2000.00", Validity.FROM_FIRST_USE, 365, 0),
               ("淋浴20次卡", "淋浴间", 20, "100.00", Validity.FROM_PURCHASE, 90, 1)],
}


def seed_products(merchant) -> None:
    for name, covers, uses, price, validity, days, co_users in PRODUCTS.get(merchant.slug, []):
        PunchCardProduct.objects.get_or_create(merchant=merchant, name=name, defaults={
            "services": covers, "uses": uses, "price": Decimal(price), "validity": validity, "valid_days": days,
            "co_user_limit": co_users, "per_member_limit": 3})
    services.punch_card_settings(merchant)


def seed_holder(member) -> None:
    """Some members bought a card at the counter and used part of it."""
    products = list(PunchCardProduct.objects.filter(merchant_id=member.merchant_id).order_by("pk"))
    rng = random.Random(f"punch-{member.phone}")
    if not products or rng.random() >= 0.3 or PunchCard.objects.filter(member=member).exists():
        return
    store = member.source_store or member.merchant.stores.order_by("pk").first()
    card = services.sell_card(rng.choice(products), member, store=store)
    for _n in range(rng.randint(1, 3)):
        services.record_use(card, store=store)


def send_welcome_cards(merchant) -> CouponIssuance | None:
    """A completed mass send (投放) of the merchant's first punch card to every member, run here and now."""
    product = PunchCardProduct.objects.filter(merchant=merchant).order_by("pk").first()
    if product is None or CouponIssuanceBenefit.objects.filter(merchant=merchant, kind="punch_card",
                                                               target_id=product.pk).exists():
        return None
    line = CouponIssuanceBenefit(kind="punch_card", quantity=1, target_id=product.pk)
    issuance = coupons.create_issuance(merchant=merchant, lines=[line], notify_members=False, start=False)
    return coupons.run_issuance(issuance.pk)


class PunchCardsDemo(DemoData):
    code = "punchcards"
    order = 55

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        seed_products(merchant)

    @classmethod
    def seed_member(cls, member) -> None:
        seed_holder(member)

    @classmethod
    def seed_members_done(cls, merchant) -> None:
        send_welcome_cards(merchant)
