"""A member's punch card pages in a real browser, phone-wide and desktop: my cards, the card with its QR code,
sharing it with a co-user, the shelf."""

import pytest
from django.urls import reverse

from cards.punchcards import services
from tests.browser.test_member_login_browser import login_in_browser
from tests.punchcards.helpers import make_product

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280])
def test_my_cards_the_card_and_sharing_it(browser, live_server, transactional_db, tenant_a, width):
    card = services.sell_card(make_product(tenant_a.merchant), tenant_a.member, store=tenant_a.store)
    services.record_use(card, store=tenant_a.store, count=2)
    page = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN").new_page()
    login_in_browser(page, live_server, tenant_a.merchant, tenant_a.member.phone)
    page.wait_for_selector("#member-qr svg")
    page.goto(live_server.url + reverse("punchcards:my-cards", args=[tenant_a.merchant.slug]))
    assert "剩余 8 次" in page.inner_text("#my-cards")
    page.screenshot(path=f"/tmp/punch-my-cards-{width}.png", full_page=True)
    page.click(f"#my-cards a[data-card='{card.pk}']")
    page.wait_for_selector("#card-summary #member-qr svg")
    page.fill("#co-phone", "13712345678")
    page.fill("#co-name", "女儿")
    page.click("#co-user-form button[type=submit]")
    page.wait_for_selector("#co-users li:has-text('女儿')")
    assert page.locator("#card-uses li").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"/tmp/punch-detail-{width}.png", full_page=True)
    page.goto(live_server.url + reverse("punchcards:shelf", args=[tenant_a.merchant.slug]))
    page.wait_for_selector(".shelf-item")
    page.screenshot(path=f"/tmp/punch-shelf-{width}.png", full_page=True)
    page.context.close()
