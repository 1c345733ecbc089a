"""Refunds: each tender back in proportion, never over what was paid, earnings and coupons handled."""

from decimal import Decimal

import pytest

from cards.membership.services import card_for, spend_points
from checkout.models import Payment, PaymentTender, Refund
from coupons.models import Coupon
from tests.checkout.helpers import (
    PAYMENTS,
    assert_ledgers_clean,
    body,
    coupon_for,
    fund_wallet,
    give_points,
    program_with_levels,
    refunds_url,
)
from tests.wallet.helpers import assert_audit_clean as assert_wallet_clean
from tests.wallet.helpers import balances
from wallet.models import CashbackRule
from wallet.services import give_cashback

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def mixed(tenant_a):
    """A 100.00 bill with 300 points (3.00) and a 10-off coupon: 87.00 due, paid by 5.00 cashback,
    20.00 bonus, 42.00 principal and 20.00 by WeChat. Points earned: 62 (principal + WeChat)."""
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 300)
    fund_wallet(tenant_a.member, "42.00", bonus_offer=("40.00", "20.00"))
    give_cashback(tenant_a.member, D("5.00"), reference="gift")
    tenant_a.coupon = coupon_for(tenant_a.member, name="10 off", amount_off=D("10.00"), minimum_bill=None)
    response = tenant_a.api().post(PAYMENTS, body(
        "100.00", tenant_a.member, coupon_code=tenant_a.coupon.code, points=300, use_wallet=True,
        external={"channel": "wechat", "trade_no": "WX-1", "amount": "20.00"}), format="json")
    assert response.status_code == 201, response.json()
    tenant_a.paid = response.json()
    return tenant_a


def tenders(payment_id):
    return {t.kind: (t.amount, t.refunded) for t in PaymentTender.objects.filter(payment_id=payment_id)}


def test_the_payment_took_every_tender(mixed):
    assert mixed.paid["amount_due"] == "87.00"
    assert tenders(mixed.paid["id"]) == {"cashback": (D("5.00"), D("0")), "bonus": (D("20.00"), D("0")),
                                         "principal": (D("42.00"), D("0")), "external": (D("20.00"), D("0"))}
    assert mixed.paid["points_earned"] == 62
    assert balances(mixed.member) == (D("0.00"), D("0.00"), D("0.00"))


def test_full_refund_returns_every_tender_points_and_the_coupon(mixed):
    response = mixed.api().post(refunds_url(mixed.paid["id"]), {"amount": "87.00"}, format="json")
    assert response.status_code == 201, response.json()
    refund = response.json()
    assert {line["kind"]: line["amount"] for line in refund["lines"]} == {
        "cashback": "5.00", "bonus": "20.00", "principal": "42.00", "external": "20.00"}
    assert refund["points_returned"] == 300 and refund["points_taken_back"] == 62
    assert refund["coupon_restored"] is True and refund["is_full"] is True
    assert balances(mixed.member) == (D("42.00"), D("20.00"), D("5.00"))
    assert card_for(mixed.member).points == 300
    mixed.coupon.refresh_from_db()
    assert mixed.coupon.state == Coupon.State.AVAILABLE
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert_ledgers_clean(mixed.merchant)


def test_partial_refunds_are_proportional_and_add_up_exactly(mixed):
    """30.00 of 87.00: cashback 1.72, bonus 6.90, principal 14.48, WeChat 6.90 (rounded half up on running totals)."""
    first = mixed.api().post(refunds_url(mixed.paid["id"]), {"amount": "30.00"}, format="json").json()
    lines = {line["kind"]: D(line["amount"]) for line in first["lines"]}
    assert sum(lines.values()) == D("30.00")
    assert lines["external"] == D("6.90") and lines["cashback"] + lines["bonus"] + lines["principal"] == D("23.10")
    assert first["points_returned"] == 103  # floor(300 × 30 / 87)
    assert first["coupon_restored"] is False
    for amount in ("0.01", "56.99"):
        assert mixed.api().post(refunds_url(mixed.paid["id"]), {"amount": amount}, format="json").status_code == 201
    assert {kind: refunded for kind, (_paid, refunded) in tenders(mixed.paid["id"]).items()} == {
        "cashback": D("5.00"), "bonus": D("20.00"), "principal": D("42.00"), "external": D("20.00")}
    assert card_for(mixed.member).points == 300
    assert sum(r.points_returned for r in Refund.objects.all()) == 300
    assert_wallet_clean(mixed.merchant)


