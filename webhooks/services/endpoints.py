"""Endpoints and the deliveries queued for them, in the transaction of the event they carry."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.config_cache import cached, forget, shape
from loyalty.errors import DomainError
from loyalty.events import event_kinds
from loyalty.models import Event
from webhooks import errors, events, signing
from webhooks.models import Delivery, Endpoint
from webhooks.targets import TargetRefused, check_url_shape

# A rotated-out secret still signs for this long, so receivers switch without losing a message.
SECRET_OVERLAP = datetime.timedelta(hours=24)
QUEUED_STATUSES = (Endpoint.Status.ACTIVE, Endpoint.Status.PAUSED)


def subscribable_kinds() -> list[tuple[str, str]]:
    """The event types an endpoint may choose: every registered kind, so a new app's events appear by themselves."""
    return [(code, label) for code, label in event_kinds.choices() if code not in events.NOT_SUBSCRIBABLE]


def subscriptions_key(merchant_id: int) -> str:
    return f"webhooks:subscriptions:{merchant_id}:{shape(Endpoint)}"


def subscriptions(merchant_id: int) -> dict[int, list[str]]:
    """{endpoint id: event types} of the merchant's endpoints that queue events, from the cache: a payment at
    a merchant without webhooks costs no query for them."""
    return cached(subscriptions_key(merchant_id), lambda: dict(
        Endpoint.objects.filter(merchant_id=merchant_id, status__in=QUEUED_STATUSES).values_list("pk", "event_types")))


def forget_subscriptions(merchant_id: int) -> None:
    """For changes made with QuerySet.update, which saving signals do not see (apps.py forgets on save)."""
    forget([subscriptions_key(merchant_id)])


def encode_payload(event: Event) -> str:
    """The body every attempt sends, written once: compact JSON, Chinese kept as it is."""
    return json.dumps(event.payload(), cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _kick(endpoint_ids: Iterable[int]) -> None:
    from webhooks.tasks import deliver_endpoint

    for endpoint_id in sorted(set(endpoint_ids)):
        deliver_endpoint.delay(endpoint_id)


def queue_deliveries(event: Event) -> list[Delivery]:
    """A delivery for each endpoint subscribed to the event's kind, in the event's transaction (from its signal)."""
    targets = [pk for pk, kinds in subscriptions(event.merchant_id).items() if event.kind in kinds]
    if not targets:
        return []
    body = encode_payload(event)
    created = Delivery.objects.bulk_create([
        Delivery(merchant_id=event.merchant_id, endpoint_id=pk, event=event, kind=event.kind, body=body,
                 next_attempt_at=event.created_at, created_at=event.created_at)
        for pk in targets])
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        # With a worker, the first attempt goes out at once; without one (eager mode) the request that
        # made the change must not wait on a merchant's server, so beat's dispatcher sends it.
        transaction.on_commit(lambda: _kick(targets))
    return created


def check_endpoint(url: str, event_types: list[str]) -> None:
    """Refuse an address webhooks may not go to, or an event type nobody records."""
    try:
        check_url_shape(url)
    except TargetRefused as refused:
        raise DomainError(errors.URL_REFUSED, str(refused), field="url") from None
    known = {code for code, _label in subscribable_kinds()}
    unknown = sorted(set(event_types) - known)
    if unknown:
        raise DomainError(errors.EVENT_TYPE_UNKNOWN, _("Unknown event types: %(types)s.") % {
            "types": ", ".join(unknown)}, field="event_types")


@transaction.atomic
def create_endpoint(merchant: models.Model, *, url: str, event_types: list[str], description: str = "",
                    status: str = Endpoint.Status.ACTIVE) -> tuple[Endpoint, str]:
    """Subscribe an address; returns the endpoint and its secret, which is shown to the owner this once."""
    check_endpoint(url, event_types)
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(merchant=merchant, url=url, description=description,
                                       event_types=sorted(set(event_types)), status=status, secret=secret)
    return endpoint, secret


@transaction.atomic
def update_endpoint(endpoint: Endpoint, *, url: str, event_types: list[str], description: str,
                    status: str) -> Endpoint:
    """Change what an endpoint receives; making it active again forgets its failures, so it is tried at once."""
    check_endpoint(url, event_types)
    endpoint.url, endpoint.description, endpoint.event_types = url, description, sorted(set(event_types))
    fields = ["url", "description", "event_types", "status"]
    if status == Endpoint.Status.ACTIVE and endpoint.status != Endpoint.Status.ACTIVE:
        endpoint.failing_since = endpoint.circuit_open_until = endpoint.disabled_at = None
        endpoint.consecutive_failures = 0
        fields += ["failing_since", "circuit_open_until", "disabled_at", "consecutive_failures"]
    endpoint.status = status
    endpoint.save(update_fields=fields)
    return endpoint


def rotate_secret(endpoint: Endpoint, *, now: datetime.datetime | None = None) -> str:
    """A new secret signs from now on; the old one signs beside it for SECRET_OVERLAP. Returns the new one."""
    now = now or timezone.now()
    secret = signing.new_secret()
    with transaction.atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret, locked.previous_secret_until = locked.secret, now + SECRET_OVERLAP
        locked.secret = secret
        locked.save(update_fields=["previous_secret", "previous_secret_until", "secret"])
    endpoint.previous_secret, endpoint.previous_secret_until = locked.previous_secret, locked.previous_secret_until
    endpoint.secret = secret
    return secret


def secrets_in_use(endpoint: Endpoint, now: datetime.datetime) -> list[str]:
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def send_test_event(endpoint: Endpoint, *, staff: AbstractBaseUser | None = None) -> Delivery:
    """A `webhook.test` event to this endpoint alone, sent as soon as the transaction commits."""
    if endpoint.status != Endpoint.Status.ACTIVE:
        raise DomainError(errors.ENDPOINT_NOT_ACTIVE, _("Make the endpoint active before sending it a test."),
                          field="status", status_code=409)
    with transaction.atomic():
        event = events.webhook_test(endpoint, staff=staff)
        delivery = Delivery.objects.create(merchant_id=endpoint.merchant_id, endpoint=endpoint, event=event,
                                           kind=event.kind, body=encode_payload(event),
                                           next_attempt_at=event.created_at, created_at=event.created_at)
        transaction.on_commit(lambda: _kick([endpoint.pk]))
    return delivery


def replay(deliveries: models.QuerySet[Delivery], *, now: datetime.datetime | None = None) -> int:
    """Send these deliveries again (the same event id and body), with a fresh retry schedule; those still
    pending are left alone. Returns how many were queued."""
    now = now or timezone.now()
    with transaction.atomic():
        chosen = list(deliveries.exclude(status=Delivery.Status.PENDING).values_list("pk", "endpoint_id"))
        Delivery.objects.filter(pk__in=[pk for pk, _endpoint in chosen]).update(
            status=Delivery.Status.PENDING, retries_used=0, next_attempt_at=now)
        endpoint_ids = {endpoint_id for _pk, endpoint_id in chosen}
        transaction.on_commit(lambda: _kick(endpoint_ids))
    return len(chosen)
