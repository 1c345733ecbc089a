"""An owner subscribes an endpoint in the admin, copies the secret shown once, and reads the delivery log."""

import pytest
from django.urls import reverse

from merchants import services as merchants
from tests.conftest import PASSWORD
from tests.webhooks.receiver import Reply
from webhooks import services
from webhooks.models import Delivery, Endpoint

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("local_targets")]


def _log_in(page, live_server, staff):
    page.goto(live_server.url + reverse("admin:login"))
    page.fill("#id_username", staff.user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#content")


@pytest.mark.parametrize("width", [390, 1280])
def test_an_owner_subscribes_and_reads_the_delivery_log(page, live_server, transactional_db, tenant_a, receiver,
                                                        width):
    page.set_viewport_size({"width": width, "height": 900})
    _log_in(page, live_server, tenant_a.owner)
    page.goto(live_server.url + reverse("admin:webhooks_endpoint_add"))
    page.fill("#id_url", receiver.url())
    page.fill("#id_description", "ERP 订单同步")
    page.check("input[name=event_types][value='member.joined']")
    page.check("input[name=event_types][value='payment.made']")
    page.screenshot(path=f"/tmp/webhooks-endpoint-add-{width}.png", full_page=True)
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    endpoint = Endpoint.objects.get(merchant=tenant_a.merchant)
    assert endpoint.secret in page.inner_text(".messagelist")
    page.screenshot(path=f"/tmp/webhooks-endpoint-list-{width}.png", full_page=True)

    receiver.replies.append(Reply(503, "维护中".encode()))
    merchants.join_member(tenant_a.merchant, "13900000001", name="李雷")
    services.deliver_due(endpoint.pk)
    delivery = Delivery.objects.get(endpoint=endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
    services.deliver_due(endpoint.pk)
    page.goto(live_server.url + reverse("admin:webhooks_delivery_changelist"))
    page.screenshot(path=f"/tmp/webhooks-deliveries-{width}.png", full_page=True)
    page.goto(live_server.url + reverse("admin:webhooks_delivery_change", args=[delivery.pk]))
    text = page.inner_text("#content")
    assert "503" in text and "维护中" in text and "李雷" in text
    page.screenshot(path=f"/tmp/webhooks-delivery-{width}.png", full_page=True)
