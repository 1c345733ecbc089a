"""The campaign landing page and the opt-out page in a real browser, on a phone and a desktop."""

from urllib.parse import unquote

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


def test_a_visitor_opens_a_campaign_channel_link_joins_and_the_claim_is_the_channels(
        page, live_server, transactional_db, tenant_a):
    from campaigns.models import CampaignChannel
    from campaigns.services.landing import channel_path
    from tests.backoffice.test_browser import _log_in

    template = make_template(tenant_a.merchant, name="秋季满100减10", audience="anyone")
    campaign = make_campaign(tenant_a.merchant, coupon_template=template, landing_title="秋季上新",
                             landing_text="扫码领券，到店出示会员码即可使用。")
    door = CampaignChannel.objects.create(merchant=tenant_a.merchant, campaign=campaign, name="门口海报")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + channel_path(door))
    page.wait_for_selector("#claim-form")
    assert "秋季上新" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="/tmp/camp-channel-landing-phone.png", full_page=True)
    page.click("#claim-form button[type=submit]")
    page.wait_for_selector("#phone-form")
    assert "/login/?next=" in page.url and f"/c/{door.token}/" in unquote(page.url)
    answer_login_form(page, "13700000099")
    page.wait_for_selector("#join-form")
    page.fill("input[name=name]", "小周")
    page.click("#join-form button[type=submit]")
    page.wait_for_selector("#coupon-qr svg", timeout=120_000)  # joined, back through the channel's link, claimed
    member = Member.objects.get(merchant=tenant_a.merchant, phone="13700000099")
    coupon = Coupon.objects.get(member=member, template=template)
    assert page.url.endswith(f"/m/alpha/coupons/c/{coupon.code}/")
    door.refresh_from_db()
    assert (door.views, door.claims, coupon.channel_id) == (1, 1, door.claim_channel_id)
    page.screenshot(path="/tmp/camp-channel-claimed-phone.png", full_page=True)

    # The owner reads what the channel brought on the campaign's page, on a desktop and a phone.
    _log_in(page, live_server, tenant_a.owner.user)
    for width, name in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
        page.wait_for_selector("#channels-group")
        row = page.locator("#channels-group tbody tr.has_original").first
        assert f"/c/{door.token}/" in row.inner_text()
        page.screenshot(path=f"/tmp/camp-channel-admin-{name}.png", full_page=True)
        page.locator("#channels-group").screenshot(path=f"/tmp/camp-channel-inline-{name}.png")
