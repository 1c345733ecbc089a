"""A member buys a time card on the member pages through the sandbox and sees it; a cashier records a visit in
the admin after seeing the card and the member; the member finds the visit in the usage detail."""

import pytest
from django.urls import reverse

from cards.timecards.models import TimeCard, TimeCardUse
from tests.browser.test_member_login_browser import login_in_browser
from tests.conftest import PASSWORD
from tests.timecards.helpers import make_tier

pytestmark = pytest.mark.browser


def test_buy_a_time_card_then_the_cashier_records_a_visit_and_the_member_sees_it(
        page, browser, live_server, transactional_db, tenant_a):
    tier = make_tier(tenant_a.merchant, days=30, price="199.00")
    login_in_browser(page, live_server, tenant_a.merchant, tenant_a.member.phone)
    page.wait_for_selector("#member-qr svg")
    page.goto(live_server.url + reverse("timecards:shelf", args=[tenant_a.merchant.slug]))
    page.screenshot(path="/tmp/timecard-shelf.png", full_page=True)
    page.click(f"form.tier[data-tier='{tier.pk}'] button[type=submit]")
    page.wait_for_selector("#sandbox-payment")
    assert "199.00" in page.inner_text("#sandbox-amount")
    page.click("#sandbox-pay")
    page.wait_for_selector("#card-summary #member-qr svg")
    assert "30" in page.inner_text("#card-remaining")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card = TimeCard.objects.get(member=tenant_a.member)
    assert card.status == "active"
    page.goto(live_server.url + reverse("punchcards:my-cards", args=[tenant_a.merchant.slug]))
    assert page.locator(f"#my-cards a[data-kind=time][data-card='{card.pk}']").is_visible()
    page.screenshot(path="/tmp/my-cards.png", full_page=True)

    cashier = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    cashier.goto(live_server.url + reverse("admin:login"))
    cashier.fill("#id_username", tenant_a.cashier.user.username)
    cashier.fill("#id_password", PASSWORD)
    cashier.click("input[type=submit]")
    cashier.goto(live_server.url + reverse("admin:punchcards_punchcard_redeem"))
    cashier.fill("#id_code", tenant_a.member.phone)
    cashier.select_option("#id_store", str(tenant_a.store.pk))
    cashier.click("#find-card-form input[type=submit]")
    found = cashier.locator(f"#found-time-{card.pk}")
    found.wait_for()
    assert tenant_a.member.masked_phone in found.inner_text()
    cashier.screenshot(path="/tmp/card-redeem.png", full_page=True)
    found.locator("input[name=confirm]").click()
    cashier.wait_for_selector(".messagelist .success")
    use = TimeCardUse.objects.get(member=tenant_a.member)
    assert (use.store, use.staff) == (tenant_a.store, tenant_a.cashier.user)

    page.goto(live_server.url + reverse("timecards:detail", args=[tenant_a.merchant.slug, card.pk]))
    assert tenant_a.store.name in page.inner_text("#card-uses")
    page.screenshot(path="/tmp/timecard-detail.png", full_page=True)
