"""Planning a mass send of a punch card in the admin, in a real browser, phone-wide and desktop."""

import pytest
from django.urls import reverse

from coupons.models import CouponIssuance
from merchants.roles import sync_role_groups
from tests.conftest import PASSWORD
from tests.coupons.helpers import make_members
from tests.punchcards.helpers import make_product

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1280])
def test_a_manager_plans_a_punch_card_send_in_the_admin(browser, live_server, transactional_db, tenant_a, width):
    sync_role_groups()
    make_members(tenant_a.merchant, 2)
    product = make_product(tenant_a.merchant)
    page = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN").new_page()
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("input[name=username]", tenant_a.manager.user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.goto(live_server.url + reverse("admin:coupons_couponissuance_add"))
    page.click("input[name=_save]")
    page.wait_for_selector(".errornote")
    assert "请选择一个优惠券模板，或至少添加一项要赠送的权益。" in page.inner_text("body")
    page.screenshot(path=f"/tmp/mass-send-refused-{width}.png", full_page=True)
    page.click("#benefits-group .add-row a")
    page.select_option("select[name=benefits-0-kind]", "punch_card")
    page.select_option("select[name=benefits-0-punch_card_product]", str(product.pk))
    page.fill("input[name=benefits-0-quantity]", "1")
    page.click("input[name=_save]")
    page.wait_for_selector("#result_list")
    issuance = CouponIssuance.objects.get()
    assert issuance.template is None and list(issuance.benefits.values_list("kind", flat=True)) == ["punch_card"]
    page.goto(live_server.url + reverse("admin:coupons_couponissuance_change", args=[issuance.pk]))
    assert product.name in page.inner_text("body")
    page.screenshot(path=f"/tmp/mass-send-planned-{width}.png", full_page=True)
    page.context.close()
