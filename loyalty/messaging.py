"""The outbox and its channel backends (SMS, WeChat template and subscription messages, Alipay, the inbox).

A message is written to the outbox in the caller's transaction and delivered by a Celery task after
commit, so a rolled-back action never texts anybody and every message sent can be seen later. Each
channel has one backend, named in settings (`MESSAGE_BACKENDS`); a backend receives the whole
`OutboxMessage` (channel, recipient, title, body, link) and answers the provider's reference. A message
with `not_before` in the future (quiet hours) waits: the after-commit task leaves it, and the beat task
`loyalty.tasks.deliver_due_messages` sends it once it is due.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from loyalty.models import OutboxMessage

logger = logging.getLogger("loyalty.sms")

# A message the provider refused this often is failed for good.
MAX_ATTEMPTS = 3


class DeliveryError(Exception):
    """The provider refused or could not be reached; the message is tried again (at most MAX_ATTEMPTS times)."""


class SmsDeliveryError(DeliveryError):
    """The SMS gateway refused or could not be reached."""


class ChannelBackend(ABC):
    """What the provider of one channel implements; `MESSAGE_BACKENDS[channel]` names the class in use."""

    @abstractmethod
    def deliver(self, message: OutboxMessage) -> str:
        """Deliver one message; return the provider's reference, or raise DeliveryError."""


class SmsBackend(ChannelBackend):
    """An SMS provider: a text to a phone. SMS_BACKEND names the one in use."""

    @abstractmethod
    def send(self, recipient: str, body: str) -> str:
        """Deliver one SMS; return the provider's reference."""

    def deliver(self, message: OutboxMessage) -> str:
        # An SMS has no title or button: the link, if any, is already in the body the sender wrote.
        return self.send(message.recipient, message.body)


class ConsoleSmsBackend(SmsBackend):
    """Writes messages to the log: for development and tests, where the outbox shows them too."""

    def send(self, recipient: str, body: str) -> str:
        logger.info("SMS to %s: %s", recipient, body)
        return "console"


def _post_json(url: str, token: str, timeout: float, payload: dict, error: type[DeliveryError]) -> str:
    """POST `payload` as JSON with a bearer token; the answer's `id` is the provider's reference."""
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - an operator's URL
            answer = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise error(str(exc)) from exc
    try:
        return str(json.loads(answer or b"{}").get("id", ""))[:128]
    except (ValueError, AttributeError):
        return ""


