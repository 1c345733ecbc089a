"""Sending deliveries: one endpoint at a time, so a dead endpoint only ever holds up itself.

Beat's dispatcher (tasks.dispatch_webhooks) starts one task per endpoint with due deliveries; a task holds
the endpoint's lease (a conditional UPDATE, no open transaction while it waits on the network), sends a
batch in order with a short timeout and records each attempt. Failures that may pass (5xx, timeouts,
refused connections) retry on RETRY_DELAYS with jitter; a 4xx or a redirect is the receiver's answer and
is not retried. After CIRCUIT_FAILURES failures in a row the endpoint rests (its deliveries wait, using no
retry) for CIRCUIT_COOLDOWN, then one attempt probes it; an endpoint failing for DISABLE_AFTER is disabled
and its owner told.
"""

from __future__ import annotations

import datetime
import random
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from merchants.models import StaffMember, StaffRole
from webhooks import events, signing
from webhooks.models import Delivery, DeliveryAttempt, Endpoint
from webhooks.services.endpoints import forget_subscriptions, secrets_in_use
from webhooks.targets import TargetRefused, TargetUnresolved, resolve

# After the first attempt (at once): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (Standard Webhooks' schedule).
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)
JITTER = 0.1
BATCH_SIZE = 200
CIRCUIT_FAILURES = 5
CIRCUIT_COOLDOWN = datetime.timedelta(seconds=60)
DISABLE_AFTER = datetime.timedelta(days=5)
MAX_REDIRECTS = 3
HEAD_BYTES = 1024
READ_LIMIT = 64 * 1024


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 15.0))


def _lease() -> datetime.timedelta:
    # Long enough for one attempt that hits every timeout on every redirect; renewed before each attempt.
    return datetime.timedelta(seconds=timeout_seconds() * 4 * (MAX_REDIRECTS + 1) + 30)


@dataclass
class Response:
    status_code: int | None = None
    head: str = ""
    error: str = ""
    retry: bool = False


@dataclass
class DeliveryRun:
    """What one task run did for one endpoint."""

    endpoint_id: int
    attempted: int = 0
    succeeded: int = 0
    more: bool = False
    skipped: str = ""
    outcomes: list[str] = field(default_factory=list)


def new_client() -> httpx.Client:
    # No proxies from the environment (they would see the request's real target), no redirects followed
    # blindly: each hop is checked like the first.
    # A webhook is one small request: sent at once, not held back by Nagle's algorithm for an ACK.
    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    return httpx.Client(timeout=httpx.Timeout(timeout_seconds()), follow_redirects=False, trust_env=False,
                        headers={"accept": "*/*"}, transport=transport)


def _read_head(response: httpx.Response) -> str:
    head = b""
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= READ_LIMIT:
            break
    return head[:HEAD_BYTES].decode("utf-8", errors="replace")


def post(client: httpx.Client, url: str, *, body: str, headers: dict[str, str]) -> Response:
    """POST `body` to `url`, every hop's address checked and connected to by IP; never raises."""
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            target = resolve(url)
        except TargetRefused as refused:
            return Response(error=str(refused)[:300], retry=False)
        except TargetUnresolved as unresolved:
            return Response(error=str(unresolved)[:300], retry=True)
        extensions = {"sni_hostname": target.server_name} if target.server_name else {}
        request = client.build_request("POST", target.connect_url, content=body.encode(),
                                       headers={**headers, "host": target.host_header}, extensions=extensions)
        try:
            response = client.send(request, stream=True)
        except httpx.TimeoutException:
            return Response(error=_("No answer within %(seconds)s s.") % {"seconds": f"{timeout_seconds():g}"},
                            retry=True)
        except httpx.HTTPError as error:
            return Response(error=(str(error) or type(error).__name__)[:300], retry=True)
        try:
            location = response.headers.get("location")
            if response.is_redirect and location:
                url = urljoin(url, location)
                continue
            head = _read_head(response)
        except httpx.HTTPError as error:
            return Response(status_code=response.status_code, error=(str(error) or type(error).__name__)[:300],
                            retry=True)
        finally:
            response.close()
        code = response.status_code
        if 200 <= code < 300:
            return Response(status_code=code, head=head)
        # A 4xx is the receiver's considered answer (except "too many requests"), a 3xx a redirect we will
        # not follow further: trying again would get the same.
        retry = code >= 500 or code == 429 or code == 408
        return Response(status_code=code, head=head, retry=retry,
                        error=_("The receiver answered %(code)s.") % {"code": code})
    return Response(error=_("Too many redirects."), retry=False)


