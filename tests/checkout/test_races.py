"""Races on Postgres: payments racing for the last of a balance or the same coupon; one wins, ledgers match."""

import threading
from decimal import Decimal

import pytest
from django.db import connections

from checkout import services
from checkout.models import Payment
from coupons.models import Coupon
from tests.benefit_helpers import reward_rule
from tests.checkout.helpers import assert_ledgers_clean, coupon_for, fund_wallet, program_with_levels
from tests.conftest import race, requires_postgres
from tests.wallet.helpers import balances

pytestmark = [requires_postgres(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def _bill(t, amount, **fields):
    return services.Bill(store=t.store, amount=D(amount), member=t.member, payer_phone=t.member.phone, **fields)


def test_two_payments_racing_for_the_last_of_a_balance(tenant_a):
    """60.00 in the wallet, two 40.00 bills each wanting the wallet to pay all: one wins."""
    program_with_levels(tenant_a.merchant)
    fund_wallet(tenant_a.member, "60.00")
    calls = [lambda n=n: services.pay(_bill(tenant_a, "40.00", use_wallet=True), external_amount=D("0.00"))
             for n in range(2)]
    results, codes = race(calls)
    assert len(results) == 1 and codes == ["insufficient_balance"]
    assert balances(tenant_a.member)[0] == D("20.00")
    assert Payment.objects.count() == 1
    assert_ledgers_clean(tenant_a.merchant)


def test_many_payments_never_overdraw_the_wallet(tenant_a):
    fund_wallet(tenant_a.member, "100.00")
    calls = [lambda n=n: services.pay(_bill(tenant_a, "7.00", use_wallet=True), external_amount=D("0.00"))
             for n in range(16)]
    results, codes = race(calls)
    assert len(results) == 14 and codes == ["insufficient_balance"] * 2
    assert balances(tenant_a.member)[0] == D("2.00")
    assert_ledgers_clean(tenant_a.merchant)


def test_two_payments_racing_for_the_same_coupon(tenant_a):
    coupon = coupon_for(tenant_a.member, name="10 off", amount_off=D("10.00"), minimum_bill=None)
    calls = [lambda n=n: services.pay(_bill(tenant_a, "50.00", coupon_code=coupon.code), channel="cash")
             for n in range(2)]
    results, codes = race(calls)
    assert len(results) == 1 and codes == ["coupon_used"]
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.USED and coupon.redemptions.count() == 1
    assert Payment.objects.get().amount_due == D("40.00")
    assert_ledgers_clean(tenant_a.merchant)


def test_concurrent_partial_refunds_never_exceed_the_payment(tenant_a):
    program_with_levels(tenant_a.merchant)
    fund_wallet(tenant_a.member, "87.00")
    payment = services.pay(_bill(tenant_a, "100.00", use_wallet=True), channel="cash",
                           external_amount=D("13.00"))
    calls = [lambda: services.refund_payment(payment, "30.00") for _n in range(4)]
    results, codes = race(calls)
    assert len(results) == 3 and codes == ["refund_too_large"]
    calls = [lambda: services.refund_payment(payment, "0.01") for _n in range(3)]
    race(calls)
    payment.refresh_from_db()
    assert payment.refunded_amount == D("90.03")
    assert sum(t.refunded for t in payment.tenders.all()) == D("90.03")
    assert_ledgers_clean(tenant_a.merchant)


def test_racing_payments_by_one_non_member_hold_one_reward_within_the_limit(tenant_a):
    """No card to lock for a payer who is not a member: the reward limit still holds under racing payments."""
    from checkout.models import RewardGrant

    reward_rule(merchant=tenant_a.merchant, name="20 points", points=20, for_non_members=True,
                              limit_total=1)
    phone = "13711112222"
    # A first payment by someone else: the merchant's settings rows exist, as they do in any shop that sells.
    services.pay(services.Bill(store=tenant_a.store, amount=D("1.00")), channel="cash")
    calls = [lambda: services.pay(services.Bill(store=tenant_a.store, amount=D("60.00"), payer_phone=phone),
                                  channel="cash")
             for _n in range(6)]
    results, codes = race(calls)
    assert len(results) == 6 and not codes
    assert RewardGrant.objects.filter(phone=phone, status=RewardGrant.Status.PENDING).count() == 1


def _race_random_reductions(t, *, budget: str, payments: int):
    """`payments` cash bills racing, each priced with a random reduction of exactly 1.00 from `budget` a day."""
    from tests.checkout.helpers import configure

    configure(t.merchant, random_reduction_enabled=True, random_reduction_min=D("1.00"),
              random_reduction_max=D("1.00"), random_reduction_daily_budget=D(budget))
    return race([lambda n=n: services.pay(services.Bill(store=t.store, amount=D("10.00"), bill_id=f"race-{n}"),
                                          channel="cash")
                 for n in range(payments)])


def test_racing_payments_never_give_more_random_reduction_than_the_day_s_budget(tenant_a):
    """Priced without a lock, taken as each payment's last write: what was given is exactly what the day's row
    says and never more than the budget; a payment that found it used up after pricing is refused whole."""
    from checkout.models import AdjustmentKind, PaymentAdjustment, RandomReductionDay

    results, codes = _race_random_reductions(tenant_a, budget="3.00", payments=8)
    assert len(results) + len(codes) == 8 and set(codes) <= {"random_budget_used_up"}
    given = PaymentAdjustment.objects.filter(kind=AdjustmentKind.RANDOM)
    assert given.count() == 3 and Payment.objects.count() == len(results)
    assert RandomReductionDay.objects.get().spent == D("3.00")
    assert_ledgers_clean(tenant_a.merchant)


def test_the_day_s_first_payments_racing_to_open_its_budget_all_get_their_reduction(tenant_a):
    from checkout.models import RandomReductionDay

    results, codes = _race_random_reductions(tenant_a, budget="100.00", payments=4)
    assert len(results) == 4 and not codes
    assert RandomReductionDay.objects.get().spent == D("4.00")


def test_concurrent_retries_of_one_payment_pay_once_and_the_others_are_told_it_is_running(tenant_a):
    """One commit a payment: the idempotency claim is in the payment's transaction, so its row is invisible to a
    retry until the payment commits; the claim's advisory lock tells the retries at once (409), and nothing is
    paid twice."""
    program_with_levels(tenant_a.merchant)
    fund_wallet(tenant_a.member, "100.00")
    body = {"amount": "30.00", "member": {"phone": tenant_a.member.phone}, "use_wallet": True, "bill_id": "retry"}
    statuses = []

    def call():
        try:
            statuses.append(tenant_a.api().post("/api/v1/checkout/payments", body, format="json",
                                                HTTP_IDEMPOTENCY_KEY="one-key").status_code)
        finally:
            connections.close_all()

    barrier = threading.Barrier(6)

    def run():
        barrier.wait()
        call()

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Payment.objects.count() == 1
    assert 201 in statuses and set(statuses) <= {201, 409}, statuses
    again = tenant_a.api().post("/api/v1/checkout/payments", body, format="json", HTTP_IDEMPOTENCY_KEY="one-key")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert balances(tenant_a.member)[0] == D("70.00")
    assert_ledgers_clean(tenant_a.merchant)
