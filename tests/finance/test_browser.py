"""An owner reconciles in Chromium: uploads a WeChat Pay statement, sees the mismatches in red, opens the
settlement and downloads the Excel file; at a phone's 390 px and at a desktop's width. Screenshots go to
SCREENSHOTS for people to look at."""

import os

import pytest
from django.urls import reverse

from finance.demo import wechat_bill
from loyalty.replica import REPLICA_ALIAS
from loyalty.usable_cards import merchant_zone
from tests.backoffice.test_browser import SCREENSHOTS, WIDTHS, _log_in, _shot
from tests.finance.helpers import a_day_by_cashier, a_day_of_payments

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)]


@pytest.mark.parametrize("width", WIDTHS)
def test_an_owner_uploads_a_statement_and_sees_what_does_not_match(browser, live_server, tenant_a, tmp_path, width):
    day = a_day_of_payments(tenant_a)
    at = day.wechat.created_at.astimezone(merchant_zone(tenant_a.merchant))
    bill = tmp_path / "wechat.csv"
    bill.write_bytes(wechat_bill([(at, "T-1", day.wechat.number, "90.00"), (at, "T-404", "", "18.00")]))
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900}, locale="zh-CN",
                                  accept_downloads=True)
    page = context.new_page()
    try:
        _log_in(page, live_server, tenant_a.owner.user)
        page.goto(live_server.url + reverse("admin:finance_statement_upload"))
        page.set_input_files("#id_file", str(bill))
        _shot(page, "finance-upload", width)
        page.click("#upload-form input[type=submit]")
        page.wait_for_selector("#report-table")
        assert page.locator("#report-table tr.mismatch").count() == 1
        assert "T-404" in page.inner_text("#report-table tr.mismatch")
        assert "108.00" in page.inner_text("#report-totals")  # what the statement lists: 90.00 + 18.00
        _shot(page, "finance-matching", width)

        a_day_by_cashier(tenant_a)  # after the matching: its WeChat payment is not in the statement
        page.goto(live_server.url + reverse("admin:finance_settlement"))
        page.check(f"#report-filter input[value='{tenant_a.store.pk}']")
        page.click("#report-filter button[type=submit]")
        page.wait_for_selector("#report-table")
        assert "75.79" in page.inner_text("#report-table")
        assert tenant_a.cashier.user.username in page.inner_text("#report-table")  # the settlement per cashier
        assert "自助买单" in page.inner_text("#report-table")  # self-pay, its own row
        assert tenant_a.other_store.name not in page.inner_text("#report-table")
        _shot(page, "finance-settlement", width)
        with page.expect_download() as download:
            page.click("#export-xlsx")
        assert download.value.suggested_filename.endswith(".xlsx")
        assert os.path.getsize(download.value.path()) > 0

        page.goto(live_server.url + reverse("admin:finance_liabilities"))
        page.wait_for_selector("#report-table")
        _shot(page, "finance-liabilities", width)
    finally:
        context.close()
    assert os.path.exists(f"{SCREENSHOTS}/finance-matching-{width}.png")