def _take_lease(endpoint_id: int, now: datetime.datetime) -> bool:
    return bool(Endpoint.objects.filter(pk=endpoint_id).filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
                .update(locked_until=now + _lease()))


def _renew_lease(endpoint_id: int, now: datetime.datetime) -> None:
    Endpoint.objects.filter(pk=endpoint_id).update(locked_until=now + _lease())


def _jittered(seconds: int) -> datetime.timedelta:
    return datetime.timedelta(seconds=seconds * random.uniform(1 - JITTER, 1 + JITTER))


def _notify_owner(endpoint: Endpoint) -> None:
    """Mail the merchant's owners that the endpoint was disabled (after commit: a rollback tells nobody)."""
    owners = list(StaffMember.objects.filter(merchant_id=endpoint.merchant_id, role=StaffRole.OWNER)
                  .exclude(user__email="").values_list("user__email", flat=True))
    if not owners:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url}
        body = _("Every delivery to %(url)s has failed since %(since)s, so it was disabled and receives no more "
                 "events. Fix the receiver, make the endpoint active again in the admin, and replay the failed "
                 "deliveries of the period.") % {
            "url": endpoint.url, "since": timezone.localtime(endpoint.failing_since).strftime("%Y-%m-%d %H:%M")}
    transaction.on_commit(lambda: send_mail(subject, body, None, owners, fail_silently=True))


def _disable(endpoint: Endpoint, now: datetime.datetime) -> None:
    with transaction.atomic():
        changed = Endpoint.objects.filter(pk=endpoint.pk, status=Endpoint.Status.ACTIVE).update(
            status=Endpoint.Status.DISABLED, disabled_at=now)
        if not changed:
            return
        endpoint.status, endpoint.disabled_at = Endpoint.Status.DISABLED, now
        events.endpoint_disabled(endpoint, failing_since=endpoint.failing_since)
        _notify_owner(endpoint)
        forget_subscriptions(endpoint.merchant_id)


def disable_long_failing(now: datetime.datetime | None = None) -> int:
    """Disable active endpoints failing for DISABLE_AFTER even if nothing new was tried (the dispatcher's sweep)."""
    now = now or timezone.now()
    stale = list(Endpoint.objects.filter(status=Endpoint.Status.ACTIVE, failing_since__lte=now - DISABLE_AFTER))
    for endpoint in stale:
        _disable(endpoint, now)
    return len(stale)


def _record(endpoint: Endpoint, delivery: Delivery, response: Response, *, started: datetime.datetime,
            duration_ms: int, now: datetime.datetime) -> str:
    """Write the attempt and move the delivery and the endpoint's failure count; returns the outcome."""
    ok = response.status_code is not None and 200 <= response.status_code < 300 and not response.error
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = response.status_code, response.error[:300]
    if ok:
        outcome = DeliveryAttempt.Outcome.SUCCEEDED
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = Delivery.Status.SUCCEEDED, now, None
    elif response.retry and delivery.retries_used < len(RETRY_DELAYS):
        outcome = DeliveryAttempt.Outcome.RETRY
        delivery.next_attempt_at = now + _jittered(RETRY_DELAYS[delivery.retries_used])
        delivery.retries_used += 1
    else:
        outcome = DeliveryAttempt.Outcome.FAILED
        delivery.status, delivery.next_attempt_at = Delivery.Status.FAILED, None
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            merchant_id=delivery.merchant_id, delivery=delivery, started_at=started, duration_ms=duration_ms,
            status_code=response.status_code, response_head=response.head, error=response.error[:300],
            outcome=outcome)
        delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at",
                                     "next_attempt_at", "retries_used"])
        if ok:
            if endpoint.failing_since or endpoint.consecutive_failures or endpoint.circuit_open_until:
                endpoint.failing_since = endpoint.circuit_open_until = None
                endpoint.consecutive_failures = 0
                Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None, consecutive_failures=0,
                                                               circuit_open_until=None)
            return outcome
        endpoint.failing_since = endpoint.failing_since or now
        fields = {"failing_since": endpoint.failing_since}
        if response.retry:
            # Only failures that say the receiver is unwell count towards resting it; a 4xx is an answer.
            endpoint.consecutive_failures += 1
            fields["consecutive_failures"] = endpoint.consecutive_failures
            if endpoint.consecutive_failures >= CIRCUIT_FAILURES:
                endpoint.circuit_open_until = now + CIRCUIT_COOLDOWN
                fields["circuit_open_until"] = endpoint.circuit_open_until
        Endpoint.objects.filter(pk=endpoint.pk).update(**fields)
        if now - endpoint.failing_since >= DISABLE_AFTER:
            _disable(endpoint, now)
    return outcome


