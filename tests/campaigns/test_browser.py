"""The campaign landing page and the opt-out page in a real browser, on a phone and a desktop."""

import pytest
from django.urls import reverse

from coupons.models import Coupon
from merchants.models import Member
from merchants.services.marketing import opt_out_token
from tests.browser.helpers import answer_login_form
from tests.campaigns.helpers import make_campaign
from tests.coupons.helpers import make_template

pytestmark = pytest.mark.browser


def test_a_visitor_logs_in_from_the_landing_page_and_claims_its_coupon(page, live_server, transactional_db, tenant_a):
    template = make_template(tenant_a.merchant, name="生日赠饮券")
    campaign = make_campaign(tenant_a.merchant, coupon_template=template, landing_title="生日礼遇",
                             landing_text="到店出示会员码即可使用。")
    url = live_server.url + reverse("campaigns:landing", args=[tenant_a.merchant.slug, campaign.pk])
    for width, name in ((390, "phone"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(url)
        assert "生日礼遇" in page.inner_text("main") and page.is_visible("#claim-form button")
        page.screenshot(path=f"/tmp/camp-landing-{name}.png", full_page=True)
    page.click("#claim-form button[type=submit]")
    answer_login_form(page, tenant_a.member.phone)
    page.wait_for_selector("#coupon-qr svg")       # back through the landing page, the claim finished itself
    assert Coupon.objects.filter(member=tenant_a.member, template=template).count() == 1


def test_the_opt_out_link_asks_then_confirms(page, live_server, transactional_db, tenant_a):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("marketing_opt_out", args=[opt_out_token(tenant_a.member.pk)]))
    page.screenshot(path="/tmp/camp-optout-ask.png", full_page=True)
    page.click("#confirm-opt-out")
    page.wait_for_selector("#opted-out")
    page.screenshot(path="/tmp/camp-optout-done.png", full_page=True)
    assert Member.objects.get(pk=tenant_a.member.pk).marketing_opt_out_at is not None
