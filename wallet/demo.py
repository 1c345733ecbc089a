"""Demo stored value and marketing wallet for `manage.py seed_demo` (idempotent)."""

from __future__ import annotations

import random
from decimal import Decimal

from cards.membership.benefits import PointsBenefit
from loyalty.demo import DemoData
from wallet import services
from wallet.models import BalanceTier, CashbackRule, RechargeOffer, RedPacketCampaign

D = Decimal

# Merchants (by slug) whose demo turns stored value on: the bubble-tea shop; the gym stays without.
OFFERS = {
    "chacha": [("充100送10", "100.00", "10.00", "0.00", 0, 0), ("充300送40", "300.00", "40.00", "0.00", 0, 100),
               ("充1000送100，再每月送20（6个月）", "1000.00", "100.00", "20.00", 6, 300)],
}
TIERS = {"chacha": [("100.00", "95"), ("500.00", "90")]}
CASHBACK_PERCENT = {"chacha": "2"}
RED_PACKETS = {
    "chacha": [("新会员红包", RedPacketCampaign.Trigger.JOIN, "fixed", "5.00", None, "1000.00", 30),
               ("分享红包", RedPacketCampaign.Trigger.LINK, "random", "1.00", "8.88", "500.00", 14)],
}


def seed_wallet(merchant) -> None:
    """Stored value on, recharge offers, balance tiers, cashback and red packets, created once."""
    if merchant.slug not in OFFERS:
        return
    settings = services.wallet_settings(merchant)
    if not settings.stored_value_enabled:
        settings.stored_value_enabled = True
        settings.offers_after_payment = settings.OffersAfterPayment.ONCE
        settings.save(update_fields=["stored_value_enabled", "offers_after_payment"])
    for name, pay, bonus, monthly, months, points in OFFERS[merchant.slug]:
        offer, created = RechargeOffer.objects.get_or_create(merchant=merchant, name=name, defaults={
            "pay_amount": D(pay), "bonus_value": D(bonus), "monthly_bonus": D(monthly),
            "monthly_bonus_months": months})
        if created and points:
            offer.benefits.create(merchant=merchant, kind=PointsBenefit.code, quantity=points)
    for balance, percent in TIERS[merchant.slug]:
        BalanceTier.objects.get_or_create(merchant=merchant, min_balance=D(balance),
                                          defaults={"discount_percent": D(percent)})
    CashbackRule.objects.get_or_create(merchant=merchant, store=None, level=None, defaults={
        "percent": D(CASHBACK_PERCENT[merchant.slug]), "cap_per_payment": D("10.00")})
    for name, trigger, kind, amount, most, budget, days in RED_PACKETS[merchant.slug]:
        RedPacketCampaign.objects.get_or_create(merchant=merchant, name=name, defaults={
            "trigger": trigger, "amount_kind": kind, "amount": D(amount), "max_amount": D(most) if most else None,
            "budget": D(budget), "expiry_days": days})


def seed_wallet_history(member, store) -> None:
    """Some members recharged at the counter and paid part of it from the wallet."""
    if not services.wallet_settings(member.merchant).stored_value_enabled:
        return
    rng = random.Random(f"wallet-{member.phone}")
    if rng.random() < 0.4:
        services.recharge(member, rng.choice(["100.00", "300.00", "1000.00"]), store=store)
        services.debit_wallet(member, D(rng.randint(1500, 6000)) / 100, reference=f"demo-wallet-{member.pk}",
                              store=store)


class WalletDemo(DemoData):
    """Registered in WalletConfig.ready(); seed_demo finds it in loyalty.demo.demo_data."""

    code = "wallet"
    order = 50

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        seed_wallet(merchant)

    @classmethod
    def seed_member(cls, member) -> None:
        seed_wallet_history(member, member.source_store)
