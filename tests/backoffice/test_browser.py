"""The console's new pages in headless Chromium, at a phone's 390 px and at a desktop's width: the guided coupon
template form shows only the chosen kind's fields; member 360, posters, the redeem check and the error page lay
out without sideways scrolling. Screenshots go to SCREENSHOTS for people to look at."""

import os
from decimal import Decimal

import pytest
from django.urls import reverse

from coupons import services as coupons
from tests.browser.test_member_login_browser import login_in_browser
from tests.checkout.helpers import fund_wallet, give_points, program_with_levels
from tests.conftest import PASSWORD
from tests.coupons.helpers import make_template

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR", "/tmp/backoffice-screenshots")
WIDTHS = {"phone": 390, "desktop": 1280}


def _log_in(page, live_server, user):
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def _shot(page, name, width):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(path=f"{SCREENSHOTS}/{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_console_pages_at_phone_and_desktop_width(browser, live_server, transactional_db, tenant_a, width):
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 150)
    fund_wallet(tenant_a.member, "40.00")
    template = make_template(tenant_a.merchant, name="满100减10")
    coupon = coupons.claim_coupon(template, tenant_a.member)
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        _log_in(page, live_server, tenant_a.owner.user)

        page.goto(live_server.url + reverse("admin:coupons_coupontemplate_add"))
        page.select_option("#id_kind", "discount")
        assert page.is_visible(".form-row.field-discount_percent") and not page.is_visible(".form-row.field-amount_off")
        assert not page.is_visible(".form-row.field-exchange_item")
        page.select_option("#id_kind", "cash")
        assert page.is_visible(".form-row.field-amount_off") and not page.is_visible(".form-row.field-discount_cap")
        assert not page.is_visible(".form-row.field-products")
        page.select_option("#id_scope", "products")
        assert page.is_visible(".form-row.field-products")
        _shot(page, "coupon-template-form", width)

        page.goto(live_server.url + reverse("admin:merchants_member_overview", args=[tenant_a.member.pk]))
        page.wait_for_selector("#member-overview")
        assert "¥40.00" in page.inner_text("#member-overview")
        _shot(page, "member-360", width)

        page.goto(live_server.url + reverse("admin:merchants_store_posters"))
        assert page.locator(".poster").count() == 4
        _shot(page, "posters", width)

        page.goto(live_server.url + reverse("admin:coupons_coupon_redeem"))
        page.fill("#id_code", coupon.display_code)
        page.fill("#id_bill_amount", "120.00")
        page.select_option("#id_store", str(tenant_a.store.pk))
        page.click("input[type=submit]")
        page.wait_for_selector("#redeem-preview")
        assert "10.00" in page.inner_text("#preview-bill")
        assert tenant_a.member.name in page.inner_text("#preview-member")
        _shot(page, "redeem-check", width)
        page.click("input[type=submit]")
        page.wait_for_selector(".messagelist")
        coupon.refresh_from_db()
        assert coupon.state == "used" and coupon.redemptions.get().discount == Decimal("10.00")

        page.goto(live_server.url + "/m/no-such-shop/")
        assert page.is_visible("#error-page")
        _shot(page, "not-found", width)
        if width == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_member_home_leads_to_self_pay_and_the_card_page_formats_money(browser, live_server, transactional_db,
                                                                       tenant_a, width):
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 150)
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        login_in_browser(page, live_server, tenant_a.merchant, tenant_a.member.phone)
        page.wait_for_selector("#member-qr svg")
        _shot(page, "member-home", width)
        page.click(f"a.tile[href$='{reverse('checkout:stores', args=[tenant_a.merchant.slug])}']")
        page.wait_for_selector("#self-pay-stores")
        _shot(page, "self-pay-stores", width)
        page.click(f"text={tenant_a.store.name}")
        page.wait_for_selector("#pay-amount")
        page.goto(live_server.url + reverse("membership:card", args=[tenant_a.merchant.slug]))
        page.wait_for_selector("#card-face")
        assert "100" in page.inner_text("#card-progress")
        _shot(page, "member-card", width)
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]
    finally:
        context.close()
