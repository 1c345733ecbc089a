"""A member claims a coupon from a link in a real browser and finds it in 券包 with its QR code."""


import pytest
from django.urls import reverse

from coupons.models import Coupon
from tests.browser.helpers import answer_login_form
from tests.coupons.helpers import make_template

pytestmark = pytest.mark.browser


def test_member_claims_from_a_link_and_sees_it_in_the_wallet(page, live_server, transactional_db, tenant_a):
    template = make_template(tenant_a.merchant, name="春季满100减10")
    claim_url = live_server.url + reverse("coupons:claim", args=[tenant_a.merchant.slug, template.claim_token])
    page.goto(claim_url)
    assert "春季满100减10" in page.inner_text("main")
    page.click("#claim-form button[type=submit]")
    # Not logged in: the real OTP form (the code read from the outbox), then back to the claim page, which finishes
    # the claim the member pressed before logging in and shows the coupon.
    answer_login_form(page, tenant_a.member.phone)
    page.wait_for_selector("#coupon-qr svg")
    assert page.is_visible("#coupon-barcode svg")
    page.screenshot(path="/tmp/coupon-detail.png", full_page=True)
    coupon = Coupon.objects.get(member=tenant_a.member, template=template)
    page.goto(live_server.url + reverse("coupons:wallet", args=[tenant_a.merchant.slug]))
    card = page.locator(f"li.coupon[data-code='{coupon.code}']")
    assert card.is_visible() and coupon.display_code in card.inner_text()
    qr = card.locator(".coupon-qr img")
    assert qr.is_visible()
    qr.evaluate("img => img.complete || new Promise(done => img.addEventListener('load', done))")
    assert qr.evaluate("img => img.naturalWidth") > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/coupons.png", full_page=True)
