"""Costs that do not grow with history: quote, pay, refund and the best-coupon quote take the same statements for
a member holding 1,000 coupons over 50 templates, 5,000 cashback lots and 5,000 points buckets as for a member
holding one of each (DESIGN.md, Performance targets)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.holdings import give_heavy_holdings
from checkout.models import Payment
from checkout.services import Bill, best_quote
from merchants import services as merchant_services
from tests.checkout.helpers import (
    PAYMENTS,
    QUOTE,
    assert_ledgers_clean,
    body,
    coupon_for,
    fund_wallet,
    give_points,
    program_with_levels,
    refunds_url,
    set_level,
)
from tests.checkout.test_quote_and_pay import PAY_QUERIES
from wallet.models import BalanceTier, CashbackLot

pytestmark = pytest.mark.django_db
D = Decimal


def _statements(call):
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return len(captured), result


@pytest.fixture
def members(tenant_a):
    """Two Gold members alike (600 points, 300 principal + 30 bonus, a 20-off-100 coupon, cashback): the plain one
    holds one cashback lot, one extra points bucket and one extra coupon; the heavy one 5,000 lots of 0.01
    (a payment draws every one), 5,000 buckets of 2 points (500 points draw 250) and 1,000 coupons over 50
    templates."""
    program_with_levels(tenant_a.merchant)
    BalanceTier.objects.create(merchant=tenant_a.merchant, min_balance=D("200.00"), discount_percent=D("90"))
    plain = tenant_a.member
    heavy = merchant_services.join_member(tenant_a.merchant, "13800009999", name="heavy", source_store=tenant_a.store)
    for member in (plain, heavy):
        set_level(member, 2)
        give_points(member, 600)
        fund_wallet(member, "300.00", bonus_offer=("300.00", "30.00"))
        member.coupon = coupon_for(member, name="20 off 100", amount_off=D("20.00"), minimum_bill=D("100.00"))
    give_heavy_holdings(plain, coupons=1, templates=1, lots=1, lot_amount=D("0.50"), buckets=1)
    give_heavy_holdings(heavy, coupons=1000, templates=50, lots=5000, lot_amount=D("0.01"), buckets=5000)
    return tenant_a, plain, heavy


def _full(member, **extra):
    return body("200.00", member, coupon_code=member.coupon.code, points=500, use_wallet=True, bill_id="B-77", **extra)


def test_quote_pay_refund_and_best_coupon_take_the_same_statements_whatever_the_member_holds(members):
    tenant, plain, heavy = members
    api = tenant.api()
    for _call in range(2):  # settings rows, the terminal's last use and the caches are warm for both
        assert api.post(PAYMENTS, body("10.00", external={"channel": "cash"}), format="json").status_code == 201
    counts = {}
    for name, member in (("plain", plain), ("heavy", heavy)):
        quote_count, quoted = _statements(lambda m=member: api.post(QUOTE, _full(m), format="json"))
        assert quoted.status_code == 200, quoted.json()
        pay_count, paid = _statements(lambda m=member: api.post(PAYMENTS, _full(m), format="json",
                                                                  HTTP_IDEMPOTENCY_KEY=f"pay-{m.pk}"))
        assert paid.status_code == 201, paid.json()
        assert paid.json()["amount_due"] == quoted.json()["amount_due"]
        refund_count, refunded = _statements(lambda p=paid: api.post(refunds_url(p.json()["id"]),
                                                                       {"amount": "40.00"}, format="json"))
        assert refunded.status_code == 201, refunded.json()
        bill = Bill(store=tenant.store, amount=D("150.00"), member=member, use_wallet=True)
        best_count, (_best, code) = _statements(lambda b=bill: best_quote(b))
        assert code  # a coupon helps: the 20 off 100 (the heavy member's 1.00 ones take less)
        counts[name] = (quote_count, pay_count, refund_count, best_count)
    assert counts["heavy"] == counts["plain"], counts
    if connection.vendor == "postgresql":
        # The payment is the pinned one (tests/checkout/test_quote_and_pay.PAY_QUERIES) and one read more: the
        # cashback lots it draws (with those past their day, in the same read).
        assert counts["plain"] == (4, PAY_QUERIES + 1, 58, 4), counts
    # The heavy member's payment drew every one of the 5,000 lots (50.00) before the stored value.
    tenders = {t["kind"]: t["amount"] for t in Payment.objects.get(member=heavy).tenders.values("kind", "amount")}
    assert tenders["cashback"] == D("50.00"), tenders
    assert CashbackLot.objects.filter(wallet__member=heavy, remaining__gt=0).count() > 0  # the refund gave some back
    assert_ledgers_clean(tenant.merchant)
