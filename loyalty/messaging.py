"""The outbox and the SMS backends.

A message is written to the outbox in the caller's transaction and delivered by a Celery task after
commit, so a rolled-back action never texts anybody and every message sent can be seen later.
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
from django.utils import timezone
from django.utils.module_loading import import_string

from loyalty.models import OutboxMessage

logger = logging.getLogger("loyalty.sms")


class SmsDeliveryError(Exception):
    """The gateway refused or could not be reached; the task retries."""


class SmsBackend(ABC):
    """What an SMS provider implements; SMS_BACKEND names the one in use."""

    @abstractmethod
    def send(self, recipient: str, body: str) -> str:
        """Deliver one SMS; return the provider's reference."""


class ConsoleSmsBackend(SmsBackend):
    """Writes messages to the log: for development and tests, where the outbox shows them too."""

    def send(self, recipient: str, body: str) -> str:
        logger.info("SMS to %s: %s", recipient, body)
        return "console"


class HttpGatewaySmsBackend(SmsBackend):
    """Posts `{"to": ..., "body": ...}` as JSON to SMS_GATEWAY_URL with a bearer token."""

    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url or settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout or settings.SMS_GATEWAY_TIMEOUT
        if not self.url:
            raise SmsDeliveryError("SMS_GATEWAY_URL is not set")

    def send(self, recipient: str, body: str) -> str:
        payload = json.dumps({"to": recipient, "body": body}).encode()
        request = urllib.request.Request(self.url, data=payload, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read()
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsDeliveryError(str(exc)) from exc
        try:
            return str(json.loads(answer or b"{}").get("id", ""))[:128]
        except ValueError:
            return ""


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def queue_message(merchant, recipient: str, body: str, *, kind: str = OutboxMessage.Kind.NOTICE) -> OutboxMessage:
    """Write one message to the outbox; it is delivered once the caller's transaction commits."""
    message = OutboxMessage.objects.create(merchant=merchant, recipient=recipient, body=body, kind=kind)
    from loyalty.tasks import deliver_outbox_messages

    transaction.on_commit(lambda: deliver_outbox_messages.delay([message.pk]))
    return message


def queue_messages(messages: Iterable[OutboxMessage], *, batch_size: int = 500) -> int:
    """Write many messages at once and deliver them in batches: one task per batch, not per member."""
    from loyalty.tasks import deliver_outbox_messages

    created = OutboxMessage.objects.bulk_create(list(messages), batch_size=batch_size)
    ids = [message.pk for message in created]
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        transaction.on_commit(lambda batch=batch: deliver_outbox_messages.delay(batch))
    return len(ids)


def deliver(message_ids: list[int]) -> list[int]:
    """Send the queued messages among `message_ids`; return the ids that failed and should be retried."""
    backend = get_sms_backend()
    failed = []
    for message_id in message_ids:
        with transaction.atomic():
            message = (OutboxMessage.objects.select_for_update()
                       .filter(pk=message_id, status=OutboxMessage.Status.QUEUED).first())
            if message is None:  # already sent by an earlier run of the task
                continue
            message.attempts += 1
            try:
                message.provider_reference = backend.send(message.recipient, message.body)
            except SmsDeliveryError as exc:
                message.error = str(exc)[:1000]
                if message.attempts >= 3:
                    message.status = OutboxMessage.Status.FAILED
                else:
                    failed.append(message.pk)
            else:
                message.status = OutboxMessage.Status.SENT
                message.sent_at = timezone.now()
                message.error = ""
            message.save(update_fields=["attempts", "provider_reference", "error", "status", "sent_at"])
    return failed
