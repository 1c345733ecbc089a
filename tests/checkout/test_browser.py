"""A member walks self-pay end to end in headless Chromium: amount, live quote, sandbox, result with rewards."""

from decimal import Decimal

import pytest
from django.urls import reverse

from checkout.models import Payment
from tests.benefit_helpers import reward_rule
from tests.browser.test_member_login_browser import login_in_browser
from tests.checkout.helpers import coupon_for, fund_wallet, give_points, program_with_levels, set_level

pytestmark = pytest.mark.browser
D = Decimal


def test_member_self_pays_with_the_live_quote_and_sees_the_rewards(page, live_server, transactional_db, tenant_a):
    program_with_levels(tenant_a.merchant)
    set_level(tenant_a.member, 2)
    give_points(tenant_a.member, 300)
    fund_wallet(tenant_a.member, "30.00")
    coupon = coupon_for(tenant_a.member, name="满50减5", amount_off=D("5.00"), minimum_bill=D("50.00"))
    reward_rule(merchant=tenant_a.merchant, name="买单送积分", min_paid=D("20.00"), points=15)
    login_in_browser(page, live_server, tenant_a.merchant, tenant_a.member.phone)
    page.wait_for_selector("#member-qr svg")
    page.goto(live_server.url + reverse("checkout:pay", args=[tenant_a.merchant.slug, tenant_a.store.pk]))
    page.wait_for_selector("#pay-amount")
    page.fill("#pay-amount", "100.00")
    # 100.00: Gold 95% → 95.00; 300 points → 92.00; 满50减5 → 87.00; the wallet 30.00, 57.00 online.
    page.wait_for_function("document.getElementById('quote-due').textContent === '¥87.00'")
    assert page.locator("#quote-lines li[data-kind=coupon]").count() == 1
    assert page.locator("#quote-lines li[data-kind=level]").count() == 1
    page.uncheck("#pay-points")
    page.wait_for_function("document.getElementById('quote-due').textContent === '¥90.00'")
    page.check("#pay-points")
    page.wait_for_function("document.getElementById('quote-due').textContent === '¥87.00'")
    page.click("#pay-button")
    page.wait_for_selector("#sandbox-payment")
    assert "57.00" in page.inner_text("#sandbox-amount")
    page.click("#sandbox-pay")
    page.wait_for_selector("#payment-result")
    assert "87.00" in page.inner_text("#payment-result")
    assert "买单送积分" in page.inner_text("#rewards")
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID and payment.coupon == coupon
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/self-pay.png", full_page=True)
