"""Server-side request forgery: webhooks go only to public addresses, checked on every hop and connected to
by the checked IP, unless the operator allowed a private network (the tests allow 127.0.0.1 alone)."""

from __future__ import annotations

import socket

import pytest

from loyalty.errors import DomainError
from merchants import services as merchants
from tests.webhooks.helpers import subscribe
from tests.webhooks.receiver import Reply
from webhooks import services, targets
from webhooks.models import Delivery, DeliveryAttempt
from webhooks.targets import TargetRefused


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://127.8.0.1:8080/hook", "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/hook", "http://172.16.5.4/", "http://192.168.1.10/", "http://100.64.0.1/",
    "http://[::1]/hook", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://localhost/x",
    "ftp://93.184.215.14/", "file:///etc/passwd", "http://user:pw@93.184.215.14/",
])
def test_private_loopback_link_local_and_odd_addresses_are_refused_when_entered(tenant_a, url):
    with pytest.raises(DomainError) as refused:
        services.create_endpoint(tenant_a.merchant, url=url, event_types=["member.joined"])
    assert (refused.value.code, refused.value.field) == ("webhook_url_refused", "url")


def test_a_public_address_is_accepted(tenant_a):
    endpoint, secret = services.create_endpoint(tenant_a.merchant, url="https://93.184.215.14/hooks",
                                                event_types=["payment.made"])
    assert secret.startswith("whsec_") and endpoint.secret == secret


def _resolving(monkeypatch, names: dict[str, str]):
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake)


def test_a_name_resolving_to_a_private_address_is_refused_when_sending_and_not_retried(tenant_a, monkeypatch,
                                                                                      in_english):
    _resolving(monkeypatch, {"erp.example": "10.0.0.5", "meta.example": "169.254.169.254"})
    for name in ("erp.example", "meta.example"):
        endpoint, _secret = subscribe(tenant_a.merchant, f"https://{name}/hook", "member.joined")
        merchants.join_member(tenant_a.merchant, f"1390000{len(name):04d}")
        services.deliver_due(endpoint.pk)
        attempt = DeliveryAttempt.objects.get(delivery__endpoint=endpoint)
        assert (attempt.outcome, attempt.status_code) == ("failed", None)
        assert "private" in attempt.error


def test_the_request_connects_to_the_address_that_was_checked(tenant_a, receiver, local_targets, monkeypatch):
    """The name is resolved once; the connection goes to that IP with the name in the Host header, so a DNS
    answer changed after the check (rebinding) is never used."""
    _resolving(monkeypatch, {"hooks.example": "127.0.0.1"})
    endpoint, _secret = subscribe(tenant_a.merchant, f"http://hooks.example:{receiver.port}/hook", "member.joined")
    merchants.join_member(tenant_a.merchant, "13900000001")
    assert services.deliver_due(endpoint.pk).succeeded == 1
    assert receiver.received[0].headers["host"] == f"hooks.example:{receiver.port}"


@pytest.mark.parametrize("location", ["http://169.254.169.254/latest/meta-data", "http://10.1.2.3/hook",
                                      "http://127.0.0.2/hook", "http://[::1]/hook"])
def test_a_redirect_to_a_private_address_is_not_followed(tenant_a, receiver, local_targets, location, in_english):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    merchants.join_member(tenant_a.merchant, "13900000001")
    receiver.replies.append(Reply(307, b"", headers={"location": location}))
    services.deliver_due(endpoint.pk)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert (delivery.status, len(receiver.received)) == (Delivery.Status.FAILED, 1)
    assert "private" in delivery.last_error


def test_a_redirect_to_an_allowed_address_is_followed_with_the_same_body(tenant_a, receiver, local_targets):
    endpoint, _secret = subscribe(tenant_a.merchant, receiver.url(), "member.joined")
    merchants.join_member(tenant_a.merchant, "13900000001")
    receiver.replies.append(Reply(308, b"", headers={"location": "/moved"}))
    assert services.deliver_due(endpoint.pk).succeeded == 1
    first, second = receiver.received
    assert (second.path, second.body, second.headers["webhook-id"]) == ("/moved", first.body,
                                                                         first.headers["webhook-id"])


def test_without_the_operator_setting_even_the_local_receiver_is_refused(tenant_a, receiver, settings):
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = []
    with pytest.raises(TargetRefused):
        targets.resolve(receiver.url())
