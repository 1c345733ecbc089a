"""Terminal API: redeem (idempotent) and look up coupons, scoped to the terminal's merchant."""

from django.urls import reverse

from coupons import codes, services
from coupons.models import Coupon, CouponRedemption
from tests.coupons.helpers import make_template

REDEEM = reverse("api:coupon-redeem")


def _coupon(tenant, **fields):
    return services.claim_coupon(make_template(tenant.merchant, **fields), tenant.member)


def test_redeem_through_the_api(tenant_a):
    coupon = _coupon(tenant_a)
    response = tenant_a.api().post(REDEEM, {"code": coupon.display_code, "bill_amount": "150.00",
                                            "payment_reference": "T-1"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["discount"], body["bill_amount"]) == ("used", "10.00", "150.00")
    redemption = CouponRedemption.objects.get(coupon=coupon)
    assert redemption.terminal == tenant_a.terminal and redemption.store == tenant_a.store


def test_a_retry_with_the_same_idempotency_key_redeems_once(tenant_a):
    coupon = _coupon(tenant_a)
    api = tenant_a.api()
    payload = {"code": coupon.code, "bill_amount": "150.00"}
    first = api.post(REDEEM, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(REDEEM, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert CouponRedemption.objects.filter(coupon=coupon).count() == 1
    other = api.post(REDEEM, payload, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 409 and other.json()["error"]["code"] == "coupon_used"


def test_bad_input_is_refused_with_a_code_and_nothing_changes(tenant_a):
    coupon = _coupon(tenant_a)
    api = tenant_a.api()
    for amount, code in [("-1", "amount_not_positive"), ("1.001", "amount_too_precise"), ("abc", "amount_invalid"),
                         ("50.00", "coupon_below_minimum")]:
        response = api.post(REDEEM, {"code": coupon.code, "bill_amount": amount}, format="json")
        assert response.status_code == 400 and response.json()["error"]["code"] == code, (amount, response.json())
    mistyped = coupon.code[:5] + ("Z" if coupon.code[5] != "Z" else "Y") + coupon.code[6:]
    response = api.post(REDEEM, {"code": mistyped, "bill_amount": "150"}, format="json")
    assert response.json()["error"] == {"code": "coupon_code_mistyped", "field": "coupon_code",
                                        "message": response.json()["error"]["message"]}
    response = api.post(REDEEM, {"code": codes.new_code(), "bill_amount": "150"}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "coupon_not_found"
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.AVAILABLE


def test_another_merchants_terminal_cannot_redeem_or_see_the_coupon(tenant_a, tenant_b):
    coupon = _coupon(tenant_a)
    response = tenant_b.api().post(REDEEM, {"code": coupon.code, "bill_amount": "150.00"}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "coupon_not_found"
    assert tenant_b.api().get(reverse("api:coupon-detail", args=[coupon.code])).status_code == 404
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.AVAILABLE


def test_lookup_shows_the_coupon_and_what_it_would_take_off(tenant_a):
    coupon = _coupon(tenant_a)
    response = tenant_a.api().get(reverse("api:coupon-detail", args=[coupon.code]), {"bill_amount": "120.00"})
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["state"], body["discount"], body["stackable"]) == (coupon.code, "available", "10.00",
                                                                          True)
    below = tenant_a.api().get(reverse("api:coupon-detail", args=[coupon.code]), {"bill_amount": "20.00"})
    assert below.status_code == 400 and below.json()["error"]["code"] == "coupon_below_minimum"


def test_redeem_with_lines_for_a_product_coupon(tenant_a):
    coupon = _coupon(tenant_a, scope="products", products=["latte"], minimum_bill=None)
    response = tenant_a.api().post(REDEEM, {"code": coupon.code, "bill_amount": "50.00", "lines": [
        {"product": "latte", "amount": "8.00"}, {"product": "cake", "amount": "42.00"}]}, format="json")
    assert response.status_code == 201 and response.json()["discount"] == "8.00"
