from celery import shared_task

from loyalty import idempotency, messaging


@shared_task(bind=True, max_retries=3, default_retry_delay=30)
def deliver_outbox_messages(self, message_ids: list[int]) -> None:
    failed = messaging.deliver(message_ids)
    if failed and not self.request.is_eager:
        raise self.retry(args=[failed])


@shared_task
def deliver_due_messages() -> int:
    """Every minute: send the messages that waited (quiet hours) and are now due."""
    return messaging.deliver_due_messages()


@shared_task
def purge_idempotency_records() -> int:
    return idempotency.purge_expired_records()
