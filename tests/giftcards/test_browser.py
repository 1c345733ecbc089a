"""In headless Chromium: buy two gift cards from a theme through the sandbox, send one to a friend who claims
and activates it, and pay a self-pay bill with the other."""

from decimal import Decimal

import pytest
from django.urls import reverse

from cards.giftcards.models import GiftCard
from checkout.models import Payment
from merchants import services as merchants
from tests.browser.test_member_login_browser import login_in_browser
from tests.conftest import PASSWORD
from tests.giftcards.helpers import buy, make_face_value, make_theme

pytestmark = pytest.mark.browser
D = Decimal


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _shoot(page, name: str) -> None:
    """The page at 390 px (as the member sees it) and on a desktop screen."""
    page.set_viewport_size({"width": 390, "height": 844})
    _fits(page, 390)
    page.screenshot(path=f"var/giftcards-{name}-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=f"var/giftcards-{name}-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})


def test_buy_two_send_one_to_a_friend_and_pay_a_bill_with_the_other(page, browser, live_server, transactional_db,
                                                                   tenant_a):
    merchant = tenant_a.merchant
    value = make_face_value(merchant, amount="200.00", price="180.00", name="200元记名卡", needs_phone=True)
    make_theme(merchant, value, name="生日快乐", greeting="祝你生日快乐！")
    friend = merchants.join_member(merchant, "13800000099", name="好友")
    page.set_viewport_size({"width": 390, "height": 844})
    login_in_browser(page, live_server, merchant, tenant_a.member.phone)
    page.wait_for_selector("#member-qr svg")

    page.goto(live_server.url + reverse("giftcards:centre", args=[merchant.slug]))
    assert "不退不换" in page.inner_text("main")
    _shoot(page, "centre")
    page.fill("input[name=quantity]", "2")
    page.click("section.theme button[type=submit]")
    page.wait_for_selector("#sandbox-payment")
    assert "360.00" in page.inner_text("#sandbox-amount")
    page.click("#sandbox-pay")
    page.wait_for_selector("a.gift-card")
    assert page.locator("a.gift-card[data-status=not_activated]").count() == 2
    _shoot(page, "mine")
    first, second = GiftCard.objects.filter(holder=tenant_a.member).order_by("pk")

    # The first goes to a friend by a link with the theme's greeting.
    page.goto(live_server.url + reverse("giftcards:card", args=[merchant.slug, first.pk]))
    page.click("#send-form button[type=submit]")
    gift_url = page.inner_text("#gift-url").strip()
    _shoot(page, "sending")
    friends = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    friend_page = friends.new_page()
    login_in_browser(friend_page, live_server, merchant, friend.phone)
    friend_page.wait_for_selector("#member-qr svg")
    friend_page.goto(gift_url)
    assert "祝你生日快乐" in friend_page.inner_text("main")
    _shoot(friend_page, "gift")
    friend_page.click("#claim-form button[type=submit]")
    friend_page.wait_for_selector("#activate-form")
    friend_page.click("#activate-form button[type=submit]")
    friend_page.wait_for_selector("#gift-code")
    received = GiftCard.objects.get(holder=friend)
    assert (received.status, received.holder_phone, received.balance) == ("active", friend.phone, D("200.00"))
    assert GiftCard.objects.get(pk=first.pk).status == "sent"
    friends.close()

    # The other is activated by its buyer and pays a self-pay bill.
    page.goto(live_server.url + reverse("giftcards:card", args=[merchant.slug, second.pk]))
    page.click("#activate-form button[type=submit]")
    page.wait_for_selector("#gift-code")
    _shoot(page, "card")
    page.goto(live_server.url + reverse("checkout:pay", args=[merchant.slug, tenant_a.store.pk]))
    page.wait_for_selector("#pay-amount")
    page.check(f"input[name=gift_cards][value='{second.code}']")
    page.fill("#pay-amount", "88.00")
    page.wait_for_function("document.getElementById('quote-due').textContent === '¥88.00'")
    assert second.masked_code in page.inner_text("#quote-tenders")
    _shoot(page, "self-pay")
    page.click("#pay-button")
    page.wait_for_selector("#payment-result")
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PAID and payment.gateway_payment_id is None
    assert GiftCard.objects.get(pk=second.pk).balance == D("112.00")


def test_the_admin_shows_the_cards_with_their_figures(page, live_server, transactional_db, tenant_a):
    buy(tenant_a.member, amount="100.00", price="90.00", quantity=2)
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("input[name=username]", tenant_a.owner.user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.goto(live_server.url + reverse("admin:giftcards_giftcard_changelist"))
    page.wait_for_selector("#gift-card-figures")
    assert "180.00" in page.inner_text("#gift-card-figures")
    _shoot(page, "admin-cards")
