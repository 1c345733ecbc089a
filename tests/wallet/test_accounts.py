"""Paying from the wallet and refunding it: draw orders, pockets, sources, refusals."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from loyalty.errors import DomainError
from tests.wallet.helpers import assert_audit_clean, balances, enable_stored_value, entry_count
from wallet import services
from wallet.models import CashbackRule, DrawOrder, Recharge, RechargeOffer, WalletDebit

D = Decimal


def _wallet(principal, bonus, cashback="0.00"):
    return SimpleNamespace(principal=D(principal), bonus=D(bonus), cashback=D(cashback))


@pytest.mark.parametrize(("order", "expected"), [
    (DrawOrder.BONUS_FIRST, {"principal": D("30.00"), "bonus": D("20.00")}),
    (DrawOrder.PRINCIPAL_FIRST, {"principal": D("50.00"), "bonus": D("0.00")}),
    (DrawOrder.PROPORTIONAL, {"principal": D("40.00"), "bonus": D("10.00")}),
])
def test_draw_order_setting_decides_which_pocket_pays(order, expected):
    plan = services.plan_wallet_draw(_wallet("80.00", "20.00"), D("50.00"), order=order, use_cashback=False)
    assert {"principal": plan["principal"], "bonus": plan["bonus"]} == expected
    assert plan["cashback"] == D("0.00")


def test_cashback_pays_before_stored_value():
    plan = services.plan_wallet_draw(_wallet("80.00", "20.00", "5.00"), D("10.00"), order=DrawOrder.BONUS_FIRST)
    assert plan == {"principal": D("0.00"), "bonus": D("5.00"), "cashback": D("5.00")}


def test_proportional_draw_rounds_half_up_and_adds_up():
    plan = services.plan_wallet_draw(_wallet("66.67", "33.33"), D("10.01"), order=DrawOrder.PROPORTIONAL)
    assert plan["principal"] + plan["bonus"] == D("10.01")
    assert plan["bonus"] == D("3.34")  # 10.01 × 33.33 / 100 = 3.3363… → 3.34


def test_plan_refuses_more_than_the_wallet_holds():
    with pytest.raises(DomainError) as error:
        services.plan_wallet_draw(_wallet("10.00", "5.00"), D("15.01"), order=DrawOrder.BONUS_FIRST)
    assert error.value.code == "insufficient_balance"


@pytest.fixture
def funded(tenant_a):
    enable_stored_value(tenant_a.merchant, draw_order=DrawOrder.PROPORTIONAL)
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="100+25", pay_amount=D("100.00"),
                                 bonus_value=D("25.00"))
    services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    return tenant_a


def test_debit_takes_each_pocket_and_writes_the_ledger(funded):
    debit = services.debit_wallet(funded.member, "50.00", reference="PAY-1", store=funded.store)
    assert (debit.principal, debit.bonus, debit.cashback) == (D("40.00"), D("10.00"), D("0.00"))
    assert balances(funded.member) == (D("60.00"), D("15.00"), D("0.00"))
    recharge = Recharge.objects.get(member=funded.member)
    assert (recharge.principal_left, recharge.bonus_left) == (D("60.00"), D("15.00"))
    assert_audit_clean(funded.merchant)


def test_full_refund_returns_each_pocket_exactly_what_it_gave(funded):
    CashbackRule.objects.create(merchant=funded.merchant, percent=D("10"))
    services.cashback_for_payment(funded.member, paid_amount=D("33.30"), store=funded.store, reference="EARLIER")
    debit = services.debit_wallet(funded.member, "77.77", reference="PAY-2")
    assert debit.cashback == D("3.33")
    first = services.refund_wallet_debit(debit, "10.00")
    second = services.refund_wallet_debit(debit, "67.77")
    for pocket in ("principal", "bonus", "cashback"):
        assert first[pocket] + second[pocket] == getattr(debit, pocket)
    assert balances(funded.member) == (D("100.00"), D("25.00"), D("3.33"))
    assert_audit_clean(funded.merchant)


def test_partial_refund_is_in_proportion(funded):
    debit = services.debit_wallet(funded.member, "50.00", reference="PAY-3")
    shares = services.refund_wallet_debit(debit, "25.00")
    assert shares == {"principal": D("20.00"), "bonus": D("5.00"), "cashback": D("0.00")}


def test_refund_never_returns_more_than_was_taken(funded):
    debit = services.debit_wallet(funded.member, "50.00", reference="PAY-4")
    services.refund_wallet_debit(debit, "50.00")
    before = entry_count(funded.member)
    with pytest.raises(DomainError) as error:
        services.refund_wallet_debit(debit, "0.01")
    assert error.value.code == "wallet_refund_too_large"
    assert entry_count(funded.member) == before


def test_a_payment_reference_debits_once(funded):
    services.debit_wallet(funded.member, "10.00", reference="PAY-5")
    with pytest.raises(DomainError) as error:
        services.debit_wallet(funded.member, "10.00", reference="PAY-5")
    assert error.value.code == "wallet_debit_reference_used"
    assert WalletDebit.objects.filter(reference="PAY-5").count() == 1


@pytest.mark.parametrize(("amount", "code"), [
    ("-1.00", "amount_not_positive"), ("0", "amount_not_positive"), ("1.005", "amount_too_precise"),
    ("abc", "amount_invalid"), ("125.01", "insufficient_balance"), ("99999999", "amount_too_large"),
])
def test_bad_debits_are_refused_and_nothing_changes(funded, amount, code):
    before, entries = balances(funded.member), entry_count(funded.member)
    with pytest.raises(DomainError) as error:
        services.debit_wallet(funded.member, amount, reference=f"BAD-{amount}")
    assert error.value.code == code
    assert balances(funded.member) == before and entry_count(funded.member) == entries
    assert not WalletDebit.objects.exists()
