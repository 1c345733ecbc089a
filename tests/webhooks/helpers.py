"""Builders for webhook tests."""

from __future__ import annotations

from webhooks import services
from webhooks.models import Delivery, Endpoint


def subscribe(merchant, url: str, *types: str, status: str = Endpoint.Status.ACTIVE) -> tuple[Endpoint, str]:
    return services.create_endpoint(merchant, url=url, event_types=list(types or ["member.joined"]), status=status)


def deliveries(endpoint: Endpoint) -> list[Delivery]:
    return list(Delivery.objects.filter(endpoint=endpoint).order_by("event_id"))
