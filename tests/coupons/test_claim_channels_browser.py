"""The claim channels in the console, in headless Chromium at 390 px and desktop width: the template page's inline
with each channel's link, QR code and figures, and the channel list. Screenshots go to SCREENSHOTS."""

import os
from decimal import Decimal

import pytest
from django.urls import reverse

from coupons import services
from coupons.models import ClaimChannel
from tests.backoffice.test_browser import SCREENSHOTS, WIDTHS, _log_in, _shot
from tests.coupons.helpers import make_members, make_template

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", WIDTHS)
def test_channels_on_the_template_page_and_their_list(browser, live_server, transactional_db, tenant_a, width):
    template = make_template(tenant_a.merchant, name="满100减10", stock=None)
    door = ClaimChannel.objects.create(merchant=tenant_a.merchant, template=template, name="门口海报")
    article = ClaimChannel.objects.create(merchant=tenant_a.merchant, template=template, name="公众号推文",
                                          kind=ClaimChannel.Kind.ARTICLE)
    for member in make_members(tenant_a.merchant, 3):
        coupon = services.claim_coupon(template, member, channel=door)
        services.redeem_coupon(coupon, bill_amount=Decimal("120.00"), store=tenant_a.store)
    for _view in range(7):
        services.record_claim_page_view(template, channel=article)
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        _log_in(page, live_server, tenant_a.manager.user)
        page.goto(live_server.url + reverse("admin:coupons_coupontemplate_change", args=[template.pk]))
        page.wait_for_selector("#channels-group")
        rows = page.locator("#channels-group tbody tr.has_original")
        assert rows.count() == 2
        assert "30.00" in rows.nth(0).inner_text() and "7" in rows.nth(1).inner_text()
        _shot(page, "claim-channels-template-page", width)
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.locator("#channels-group").screenshot(path=f"{SCREENSHOTS}/claim-channels-inline-{width}.png")
        # Mobile first in the console too: the inline scrolls inside itself, the page does not scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width] + 1
        page.goto(live_server.url + reverse("admin:coupons_claimchannel_changelist"))
        page.wait_for_selector("#result_list")
        assert page.locator("#result_list tbody tr").count() == 2
        _shot(page, "claim-channels-list", width)
    finally:
        context.close()
