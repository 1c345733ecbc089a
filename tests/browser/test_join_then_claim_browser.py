"""A visitor opens a claim link in a real browser, logs in with a texted code, joins, and lands on the coupon.
Also the member inbox, at 390 px."""

import re

import pytest
from django.utils import timezone

from coupons.models import ClaimChannel, Coupon
from loyalty.models import OutboxMessage
from merchants.models import Member
from tests.browser.helpers import answer_login_form
from tests.browser.test_member_login_browser import login_in_browser
from tests.coupons.helpers import make_template

pytestmark = pytest.mark.browser

PHONE = "13700000088"


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def test_a_visitor_opens_a_channel_link_logs_in_joins_and_lands_on_the_claimed_coupon(
        phone_page, live_server, transactional_db, tenant_a):
    page = phone_page
    template = make_template(tenant_a.merchant, name="新客满100减10", audience="anyone")
    poster = ClaimChannel.objects.create(merchant=tenant_a.merchant, template=template, name="门口海报")
    page.goto(f"{live_server.url}/m/alpha/coupons/ch/{poster.token}/")
    page.wait_for_selector("#claim-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="var/test-claim-visitor-390.png", full_page=True)
    page.click("#claim-form button[type=submit]")

    page.wait_for_selector("#phone-form")
    assert "/login/?next=" in page.url
    answer_login_form(page, PHONE)

    page.wait_for_selector("#join-form")
    page.fill("input[name=name]", "小林")
    page.screenshot(path="var/test-claim-join-390.png", full_page=True)
    page.click("#join-form button[type=submit]")

    # Joining, then the claim and two redirects: on the shared machine under a full suite this takes a while.
    page.wait_for_selector("#coupon-state, #claim-form, #join-form .error", timeout=120_000)
    assert re.search(r"/m/alpha/coupons/c/\w+/$", page.url), (page.url, page.inner_text("main"))
    member = Member.objects.get(merchant=tenant_a.merchant, phone=PHONE)
    coupon = Coupon.objects.get(member=member, template=template)
    assert page.url.endswith(f"/m/alpha/coupons/c/{coupon.code}/")
    assert coupon.channel_id == poster.pk
    assert "新客满100减10" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="var/test-claim-result-390.png", full_page=True)
    poster.refresh_from_db()
    assert (poster.views, poster.claims) == (1, 1)


def test_the_inbox_lists_messages_and_opening_one_reads_it(phone_page, live_server, transactional_db, tenant_a):
    page = phone_page
    member = tenant_a.member
    for title, body, link in (("会员日", "本周六全场饮品第二杯半价，到店出示会员码即可。", "/m/alpha/coupons/"),
                              ("", "您的生日券已到账，有效期7天。", "")):
        OutboxMessage.objects.create(merchant=tenant_a.merchant, member=member, channel=OutboxMessage.Channel.INBOX,
                                     kind=OutboxMessage.Kind.MARKETING, recipient=str(member.pk), title=title,
                                     body=body, link=link, status=OutboxMessage.Status.SENT, sent_at=timezone.now())
    login_in_browser(page, live_server, tenant_a.merchant, member.phone)
    page.wait_for_selector(".tiles")
    tile = page.locator("a.tile[href='/m/alpha/inbox/']")
    assert tile.locator(".tile-value").inner_text() == "2"
    tile.click()
    page.wait_for_selector("#inbox-list")
    assert page.locator(".inbox-item.unread").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path="var/test-inbox-390.png", full_page=True)
    page.click("text=会员日")
    page.wait_for_selector("#inbox-message")
    assert page.get_attribute("#inbox-link", "href") == "/m/alpha/coupons/"
    page.screenshot(path="var/test-inbox-message-390.png", full_page=True)
    page.go_back()
    page.reload()
    assert page.locator(".inbox-item.unread").count() == 1


def test_the_inbox_at_desktop_width(page, browser, live_server, transactional_db, tenant_a):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    wide = context.new_page()
    OutboxMessage.objects.create(merchant=tenant_a.merchant, member=tenant_a.member, channel=OutboxMessage.Channel.SMS,
                                 kind=OutboxMessage.Kind.MARKETING, recipient=tenant_a.member.phone,
                                 body="【Merchant alpha】送您一张优惠券：10 off 100", status=OutboxMessage.Status.SENT,
                                 sent_at=timezone.now())
    login_in_browser(wide, live_server, tenant_a.merchant, tenant_a.member.phone)
    wide.wait_for_selector(".tiles")
    wide.goto(f"{live_server.url}/m/alpha/inbox/")
    wide.wait_for_selector("#inbox-list")
    assert "短信" in wide.inner_text("#inbox-list")
    wide.screenshot(path="var/test-inbox-desktop.png", full_page=True)
    context.close()
