"""A member logs in with a one-time code in a real browser and sees the home page with their QR code."""

import re

import pytest

from loyalty.models import OutboxMessage
from tests.browser.helpers import answer_login_form

pytestmark = pytest.mark.browser


def login_in_browser(page, live_server, merchant, phone):
    """Drive the real login form: type the phone, read the texted code from the outbox, type it."""
    page.goto(f"{live_server.url}/m/{merchant.slug}/login/")
    answer_login_form(page, phone)


def test_member_logs_in_with_a_texted_code_and_sees_home(page, live_server, transactional_db, tenant_a):
    login_in_browser(page, live_server, tenant_a.merchant, tenant_a.member.phone)
    page.wait_for_selector("#member-qr svg")
    assert page.url.endswith(f"/m/{tenant_a.merchant.slug}/")
    assert tenant_a.member.name in page.inner_text("main")
    assert page.is_visible("#member-qr svg")
    # Mobile first: nothing wider than a 360 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="var/test-member-home.png", full_page=True)


def test_a_wrong_code_shows_an_error_in_the_page(page, live_server, transactional_db, tenant_a):
    page.goto(f"{live_server.url}/m/{tenant_a.merchant.slug}/login/")
    page.fill("input[name=phone]", tenant_a.member.phone)
    page.click("#phone-form button[type=submit]")
    page.wait_for_selector("#code-form")
    code = re.search(r"\d{6}", OutboxMessage.objects.latest("pk").body).group()
    page.fill("input[name=code]", "000000" if code != "000000" else "111111")
    page.click("#code-form button[type=submit]")
    page.wait_for_selector("#code-form .error")  # the form comes back with the message, not a new page
    assert "/login/" in page.url
