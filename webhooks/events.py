"""The webhooks app's events (loyalty.events): a test sent by the owner, an endpoint disabled for failing."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from loyalty.events import EventKind, record_event
from loyalty.models import Event
from webhooks.models import Endpoint

WEBHOOK_TEST = EventKind("webhook.test", _("webhook test"))
ENDPOINT_DISABLED = EventKind("webhook_endpoint.disabled", _("webhook endpoint disabled"))

KINDS = [WEBHOOK_TEST, ENDPOINT_DISABLED]
# Sent to one chosen endpoint or about the endpoint itself: nobody subscribes to them.
NOT_SUBSCRIBABLE = {kind.code for kind in KINDS}


def webhook_test(endpoint: Endpoint, *, staff: AbstractBaseUser | None) -> Event:
    """The owner asked for a test delivery: a receiver sees the shape and checks its signature code."""
    return record_event(WEBHOOK_TEST, endpoint, staff=staff, data={"url": endpoint.url})


def endpoint_disabled(endpoint: Endpoint, *, failing_since) -> Event:
    return record_event(ENDPOINT_DISABLED, endpoint,
                        data={"url": endpoint.url, "failing_since": failing_since,
                              "changes": {"status": [Endpoint.Status.ACTIVE, Endpoint.Status.DISABLED]}})
