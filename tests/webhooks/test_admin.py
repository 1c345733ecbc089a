"""Webhooks in the admin: owners only; the secret shown once; rotation, a test event and replay as actions."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from merchants import services as merchants
from tests.conftest import staff_client
from tests.webhooks.helpers import subscribe
from webhooks.models import Delivery, Endpoint

ADD = reverse("admin:webhooks_endpoint_add")
ENDPOINTS = reverse("admin:webhooks_endpoint_changelist")
DELIVERIES = reverse("admin:webhooks_delivery_changelist")


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_an_owner_subscribes_and_sees_the_secret_once(client, tenant_a, in_english):
    staff_client(client, tenant_a.owner)
    response = client.post(ADD, {"merchant": tenant_a.merchant.pk, "url": "https://93.184.215.14/erp",
                                 "description": "ERP", "event_types": ["payment.made", "member.joined"],
                                 "status": "active"}, follow=True)
    endpoint = Endpoint.objects.get(merchant=tenant_a.merchant)
    assert endpoint.event_types == ["member.joined", "payment.made"]
    [shown] = [m for m in _messages(response) if "signing secret" in m]
    assert endpoint.secret in shown
    page = client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in page and endpoint.secret[:10] in page


def test_a_private_address_is_refused_in_the_form_with_the_services_message(client, tenant_a, in_english):
    staff_client(client, tenant_a.owner)
    response = client.post(ADD, {"merchant": tenant_a.merchant.pk, "url": "http://169.254.169.254/latest",
                                 "event_types": ["payment.made"], "status": "active"})
    assert response.status_code == 200
    assert "private, loopback or link-local" in response.content.decode()
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("role", ["manager", "cashier"])
def test_managers_and_cashiers_see_no_webhooks(client, tenant_a, role):
    endpoint, _secret = subscribe(tenant_a.merchant, "https://93.184.215.14/erp", "member.joined")
    staff_client(client, getattr(tenant_a, role))
    assert client.get(ENDPOINTS).status_code == 403
    assert client.get(DELIVERIES).status_code == 403
    assert client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])).status_code == 403


def test_rotating_shows_the_new_secret_and_keeps_the_old_one_signing(client, tenant_a, in_english):
    endpoint, old = subscribe(tenant_a.merchant, "https://93.184.215.14/erp", "member.joined")
    staff_client(client, tenant_a.owner)
    response = client.post(ENDPOINTS, {"action": "rotate", "_selected_action": [endpoint.pk]}, follow=True)
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == old and endpoint.secret != old
    assert any(endpoint.secret in message for message in _messages(response))


def test_replaying_from_the_log_queues_the_chosen_deliveries(client, tenant_a, in_english):
    endpoint, _secret = subscribe(tenant_a.merchant, "https://93.184.215.14/erp", "member.joined")
    merchants.join_member(tenant_a.merchant, "13900000001")
    delivery = Delivery.objects.get(endpoint=endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, next_attempt_at=None,
                                                   retries_used=7)
    staff_client(client, tenant_a.owner)
    log = client.get(DELIVERIES, {"status__exact": "failed"})
    assert [row.pk for row in log.context["cl"].result_list] == [delivery.pk]
    response = client.post(DELIVERIES + "?status__exact=failed",
                           {"action": "replay_selected", "_selected_action": [delivery.pk]}, follow=True)
    assert "1 delivery queued again." in _messages(response)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.retries_used) == (Delivery.Status.PENDING, 0)
    assert client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk])).status_code == 200


def test_a_test_event_from_the_admin_is_queued_for_the_endpoint(client, tenant_a, in_english):
    endpoint, _secret = subscribe(tenant_a.merchant, "https://93.184.215.14/erp", "member.joined")
    staff_client(client, tenant_a.owner)
    client.post(ENDPOINTS, {"action": "send_test", "_selected_action": [endpoint.pk]})
    assert list(Delivery.objects.filter(endpoint=endpoint).values_list("kind", flat=True)) == ["webhook.test"]
