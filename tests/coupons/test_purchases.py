"""Buying a coupon through the payment gateway: issued exactly once on the signed callback, never without it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from coupons import services
from coupons.models import Coupon, CouponPurchase
from loyalty import payments
from loyalty.errors import DomainError
from loyalty.models import GatewayPayment
from tests.coupons.helpers import make_members, make_template

D = Decimal
CALLBACK = reverse("payments:callback")


def _signed(payment, *, paid=True):
    return payments.SandboxGateway().callback_params(payment, paid=paid)


@pytest.fixture
def sold(tenant_a):
    return make_template(tenant_a.merchant, name="Bought 30 off", amount_off=D("30.00"), price=D("9.90"), stock=5)


def test_the_coupon_is_issued_once_on_the_signed_callback(client, tenant_a, sold):
    purchase, payment = services.start_coupon_purchase(sold, tenant_a.member)
    assert (payment.amount, payment.purpose, payment.member) == (D("9.90"), "coupon_purchase", tenant_a.member)
    assert not Coupon.objects.filter(template=sold).exists()
    for _replay in range(3):
        response = client.post(CALLBACK, _signed(payment))
        assert response.status_code == 200 and response.content == b"success"
    purchase.refresh_from_db()
    coupon = Coupon.objects.get(template=sold)
    assert (purchase.status, purchase.coupon, coupon.member, coupon.source) == (
        "paid", coupon, tenant_a.member, Coupon.Source.PURCHASE)
    sold.refresh_from_db()
    assert sold.issued_count == 1


def test_a_forged_or_failed_payment_gives_nothing(client, tenant_a, sold):
    purchase, payment = services.start_coupon_purchase(sold, tenant_a.member)
    forged = {**_signed(payment), "sign": "0" * 64}
    assert client.post(CALLBACK, forged).status_code == 403
    assert client.post(CALLBACK, _signed(payment, paid=False)).status_code == 200
    purchase.refresh_from_db()
    payment.refresh_from_db()
    assert (purchase.status, payment.status) == ("failed", GatewayPayment.Status.FAILED)
    assert not Coupon.objects.filter(template=sold).exists()


def test_paid_after_the_stock_ran_out_means_a_refund_is_due(client, tenant_a, sold):
    purchase, payment = services.start_coupon_purchase(sold, tenant_a.member)
    services.set_template_stock(sold, 0)
    assert client.post(CALLBACK, _signed(payment)).status_code == 200
    purchase.refresh_from_db()
    assert purchase.status == CouponPurchase.Status.REFUND_DUE and purchase.note
    assert not Coupon.objects.filter(template=sold).exists()


def test_a_coupon_for_sale_cannot_be_claimed_for_free_and_a_free_one_cannot_be_bought(tenant_a, sold):
    with pytest.raises(DomainError) as refused:
        services.claim_coupon(sold, tenant_a.member)
    assert refused.value.code == "coupon_for_sale"
    with pytest.raises(DomainError) as refused:
        services.start_coupon_purchase(make_template(tenant_a.merchant, name="free"), tenant_a.member)
    assert refused.value.code == "coupon_not_for_sale"
    assert not GatewayPayment.objects.exists()


def test_what_can_be_checked_before_paying_is_checked(tenant_a, tenant_b, sold):
    services.set_template_stock(sold, 0)
    with pytest.raises(DomainError) as refused:
        services.start_coupon_purchase(sold, tenant_a.member)
    assert refused.value.code == "coupon_out_of_stock"
    limited = make_template(tenant_a.merchant, name="one each", price=D("1.00"), per_member_limit=1)
    services.issue_coupon(limited, tenant_a.member, source=Coupon.Source.STAFF)
    with pytest.raises(DomainError) as refused:
        services.start_coupon_purchase(limited, tenant_a.member)
    assert refused.value.code == "coupon_claim_limit"
    assert not GatewayPayment.objects.exists()


def test_a_member_buys_on_the_claim_page_through_the_sandbox(client, tenant_a, sold):
    from tests.coupons.test_member_pages import member_client

    member_client(client, tenant_a.member)
    claim_url = reverse("coupons:claim", args=[tenant_a.merchant.slug, sold.claim_token])
    assert "9.90" in client.get(claim_url).content.decode()
    response = client.post(claim_url)
    payment = GatewayPayment.objects.get()
    assert response["Location"] == payments.checkout_url(payment)
    back = client.post(response["Location"], {"outcome": "pay"})
    assert back.status_code == 302 and "purchase=" in back["Location"]
    wallet = client.get(back["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    coupon = Coupon.objects.get(member=tenant_a.member, template=sold)
    assert coupon.display_code in wallet and "the coupon is in your wallet" in wallet


def test_a_reward_coupon_respects_stock_and_is_skipped_when_gone(tenant_a):
    template = make_template(tenant_a.merchant, name="Thanks", stock=1, per_member_limit=0)
    other = make_members(tenant_a.merchant, 1)[0]
    given = services.give_reward_coupon(template, tenant_a.member)
    assert given.source == Coupon.Source.REWARD
    assert services.give_reward_coupon(template, other) is None
    assert Coupon.objects.filter(template=template).count() == 1
