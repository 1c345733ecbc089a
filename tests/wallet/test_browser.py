"""A member recharges through the sandbox gateway in a real browser and sees principal and bonus."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from coupons.models import Coupon
from tests.browser.helpers import answer_login_form
from tests.coupons.helpers import make_template
from tests.wallet.helpers import balances, enable_stored_value
from wallet import services
from wallet.models import RechargeOffer, RechargeOfferCoupon, RedPacketCampaign

pytestmark = pytest.mark.browser


def test_member_recharges_through_the_sandbox_and_sees_principal_and_bonus(page, live_server, transactional_db,
                                                                           tenant_a):
    enable_stored_value(tenant_a.merchant)
    offer = RechargeOffer.objects.create(merchant=tenant_a.merchant, name="充200送30", pay_amount=Decimal("200.00"),
                                         bonus_value=Decimal("30.00"))
    RechargeOfferCoupon.objects.create(merchant=tenant_a.merchant, offer=offer,
                                       template=make_template(tenant_a.merchant, name="满100减10"))
    packet = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name="新春红包", trigger="link",
                                              amount=Decimal("8.88"), budget=Decimal("100.00"), expiry_days=7)
    expires = services.claim_red_packet(packet, tenant_a.member).lot.expires_at
    page.goto(live_server.url + reverse("wallet:home", args=[tenant_a.merchant.slug]))
    # Not logged in: the real OTP form (the code read from the outbox), then back to the wallet.
    answer_login_form(page, tenant_a.member.phone)
    page.wait_for_selector("#balance-principal")
    assert page.inner_text("#balance-principal") == "¥0.00"
    # The red packet, with when it expires.
    assert "8.88" in page.inner_text("#cashback-lots")
    assert timezone.localtime(expires).strftime("%Y-%m-%d %H:%M") in page.inner_text("#cashback-lots")
    assert "满100减10" in page.inner_text(f"button.offer[data-offer='{offer.pk}']")
    page.click(f"button.offer[data-offer='{offer.pk}']")
    page.wait_for_selector("#sandbox-payment")
    assert "200.00" in page.inner_text("#sandbox-amount")
    page.click("#sandbox-pay")
    page.wait_for_selector("#recharge-result")
    assert page.inner_text("#balance-principal") == "¥200.00"
    assert page.inner_text("#balance-bonus") == "¥30.00"
    assert "200.00" in page.inner_text("#wallet-history") and "30.00" in page.inner_text("#wallet-history")
    assert balances(tenant_a.member) == (Decimal("200.00"), Decimal("30.00"), Decimal("8.88"))
    assert "1" in page.inner_text("#recharge-result")
    assert Coupon.objects.get(member=tenant_a.member).template.name == "满100减10"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="/tmp/wallet.png", full_page=True)
