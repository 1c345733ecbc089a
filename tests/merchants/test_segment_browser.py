"""A manager builds a segment in the admin in a real browser and watches the live count follow the conditions."""

import pytest
from django.urls import reverse

from merchants.models import MemberTag, Segment
from tests.conftest import PASSWORD
from tests.coupons.helpers import make_members

pytestmark = pytest.mark.browser


def _count_is(page, expected: str) -> None:
    page.wait_for_function("([want]) => document.getElementById('segment-count').dataset.count === want",
                           arg=[expected])


@pytest.mark.parametrize("width", [390, 1280])
def test_the_live_count_follows_the_conditions_as_they_are_edited(browser, live_server, transactional_db, tenant_a,
                                                                   width):
    tag = MemberTag.objects.create(merchant=tenant_a.merchant, name="VIP")
    members = make_members(tenant_a.merchant, 3)
    for member in members[:2]:
        member.tags.add(tag)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", tenant_a.manager.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(live_server.url + reverse("admin:merchants_segment_add"))
    _count_is(page, "4")
    # Only the chosen filter's parameters are shown.
    assert not page.is_visible("#id_clauses-0-tag__tag")
    page.select_option("#id_clauses-0-filter", "tag")
    assert page.is_visible("#id_clauses-0-tag__tag") and not page.is_visible("#id_clauses-0-inactive__days")
    page.select_option("#id_clauses-0-tag__tag", str(tag.pk))
    _count_is(page, "2")
    page.fill("#id_name", "VIPs")
    page.screenshot(path=f"var/test-segment-count-{width}.png", full_page=True)
    page.select_option("#id_clauses-0-filter", "inactive")
    _count_is(page, "")
    assert "required" in page.inner_text("#segment-count [data-errors]")
    page.screenshot(path=f"var/test-segment-invalid-{width}.png", full_page=True)
    page.fill("#id_clauses-0-inactive__days", "30")
    _count_is(page, "0")
    page.select_option("#id_clauses-0-filter", "tag")
    _count_is(page, "2")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    segment = Segment.objects.get(name="VIPs")
    assert [(c.filter, c.params) for c in segment.clauses.all()] == [("tag", {"tag": str(tag.pk)})]
    # The change page counts the saved conditions at once.
    _count_is(page, "2")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()
