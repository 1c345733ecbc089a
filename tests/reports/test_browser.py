"""An owner runs the business from the console in headless Chromium: the dashboard with figures and a chart, the
coupon report filtered by store and date, and its Excel file. Screenshots of the dashboard at a phone's 390 px and
a desktop's width are kept under var/test-artefacts/ (or SCREENSHOTS_DIR) for people to look at."""

import datetime
import io
import os
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from coupons import services as coupons
from loyalty.replica import REPLICA_ALIAS
from loyalty.usable_cards import merchant_zone
from tests.conftest import PASSWORD
from tests.coupons.helpers import make_members, make_template, paid_days_ago

# The live server reads the dashboard and the reports through the replica alias (a mirror of the test database).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)]
ARTEFACTS = Path(os.environ.get("SCREENSHOTS_DIR", settings.BASE_DIR / "var" / "test-artefacts"))
WIDTHS = {"phone": 390, "desktop": 1280}
D = Decimal


@pytest.fixture
def shop(tenant_a):
    """Two weeks of payments at both stores; 满100减10 redeemed twice at the main store, once at the second."""
    members = make_members(tenant_a.merchant, 3)
    for day in range(14):
        paid_days_ago(members[day % 3], day, f"{60 + 5 * day}.00")
    template = make_template(tenant_a.merchant, name="满100减10", per_member_limit=3)
    for member, store in ((members[0], tenant_a.store), (members[1], tenant_a.store),
                          (members[2], tenant_a.other_store)):
        coupons.redeem_coupon(coupons.claim_coupon(template, member), bill_amount=D("120.00"), store=store)
    return tenant_a


def _log_in(page, live_server, user):
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#dashboard")


def _shot(page, name: str, *, full_page: bool = True) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(f"screenshot: {path}")
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_an_owner_sees_the_dashboard_then_exports_the_filtered_coupon_report(browser, live_server, shop, width):
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900}, locale="en-US",
                                  accept_downloads=True, extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    try:
        _log_in(page, live_server, shop.owner.user)
        assert "¥" in page.inner_text("#tile-payments")
        assert page.locator("#dashboard-trend polyline.series").count() == 2
        assert "满100减10" in page.inner_text("#top-coupons")
        _shot(page, f"dashboard-{width}")
        _shot(page, f"dashboard-{width}-first-screen", full_page=False)
        if width == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]

        page.click("#reports-link")
        page.click("a[data-report=coupons]")
        page.wait_for_selector("#report-table")
        today = timezone.localtime(timezone.now(), merchant_zone(shop.merchant)).date()
        page.fill("#id_start", (today - datetime.timedelta(days=6)).isoformat())
        page.fill("#id_end", today.isoformat())
        page.check(f"#report-stores input[value='{shop.store.pk}']")
        page.click("#report-apply")
        page.wait_for_selector("#report-table")
        row = page.inner_text("#report-table tbody tr")
        assert "满100减10" in row and "20.00" in row  # two redemptions at the main store, 10.00 off each
        _shot(page, f"coupon-report-{width}")
        with page.expect_download() as download:
            page.click("a.export-link:has-text('Excel')")
        workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
        rows = list(workbook.active.values)
        assert rows[0][0] == "coupon template" and rows[1][0] == "满100减10"
        assert rows[-1][0] == "total" and len(rows) == 3
    finally:
        context.close()
