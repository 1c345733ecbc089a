"""A refunded payment takes its cashback back: what is left leaves the pocket, what was spent is a shortfall."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.errors import DomainError
from tests.wallet.helpers import assert_audit_clean, balances, enable_stored_value, entry_count
from wallet import services
from wallet.models import CashbackLot, CashbackRule, CashbackTakeBack, WalletEntry

D = Decimal


@pytest.fixture
def earned(tenant_a):
    """10% cashback on a payment of 100.00: 10.00 in the cashback pocket, earned by PAY-1."""
    enable_stored_value(tenant_a.merchant)
    CashbackRule.objects.create(merchant=tenant_a.merchant, percent=D("10"))
    services.cashback_for_payment(tenant_a.member, paid_amount=D("100.00"), store=tenant_a.store, reference="PAY-1")
    return tenant_a


def test_refund_takes_back_unspent_cashback(earned):
    done = services.take_back_cashback(earned.member, lot_reference="PAY-1", reference="REF-1",
                                       store=earned.store)
    assert (done.taken, done.shortfall) == (D("10.00"), D("0.00"))
    assert balances(earned.member)[2] == D("0.00")
    entry = WalletEntry.objects.get(reason=WalletEntry.Reason.CASHBACK_TAKEN_BACK)
    assert (entry.delta, entry.balance_after, entry.reference) == (D("-10.00"), D("0.00"), "REF-1")
    assert_audit_clean(earned.merchant)


def test_spent_cashback_is_recorded_as_a_shortfall_never_a_negative_balance(earned):
    services.recharge(earned.member, "50.00")
    services.debit_wallet(earned.member, "7.00", reference="PAY-2")  # cashback pays first: 7 of the 10
    done = services.take_back_cashback(earned.member, lot_reference="PAY-1", reference="REF-1")
    assert (done.taken, done.shortfall) == (D("3.00"), D("7.00"))
    assert balances(earned.member) == (D("50.00"), D("0.00"), D("0.00"))
    assert_audit_clean(earned.merchant)


def test_partial_refunds_take_back_their_share_and_never_more_than_was_given(earned):
    first = services.take_back_cashback(earned.member, lot_reference="PAY-1", reference="REF-1", amount="4.00")
    assert (first.taken, first.shortfall) == (D("4.00"), D("0.00"))
    second = services.take_back_cashback(earned.member, lot_reference="PAY-1", reference="REF-2", amount="9.00")
    assert (second.taken, second.shortfall) == (D("6.00"), D("0.00"))
    third = services.take_back_cashback(earned.member, lot_reference="PAY-1", reference="REF-3")
    assert (third.taken, third.shortfall) == (D("0.00"), D("0.00"))
    assert balances(earned.member)[2] == D("0.00")
    assert_audit_clean(earned.merchant)


def test_a_retried_refund_takes_back_once(earned):
    for _ in range(3):
        done = services.take_back_cashback(earned.member, lot_reference="PAY-1", reference="REF-1",
                                           amount="2.50")
        assert done.taken == D("2.50")
    assert balances(earned.member)[2] == D("7.50")
    assert CashbackTakeBack.objects.count() == 1


def test_expired_cashback_is_owed_by_nobody(earned):
    CashbackLot.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    done = services.take_back_cashback(earned.member, lot_reference="PAY-1", reference="REF-1")
    assert (done.taken, done.shortfall) == (D("0.00"), D("0.00"))
    assert WalletEntry.objects.filter(reason=WalletEntry.Reason.CASHBACK_EXPIRED).count() == 1
    assert_audit_clean(earned.merchant)


def test_a_payment_without_cashback_takes_nothing_back(earned, tenant_b):
    assert services.take_back_cashback(earned.member, lot_reference="NO-SUCH", reference="REF-1") is None
    # Another merchant's member cannot reach this member's cashback by naming its reference.
    assert services.take_back_cashback(tenant_b.member, lot_reference="PAY-1", reference="REF-1") is None
    assert balances(earned.member)[2] == D("10.00")


@pytest.mark.parametrize("amount", ["-1.00", "1.001", "abc"])
def test_bad_take_back_amounts_are_refused_and_nothing_changes(earned, amount):
    before = entry_count(earned.member)
    with pytest.raises(DomainError):
        services.take_back_cashback(earned.member, lot_reference="PAY-1", reference="REF-1", amount=amount)
    assert entry_count(earned.member) == before and not CashbackTakeBack.objects.exists()


def test_a_fixed_cashback_reward_is_given_once_per_reference(tenant_a):
    enable_stored_value(tenant_a.merchant, cashback_expiry_days=30)
    lot = services.give_cashback(tenant_a.member, "5.00", reference="reward:1", store=tenant_a.store)
    again = services.give_cashback(tenant_a.member, "5.00", reference="reward:1")
    assert again.pk == lot.pk and balances(tenant_a.member)[2] == D("5.00")
    assert lot.expires_at.date() == (timezone.now() + timedelta(days=30)).date()
    assert services.give_cashback(tenant_a.member, "1.00", reference="reward:2", expiry_days=0).expires_at is None
    done = services.take_back_cashback(tenant_a.member, "5.00", lot_reference="reward:1", reference="REF-9")
    assert (done.taken, done.shortfall) == (D("5.00"), D("0.00"))
    assert_audit_clean(tenant_a.merchant)


@pytest.mark.parametrize("amount", ["0", "-1.00", "0.001"])
def test_bad_cashback_amounts_are_refused_and_nothing_changes(tenant_a, amount):
    with pytest.raises(DomainError):
        services.give_cashback(tenant_a.member, amount, reference="reward:1")
    assert not CashbackLot.objects.exists() and not WalletEntry.objects.exists()
