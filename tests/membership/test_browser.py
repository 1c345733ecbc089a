"""A member opens the card page in a real browser: the QR code, points, level and progress are there."""

from decimal import Decimal

import pytest
from django.urls import reverse

from cards.membership import services
from merchants.member_codes import resolve_member_code
from tests.browser.test_member_login_browser import login_in_browser
from tests.membership.helpers import make_program

pytestmark = pytest.mark.browser


def test_member_opens_the_card_page_and_sees_the_qr_code_and_points(page, live_server, transactional_db, tenant_a):
    make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1)
    services.earn_for_payment(tenant_a.member, paid_amount=Decimal("128.00"), reference="P1")
    services.spend_points(tenant_a.member, 28, reason="coupon_exchange", reference="coupon:1")
    login_in_browser(page, live_server, tenant_a.merchant, tenant_a.member.phone)
    page.wait_for_selector("#member-qr svg")
    # From the home page's card tile to the card page.
    page.click(f"a.tile[href='{reverse('membership:card', args=[tenant_a.merchant.slug])}']")
    page.wait_for_selector("#card-face")
    assert page.inner_text("#card-points") == "100"
    assert page.inner_text("#card-level") == "Gold"
    assert page.inner_text("#card-experience") == "128"
    assert page.locator("#member-qr svg").count() == 1
    assert page.locator("#member-qr svg").bounding_box()["width"] > 150
    code = page.inner_text("#member-code").strip()
    assert resolve_member_code(tenant_a.merchant, code) == tenant_a.member
    assert "100" in page.inner_text("#card-expiry")
    assert "28" in page.inner_text("#card-recent")
    page.click("#all-points")
    page.wait_for_selector("#points-history")
    assert "128" in page.inner_text("#points-history")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
