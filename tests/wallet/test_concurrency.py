"""Races on Postgres: many debits on one wallet, red packets against a budget, callbacks and the instalment task."""

from decimal import Decimal

import pytest

from loyalty import payments
from loyalty.models import GatewayPayment
from merchants import services as merchant_services
from tests.conftest import race, requires_postgres
from tests.wallet.helpers import assert_audit_clean, balances, enable_stored_value
from wallet import services
from wallet.models import (
    BonusInstalment,
    CashbackTakeBack,
    RechargeOffer,
    RedPacketCampaign,
    RedPacketClaim,
    WalletEntry,
)

pytestmark = [requires_postgres(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def test_concurrent_debits_never_overdraw_and_the_ledger_matches(tenant_a):
    enable_stored_value(tenant_a.merchant, draw_order="proportional")
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="100+20", pay_amount=D("100.00"),
                                 bonus_value=D("20.00"))
    services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    member = tenant_a.member
    results, codes = race([lambda n=n: services.debit_wallet(member, "7.00", reference=f"PAY-{n}")
                            for n in range(20)])
    assert len(results) == 17 and codes == ["insufficient_balance"] * 3  # 17 × 7 = 119 ≤ 120 < 126
    principal, bonus, cashback = balances(member)
    assert principal + bonus == D("1.00") and principal >= 0 and bonus >= 0
    assert sum(debit.principal + debit.bonus for debit in results) == D("119.00")
    assert_audit_clean(tenant_a.merchant)


def test_concurrent_debits_and_refunds_keep_the_ledger_whole(tenant_a):
    enable_stored_value(tenant_a.merchant)
    services.recharge(tenant_a.member, "50.00")
    debits = [services.debit_wallet(tenant_a.member, "5.00", reference=f"OLD-{n}") for n in range(4)]
    member = tenant_a.member
    calls = [lambda d=d: services.refund_wallet_debit(d, "5.00") for d in debits]
    calls += [lambda n=n: services.debit_wallet(member, "6.00", reference=f"NEW-{n}") for n in range(10)]
    _results, codes = race(calls)
    principal = balances(member)[0]
    assert principal >= 0 and set(codes) <= {"insufficient_balance"}
    assert principal == D("50.00") - D("6.00") * (10 - len(codes))
    assert_audit_clean(tenant_a.merchant)


def test_red_packet_budget_holds_under_concurrent_claims(tenant_a):
    campaign = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name="Race", trigger="link",
                                                amount=D("5.00"), budget=D("50.00"))
    members = [merchant_services.join_member(tenant_a.merchant, f"1370000{n:04d}") for n in range(16)]
    results, codes = race([lambda m=m: services.claim_red_packet(campaign, m) for m in members])
    assert len(results) == 10 and codes == ["red_packet_budget_exhausted"] * 6
    campaign.refresh_from_db()
    assert campaign.spent == D("50.00") == sum(claim.amount for claim in RedPacketClaim.objects.all())
    assert_audit_clean(tenant_a.merchant)


def test_random_red_packets_never_exceed_the_budget(tenant_a):
    campaign = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name="Random", trigger="link",
                                                amount_kind="random", amount=D("1.00"), max_amount=D("9.99"),
                                                budget=D("30.00"))
    members = [merchant_services.join_member(tenant_a.merchant, f"1370001{n:04d}") for n in range(16)]
    race([lambda m=m: services.claim_red_packet(campaign, m) for m in members])
    campaign.refresh_from_db()
    given = sum(claim.amount for claim in RedPacketClaim.objects.all())
    assert given == campaign.spent <= campaign.budget


def test_one_member_racing_for_red_packets_gets_the_limit(tenant_a):
    campaign = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name="Limit", trigger="link",
                                                amount=D("1.00"), budget=D("100.00"), per_member_limit=2)
    member = tenant_a.member
    results, codes = race([lambda: services.claim_red_packet(campaign, member) for _ in range(8)])
    assert len(results) == 2 and codes == ["red_packet_limit_reached"] * 6
    assert balances(member)[2] == D("2.00")


def test_concurrent_gateway_callbacks_pay_once(tenant_a):
    enable_stored_value(tenant_a.merchant)
    _recharge, payment = services.start_online_recharge(tenant_a.member, "66.00")
    gateway = payments.SandboxGateway()
    params = gateway.callback_params(payment, paid=True)
    results, codes = race([lambda: payments.handle_callback(gateway, dict(params)) for _ in range(8)])
    assert len(results) == 8 and not codes
    assert GatewayPayment.objects.get().status == GatewayPayment.Status.PAID
    assert balances(tenant_a.member)[0] == D("66.00")
    assert WalletEntry.objects.filter(reason="recharge").count() == 1


def test_instalment_task_racing_itself_pays_each_once(tenant_a):
    enable_stored_value(tenant_a.merchant)
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="monthly", pay_amount=D("100.00"),
                                 monthly_bonus=D("10.00"), monthly_bonus_months=3)
    recharge = services.recharge(tenant_a.member, "100.00")
    last_due = recharge.instalments.get(sequence=3).due_date
    results, _codes = race([lambda: services.pay_due_instalments(last_due) for _ in range(4)])
    assert sum(results) == 3
    assert balances(tenant_a.member)[1] == D("30.00")
    assert set(BonusInstalment.objects.values_list("status", flat=True)) == {"paid"}
    assert_audit_clean(tenant_a.merchant)


def test_stored_value_is_never_switched_off_under_a_recharge_in_flight(tenant_a):
    enable_stored_value(tenant_a.merchant)
    members = [merchant_services.join_member(tenant_a.merchant, f"1370002{n:04d}") for n in range(6)]
    calls = [lambda m=m: services.recharge(m, "10.00") for m in members]
    calls.insert(3, lambda: services.set_stored_value_enabled(tenant_a.merchant, False))
    results, codes = race(calls)
    settings = services.wallet_settings(tenant_a.merchant)
    settings.refresh_from_db()
    recharged = [r for r in results if r is not None]
    if settings.stored_value_enabled:
        # The switch lost: refused because recharges were in first, and every recharge went through.
        assert codes == ["stored_value_held"] and len(recharged) == 6
    else:
        # The switch won: it found no balance, and every recharge after it was refused.
        assert not recharged and codes == ["stored_value_off"] * 6
    assert_audit_clean(tenant_a.merchant)


def test_taking_cashback_back_while_it_is_being_spent_never_goes_negative(tenant_a):
    services.give_cashback(tenant_a.member, "10.00", reference="PAY-1")
    member = tenant_a.member
    calls = [lambda n=n: services.debit_wallet(member, "3.00", reference=f"SPEND-{n}") for n in range(4)]
    calls.append(lambda: services.take_back_cashback(member, lot_reference="PAY-1", reference="REF-1"))
    results, codes = race(calls)
    spent = sum(r.cashback for r in results if hasattr(r, "cashback"))
    done = CashbackTakeBack.objects.get()
    # Whichever came first, what was left is taken and what was spent is the shortfall: never below zero.
    assert balances(member)[2] == D("0.00")
    assert done.taken + done.shortfall == D("10.00") and done.shortfall == spent
    assert set(codes) <= {"insufficient_balance"}
    assert_audit_clean(tenant_a.merchant)