class HttpGatewaySmsBackend(SmsBackend):
    """Posts `{"to": ..., "body": ...}` as JSON to SMS_GATEWAY_URL with a bearer token."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout or settings.SMS_GATEWAY_TIMEOUT
        if not self.url:
            raise SmsDeliveryError("SMS_GATEWAY_URL is not set")

    def send(self, recipient: str, body: str) -> str:
        return _post_json(self.url, self.token, self.timeout, {"to": recipient, "body": body}, SmsDeliveryError)


class ConsoleChannelBackend(ChannelBackend):
    """Writes WeChat and Alipay messages to the log (the default: we reach neither platform from here)."""

    def deliver(self, message: OutboxMessage) -> str:
        logger.info("%s to %s: %s | %s | %s", message.channel, message.recipient, message.title, message.body,
                    message.link)
        return "console"


class HttpGatewayChannelBackend(ChannelBackend):
    """Posts the message as JSON to the channel's gateway (`MESSAGE_GATEWAYS[channel]`: URL, TOKEN, TIMEOUT).

    The gateway is the merchant's bridge to WeChat or Alipay (it holds the app secrets and access tokens,
    which never enter this platform). The body, documented in docs/architecture.md:
    `{"id": <outbox id>, "channel", "to", "title", "body", "link", "merchant": <slug>}`; a 2xx answer
    `{"id": "<provider reference>"}` is success, anything else is retried.
    """

    def __init__(self, channel: str):
        gateway = settings.MESSAGE_GATEWAYS.get(channel) or {}
        self.channel = channel
        self.url = gateway.get("URL", "")
        self.token = gateway.get("TOKEN", "")
        self.timeout = gateway.get("TIMEOUT") or 5.0
        if not self.url:
            raise DeliveryError(f"no gateway URL for the {channel} channel")

    def deliver(self, message: OutboxMessage) -> str:
        payload = {"id": message.pk, "channel": message.channel, "to": message.recipient, "title": message.title,
                   "body": message.body, "link": message.link, "merchant": message.merchant.slug}
        return _post_json(self.url, self.token, self.timeout, payload, DeliveryError)


class InboxBackend(ChannelBackend):
    """The member inbox: the outbox row is the inbox message, so delivering it is marking it delivered."""

    def deliver(self, message: OutboxMessage) -> str:
        return "inbox"


def get_backend(channel: str) -> ChannelBackend:
    """The backend of `channel`: SMS_BACKEND for SMS (as before), MESSAGE_BACKENDS for the others.

    A backend class taking a `channel` argument (the HTTP gateway) is told which channel it serves.
    """
    if channel == OutboxMessage.Channel.SMS:
        return import_string(settings.SMS_BACKEND)()
    backend_class = import_string(settings.MESSAGE_BACKENDS[channel])
    if issubclass(backend_class, HttpGatewayChannelBackend):
        return backend_class(channel)
    return backend_class()


def queue_message(merchant, recipient: str, body: str, *, kind: str = OutboxMessage.Kind.NOTICE,
                  channel: str = OutboxMessage.Channel.SMS, member=None, title: str = "", link: str = "",
                  not_before=None) -> OutboxMessage:
    """Write one message to the outbox; it is delivered once the caller's transaction commits (or at
    `not_before`, when that is later)."""
    message = OutboxMessage.objects.create(merchant=merchant, recipient=recipient, body=body, kind=kind,
                                           channel=channel, member=member, title=title, link=link,
                                           not_before=not_before)
    from loyalty.tasks import deliver_outbox_messages

    transaction.on_commit(lambda: deliver_outbox_messages.delay([message.pk]))
    return message


def queue_messages(messages: Iterable[OutboxMessage], *, batch_size: int = 500) -> int:
    """Write many messages at once and deliver them in batches: one task per batch, not per member.

    Messages that must wait (`not_before` in the future) start no task: the beat task sends them when due.
    """
    from loyalty.tasks import deliver_outbox_messages

    created = OutboxMessage.objects.bulk_create(list(messages), batch_size=batch_size)
    now = timezone.now()
    ids = [message.pk for message in created if message.not_before is None or message.not_before <= now]
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        transaction.on_commit(lambda batch=batch: deliver_outbox_messages.delay(batch))
    return len(created)


def deliver(message_ids: list[int]) -> list[int]:
    """Send the queued messages among `message_ids` that are due; return the ids that failed and should be
    retried. A message still waiting for its `not_before` is left for `deliver_due_messages`; a message
    another worker is sending right now (its row locked) is skipped, so it is never sent twice."""
    _sent, failed = _deliver(message_ids)
    return failed


def _deliver(message_ids: list[int]) -> tuple[int, list[int]]:
    backends: dict[str, ChannelBackend] = {}
    sent, failed = 0, []
    for message_id in message_ids:
        with transaction.atomic():
            now = timezone.now()
            # Only the message's row (of=self): locking the joined merchant too would make every other
            # worker skip all of that merchant's messages while this one sends.
            message = (OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
                       .select_related("merchant").filter(pk=message_id, status=OutboxMessage.Status.QUEUED).first())
            if message is None:  # already sent by an earlier run, or being sent by another worker
                continue
            if message.not_before is not None and message.not_before > now:
                continue
            message.attempts += 1
            try:
                if message.channel not in backends:
                    backends[message.channel] = get_backend(message.channel)
                message.provider_reference = backends[message.channel].deliver(message)
            except DeliveryError as exc:
                message.error = str(exc)[:1000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = OutboxMessage.Status.FAILED
                else:
                    failed.append(message.pk)
            else:
                message.status = OutboxMessage.Status.SENT
                message.sent_at = timezone.now()
                message.error = ""
                sent += 1
            message.save(update_fields=["attempts", "provider_reference", "error", "status", "sent_at"])
    return sent, failed


def due_message_ids(*, limit: int, after: tuple | None = None) -> list[tuple]:
    """Queued messages that waited for their `not_before` and are now due, oldest due first, as
    `(not_before, pk)` pairs; `after` continues from the last pair of the previous batch."""
    due = OutboxMessage.objects.filter(status=OutboxMessage.Status.QUEUED, not_before__lte=timezone.now())
    if after is not None:
        due = due.filter(Q(not_before__gt=after[0]) | Q(not_before=after[0], pk__gt=after[1]))
    return list(due.order_by("not_before", "pk").values_list("not_before", "pk")[:limit])


def deliver_due_messages(*, batch_size: int = 500, max_batches: int = 20) -> int:
    """Send deferred messages that are now due, batch by batch; return how many were sent.

    Each run walks the due messages once, in (not_before, pk) order: one that fails stays queued and is
    tried again on a later run (until MAX_ATTEMPTS), not again and again within this one.
    """
    sent, after = 0, None
    for _batch in range(max_batches):
        due = due_message_ids(limit=batch_size, after=after)
        if not due:
            break
        sent += _deliver([pk for _due, pk in due])[0]
        after = due[-1]
    return sent
