"""The marketing wallet: cashback rules, red packets, expiry; and the balance-tier discount."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cards.membership.models import Level, MembershipCard, MembershipProgram
from loyalty.errors import DomainError
from merchants import services as merchant_services
from tests.wallet.helpers import assert_audit_clean, balances, enable_stored_value
from wallet import services
from wallet.models import BalanceTier, CashbackLot, CashbackRule, RedPacketCampaign, RedPacketClaim, WalletEntry

D = Decimal


def _level(merchant, rank=2):
    program, _ = MembershipProgram.objects.get_or_create(merchant=merchant, defaults={"card_name": "Card"})
    return Level.objects.create(merchant=merchant, program=program, name=f"L{rank}", rank=rank)


def test_most_specific_cashback_rule_applies_with_its_cap(tenant_a):
    gold = _level(tenant_a.merchant)
    MembershipCard.objects.create(merchant=tenant_a.merchant, member=tenant_a.member, level=gold)
    CashbackRule.objects.create(merchant=tenant_a.merchant, percent=D("1"))
    CashbackRule.objects.create(merchant=tenant_a.merchant, store=tenant_a.store, percent=D("2"))
    CashbackRule.objects.create(merchant=tenant_a.merchant, store=tenant_a.store, level=gold, percent=D("5"),
                                cap_per_payment=D("3.00"))
    assert services.cashback_for_payment(tenant_a.member, paid_amount=D("40.00"), store=tenant_a.store,
                                         reference="P1") == D("2.00")
    assert services.cashback_for_payment(tenant_a.member, paid_amount=D("100.00"), store=tenant_a.store,
                                         reference="P2") == D("3.00")
    assert services.cashback_for_payment(tenant_a.member, paid_amount=D("100.00"), store=tenant_a.other_store,
                                         reference="P3") == D("1.00")
    assert balances(tenant_a.member)[2] == D("6.00")


def test_cashback_is_given_once_per_payment(tenant_a):
    CashbackRule.objects.create(merchant=tenant_a.merchant, percent=D("10"))
    for _ in range(2):
        services.cashback_for_payment(tenant_a.member, paid_amount=D("10.00"), store=tenant_a.store, reference="P1")
    assert balances(tenant_a.member)[2] == D("1.00")


def test_cashback_expires_and_is_taken_back_once(tenant_a):
    enable_stored_value(tenant_a.merchant, cashback_expiry_days=30)
    CashbackRule.objects.create(merchant=tenant_a.merchant, percent=D("10"))
    services.cashback_for_payment(tenant_a.member, paid_amount=D("50.00"), store=tenant_a.store, reference="P1")
    lot = CashbackLot.objects.get()
    assert lot.expires_at.date() == (timezone.now() + timedelta(days=30)).date()
    later = timezone.now() + timedelta(days=31)
    assert services.expire_cashback(later) == 1
    assert services.expire_cashback(later) == 0
    assert balances(tenant_a.member)[2] == D("0.00")
    assert WalletEntry.objects.filter(reason="cashback_expired").count() == 1
    assert_audit_clean(tenant_a.merchant)


def test_expired_cashback_cannot_pay_even_before_the_task_runs(tenant_a):
    CashbackRule.objects.create(merchant=tenant_a.merchant, percent=D("10"), expiry_days=1)
    services.cashback_for_payment(tenant_a.member, paid_amount=D("50.00"), store=tenant_a.store, reference="P1")
    CashbackLot.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(DomainError) as error:
        services.debit_wallet(tenant_a.member, "5.00", reference="PAY")
    assert error.value.code == "insufficient_balance"


def _campaign(merchant, **extra):
    values = {"name": "Packets", "trigger": RedPacketCampaign.Trigger.LINK, "amount": D("5.00"),
              "budget": D("100.00")}
    values.update(extra)
    return RedPacketCampaign.objects.create(merchant=merchant, **values)


def test_red_packet_per_member_limit(tenant_a):
    campaign = _campaign(tenant_a.merchant, per_member_limit=2)
    services.claim_red_packet(campaign, tenant_a.member)
    services.claim_red_packet(campaign, tenant_a.member)
    with pytest.raises(DomainError) as error:
        services.claim_red_packet(campaign, tenant_a.member)
    assert error.value.code == "red_packet_limit_reached"
    assert balances(tenant_a.member)[2] == D("10.00")


def test_red_packets_stop_at_the_budget(tenant_a):
    campaign = _campaign(tenant_a.merchant, budget=D("12.00"), per_member_limit=5)
    services.claim_red_packet(campaign, tenant_a.member)
    services.claim_red_packet(campaign, tenant_a.member)
    with pytest.raises(DomainError) as error:
        services.claim_red_packet(campaign, tenant_a.member)
    assert error.value.code == "red_packet_budget_exhausted"
    campaign.refresh_from_db()
    assert campaign.spent == D("10.00")


def test_random_red_packets_stay_in_range_and_shrink_to_the_last_of_the_budget(tenant_a):
    campaign = _campaign(tenant_a.merchant, amount_kind="random", amount=D("1.00"), max_amount=D("3.00"),
                         budget=D("7.00"), per_member_limit=50)
    amounts = []
    while True:
        try:
            amounts.append(services.claim_red_packet(campaign, tenant_a.member).amount)
        except DomainError:
            break
    assert all(D("1.00") <= amount <= D("3.00") for amount in amounts)
    campaign.refresh_from_db()
    assert sum(amounts) == campaign.spent and campaign.budget - campaign.spent < D("1.00")


def test_red_packet_of_another_merchant_or_outside_its_window_is_refused(tenant_a, tenant_b):
    with pytest.raises(DomainError):
        services.claim_red_packet(_campaign(tenant_b.merchant), tenant_a.member)
    ended = _campaign(tenant_a.merchant, starts_at=timezone.now() - timedelta(days=2),
                      ends_at=timezone.now() - timedelta(days=1))
    with pytest.raises(DomainError) as error:
        services.claim_red_packet(ended, tenant_a.member)
    assert error.value.code == "red_packet_not_available"
    assert not RedPacketClaim.objects.exists()


def test_joining_gives_the_join_red_packet(tenant_a):
    _campaign(tenant_a.merchant, trigger=RedPacketCampaign.Trigger.JOIN, amount=D("8.88"))
    member = merchant_services.join_member(tenant_a.merchant, "13800000077", name="new")
    assert balances(member)[2] == D("8.88")
    assert services.give_red_packets(member, RedPacketCampaign.Trigger.JOIN) == []


def test_first_payment_red_packet_is_given_once(tenant_a):
    _campaign(tenant_a.merchant, trigger=RedPacketCampaign.Trigger.FIRST_PAYMENT, per_member_limit=3)
    assert len(services.give_red_packets(tenant_a.member, RedPacketCampaign.Trigger.FIRST_PAYMENT)) == 1
    assert services.give_red_packets(tenant_a.member, RedPacketCampaign.Trigger.FIRST_PAYMENT) == []


def _tier(merchant, balance, percent, **extra):
    return BalanceTier.objects.create(merchant=merchant, min_balance=D(balance), discount_percent=D(percent),
                                      **extra)


def test_balance_tier_by_current_stored_value(tenant_a):
    enable_stored_value(tenant_a.merchant)
    _tier(tenant_a.merchant, "100.00", "80")
    _tier(tenant_a.merchant, "500.00", "70")
    tier, reason = services.balance_tier_for(tenant_a.member, D("50.00"))
    assert tier is None and "100.00" in reason
    services.recharge(tenant_a.member, "600.00")
    tier, reason = services.balance_tier_for(tenant_a.member, D("50.00"))
    assert tier.discount_percent == D("70") and "600.00" in reason
    assert services.balance_tier_discount(tier, D("33.33")) == D("10.00")
    services.debit_wallet(tenant_a.member, "450.00", reference="PAY")
    assert services.balance_tier_for(tenant_a.member, D("50.00"))[0].discount_percent == D("80")


def test_special_period_tiers_override_the_normal_ones(tenant_a):
    enable_stored_value(tenant_a.merchant)
    _tier(tenant_a.merchant, "100.00", "80")
    now = timezone.now()
    _tier(tenant_a.merchant, "100.00", "60", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    services.recharge(tenant_a.member, "100.00")
    assert services.balance_tier_for(tenant_a.member, D("10.00"))[0].discount_percent == D("60")
    tier, _reason = services.balance_tier_for(tenant_a.member, D("10.00"), at=now + timedelta(hours=2))
    assert tier.discount_percent == D("80")


def test_no_balance_tier_while_stored_value_is_off(tenant_a):
    _tier(tenant_a.merchant, "100.00", "80")
    tier, reason = services.balance_tier_for(tenant_a.member, D("10.00"))
    assert tier is None and reason