def _resting(endpoint: Endpoint, now: datetime.datetime) -> bool:
    return endpoint.circuit_open_until is not None and endpoint.circuit_open_until > now


def deliver_due(endpoint_id: int, *, now: datetime.datetime | None = None, limit: int = BATCH_SIZE,
                client: httpx.Client | None = None) -> DeliveryRun:
    """Send up to `limit` of the endpoint's due deliveries, oldest event first, unless another run holds the
    endpoint, it is not active, or it is resting. `now` (tests) fixes the clock the schedule is read by."""
    run = DeliveryRun(endpoint_id)

    def clock() -> datetime.datetime:
        return now if now is not None else timezone.now()

    if not _take_lease(endpoint_id, clock()):
        run.skipped = "leased"
        return run
    # Renewed at half-time: the lease always outlasts the next attempt, at one UPDATE every many attempts.
    renew_at = clock() + _lease() / 2
    own_client = client is None
    client = client or new_client()
    try:
        endpoint = Endpoint.objects.get(pk=endpoint_id)
        if endpoint.status != Endpoint.Status.ACTIVE:
            run.skipped = "not active"
            return run
        due = list(Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING,
                                           next_attempt_at__lte=clock())
                   .select_related("event").order_by("event_id", "pk")[:limit + 1])
        run.more = len(due) > limit
        for delivery in due[:limit]:
            at = clock()
            if _resting(endpoint, at) or endpoint.status != Endpoint.Status.ACTIVE:
                run.skipped = "resting" if _resting(endpoint, at) else "disabled"
                run.more = False
                break
            if at >= renew_at:
                _renew_lease(endpoint_id, at)
                renew_at = at + _lease() / 2
            headers = signing.headers(secrets_in_use(endpoint, at), message_id=str(delivery.event.uuid), at=at,
                                      body=delivery.body)
            started = time.perf_counter()
            response = post(client, endpoint.url, body=delivery.body, headers=headers)
            duration_ms = round((time.perf_counter() - started) * 1000)
            outcome = _record(endpoint, delivery, response, started=at, duration_ms=duration_ms, now=clock())
            run.attempted += 1
            run.succeeded += outcome == DeliveryAttempt.Outcome.SUCCEEDED
            run.outcomes.append(outcome)
        return run
    finally:
        Endpoint.objects.filter(pk=endpoint_id).update(locked_until=None)
        if own_client:
            client.close()


def due_endpoints(now: datetime.datetime | None = None) -> list[int]:
    """Active, not resting, not held endpoints with a delivery due: the dispatcher starts one task for each."""
    now = now or timezone.now()
    due = Delivery.objects.filter(endpoint=OuterRef("pk"), status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    return list(Endpoint.objects.filter(status=Endpoint.Status.ACTIVE)
                .filter(Q(circuit_open_until__isnull=True) | Q(circuit_open_until__lte=now))
                .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
                .filter(Exists(due)).order_by("pk").values_list("pk", flat=True))