def test_refund_in_halves_keeps_every_ledger_clean(mixed):
    for _half in range(2):
        assert mixed.api().post(refunds_url(mixed.paid["id"]), {"amount": "43.50"}, format="json").status_code == 201
    assert balances(mixed.member) == (D("42.00"), D("20.00"), D("5.00"))
    assert card_for(mixed.member).points == 300
    assert_ledgers_clean(mixed.merchant)


def test_refund_over_what_is_left_is_refused_and_changes_nothing(mixed):
    mixed.api().post(refunds_url(mixed.paid["id"]), {"amount": "80.00"}, format="json")
    before = balances(mixed.member)
    response = mixed.api().post(refunds_url(mixed.paid["id"]), {"amount": "7.01"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "refund_too_large"
    assert balances(mixed.member) == before and Refund.objects.count() == 1
    for bad in ("0", "-1", "abc", "1.001"):
        assert mixed.api().post(refunds_url(mixed.paid["id"]), {"amount": bad}, format="json").status_code == 400


def test_refund_replay_with_the_same_key_refunds_once(mixed):
    url = refunds_url(mixed.paid["id"])
    first = mixed.api().post(url, {"amount": "10.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    again = mixed.api().post(url, {"amount": "10.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert again.json() == first.json() and Refund.objects.count() == 1


def test_points_already_spent_are_a_shortfall_never_a_negative_balance(mixed):
    spend_points(mixed.member, 50, reason="coupon_exchange", reference="spent")  # 62 earned, 12 left
    refund = mixed.api().post(refunds_url(mixed.paid["id"]), {"amount": "87.00"}, format="json").json()
    # The 300 returned points arrive first, so the 62 earned can be taken back in full.
    assert refund["points_taken_back"] + refund["points_shortfall"] == 62
    assert card_for(mixed.member).points >= 0
    assert_ledgers_clean(mixed.merchant)


def test_cashback_earned_is_taken_back_with_a_shortfall_when_spent(tenant_a):
    CashbackRule.objects.create(merchant=tenant_a.merchant, percent=D("10"))
    paid = tenant_a.api().post(PAYMENTS, body("50.00", tenant_a.member, external={"channel": "cash"}),
                               format="json").json()
    assert paid["cashback_earned"] == "5.00"
    fund_wallet(tenant_a.member, "10.00")
    spent = tenant_a.api().post(PAYMENTS, body("3.00", tenant_a.member, use_wallet=True), format="json")
    assert spent.json()["tenders"][0]["kind"] == "cashback"  # cashback is spent first
    refund = tenant_a.api().post(refunds_url(paid["id"]), {"amount": "50.00"}, format="json").json()
    assert refund["cashback_taken_back"] == "2.00" and refund["cashback_shortfall"] == "3.00"
    assert balances(tenant_a.member)[2] == D("0.00")
    assert_ledgers_clean(tenant_a.merchant)


def test_refund_of_an_external_only_payment_by_a_non_member(tenant_a):
    paid = tenant_a.api().post(PAYMENTS, body("12.34", external={"channel": "card"}), format="json").json()
    refund = tenant_a.api().post(refunds_url(paid["id"]), {"amount": "12.34"}, format="json").json()
    assert refund["lines"] == [{"kind": "external", "amount": "12.34"}]


def test_a_bill_paid_in_full_by_points_and_coupon_is_refunded_with_zero(tenant_a):
    """10.00: 500 points take 5.00, the 5-off coupon the rest; nothing due. Refunding 0.00 gives both back."""
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 500)
    coupon = coupon_for(tenant_a.member, name="5 off", amount_off=D("5.00"), minimum_bill=None)
    paid = tenant_a.api().post(PAYMENTS, body("10.00", tenant_a.member, points=500, coupon_code=coupon.code),
                               format="json").json()
    assert paid["amount_due"] == "0.00" and paid["tenders"] == []
    refund = tenant_a.api().post(refunds_url(paid["id"]), {"amount": "0.00"}, format="json").json()
    assert refund["is_full"] and refund["points_returned"] == 500 and refund["coupon_restored"]
    assert card_for(tenant_a.member).points == 500
    again = tenant_a.api().post(refunds_url(paid["id"]), {"amount": "0.00"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "payment_not_refundable"
    assert_ledgers_clean(tenant_a.merchant)


def test_a_coupon_no_longer_valid_is_not_restored(mixed):
    from django.utils import timezone
    Coupon.objects.filter(pk=mixed.coupon.pk).update(valid_until=timezone.now())
    refund = mixed.api().post(refunds_url(mixed.paid["id"]), {"amount": "87.00"}, format="json").json()
    assert refund["coupon_restored"] is False
    mixed.coupon.refresh_from_db()
    assert mixed.coupon.state == Coupon.State.EXPIRED
