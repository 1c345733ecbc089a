"""Self-pay pages: the live quote with the best coupon, paying the rest through the sandbox, failing cleanly."""

from decimal import Decimal

import pytest
from django.urls import reverse

from checkout.models import Payment
from coupons.models import Coupon
from loyalty import payments
from merchants.views import log_member_in
from tests.benefit_helpers import reward_rule
from tests.checkout.helpers import assert_ledgers_clean, coupon_for, fund_wallet, give_points, program_with_levels
from tests.wallet.helpers import balances
from wallet.models import RechargeOffer

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def logged_in(client, tenant_a):
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 200)
    fund_wallet(tenant_a.member, "20.00")
    tenant_a.small = coupon_for(tenant_a.member, name="3 off", amount_off=D("3.00"), minimum_bill=None)
    tenant_a.big = coupon_for(tenant_a.member, name="8 off", amount_off=D("8.00"), minimum_bill=None)
    session_request = client.get(reverse("member:home", args=[tenant_a.merchant.slug])).wsgi_request
    log_member_in(session_request, tenant_a.member)
    session_request.session.save()
    client.cookies["sessionid"] = session_request.session.session_key
    return client


def urls(t):
    return (reverse("checkout:pay", args=[t.merchant.slug, t.store.pk]),
            reverse("checkout:quote", args=[t.merchant.slug, t.store.pk]))


def test_live_quote_preselects_the_best_coupon(logged_in, tenant_a):
    _pay, quote = urls(tenant_a)
    data = logged_in.get(quote, {"amount": "50.00", "coupon_code": "best", "points": "max", "use_wallet": "1",
                                 "bill_id": "x"}).json()
    # 50.00, 200 points take 2.00 → 48.00, the 8-off coupon → 40.00; the wallet pays 20.00, the rest 20.00 online.
    assert data["coupon_code"] == tenant_a.big.code and data["amount_due"] == "40.00"
    assert {t["kind"]: t["amount"] for t in data["tenders"]} == {"principal": "20.00", "external": "20.00"}
    bad = logged_in.get(quote, {"amount": "abc"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "amount_invalid"


def test_paying_the_rest_through_the_sandbox_completes_the_payment(logged_in, tenant_a):
    reward_rule(merchant=tenant_a.merchant, name="Thanks", min_paid=D("10.00"), points=7)
    pay, _quote = urls(tenant_a)
    response = logged_in.post(pay, {"amount": "50.00", "coupon_code": "best", "points": "max", "use_wallet": "1",
                                    "bill_id": "b1"})
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING and response.url == payments.checkout_url(
        payment.gateway_payment)
    assert balances(tenant_a.member)[0] == D("0.00")  # held at once
    gateway = payments.get_gateway()
    payments.handle_callback(gateway, gateway.callback_params(payment.gateway_payment, paid=True))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID and payment.points_earned == 40
    assert payment.rewards.get().status == "given"
    result = logged_in.get(reverse("checkout:result", args=[tenant_a.merchant.slug, payment.number]))
    assert "Thanks" in result.content.decode()
    assert_ledgers_clean(tenant_a.merchant)


def test_a_failed_gateway_payment_gives_everything_back(logged_in, tenant_a):
    pay, _quote = urls(tenant_a)
    logged_in.post(pay, {"amount": "50.00", "coupon_code": tenant_a.big.code, "points": "max", "use_wallet": "1"})
    payment = Payment.objects.get()
    gateway = payments.get_gateway()
    payments.handle_callback(gateway, gateway.callback_params(payment.gateway_payment, paid=False))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert balances(tenant_a.member)[0] == D("20.00")
    tenant_a.big.refresh_from_db()
    assert tenant_a.big.state == Coupon.State.AVAILABLE
    from cards.membership.services import card_for
    assert card_for(tenant_a.member).points == 200
    assert_ledgers_clean(tenant_a.merchant)


def test_wallet_covering_everything_pays_at_once_and_shows_recharge_offers(logged_in, tenant_a):
    from wallet.services import wallet_settings
    settings = wallet_settings(tenant_a.merchant)
    settings.offers_after_payment = settings.OffersAfterPayment.EVERY_PAYMENT
    settings.save()
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="200+30", pay_amount=D("200.00"),
                                 bonus_value=D("30.00"))
    pay, _quote = urls(tenant_a)
    response = logged_in.post(pay, {"amount": "10.00", "use_wallet": "1"})
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID and response.url.endswith(f"/pay/result/{payment.number}/")
    page = logged_in.get(response.url).content.decode()
    assert "recharge-offers" not in page  # this member has recharged already: offers are for those who never did


def test_another_members_result_page_asks_to_log_in(client, tenant_a):
    program_with_levels(tenant_a.merchant)
    from checkout import services
    payment = services.pay(services.Bill(store=tenant_a.store, amount=D("5.00"), member=tenant_a.member),
                           channel="cash")
    response = client.get(reverse("checkout:result", args=[tenant_a.merchant.slug, payment.number]))
    assert response.status_code == 302 and "/login/" in response.url


def test_another_logged_in_members_result_page_is_not_found_not_a_redirect_to_login(logged_in, tenant_a):
    from checkout import services
    from merchants.services import join_member
    other = join_member(tenant_a.merchant, phone="13900001111", name="Other")
    payment = services.pay(services.Bill(store=tenant_a.store, amount=D("5.00"), member=other), channel="cash")
    response = logged_in.get(reverse("checkout:result", args=[tenant_a.merchant.slug, payment.number]))
    assert response.status_code == 404


def test_a_payer_who_is_not_a_member_sees_the_rewards_and_a_join_button(client, tenant_a):
    from checkout import services
    reward_rule(merchant=tenant_a.merchant, name="Join and earn", min_paid=D("10.00"), points=9,
                              for_non_members=True)
    payment = services.pay(services.Bill(store=tenant_a.store, amount=D("20.00")), channel="wechat")
    page = client.get(reverse("checkout:result", args=[tenant_a.merchant.slug, payment.number])).content.decode()
    assert "Join and earn" in page and 'id="join-to-claim"' in page
    held = services.pay(services.Bill(store=tenant_a.store, amount=D("20.00"), payer_phone="13766665555"),
                        channel="wechat")
    page = client.get(reverse("checkout:result", args=[tenant_a.merchant.slug, held.number])).content.decode()
    assert "Join and earn" in page and 'id="join-to-claim"' in page
