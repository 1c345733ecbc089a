"""Celery tasks of outgoing webhooks: beat's dispatcher and one task per endpoint (services.delivery)."""

from celery import shared_task

from webhooks import services


@shared_task(ignore_result=True)
def dispatch_webhooks() -> int:
    """Every few seconds: disable endpoints failing too long, then one task for each endpoint with work due."""
    services.disable_long_failing()
    endpoint_ids = services.due_endpoints()
    for endpoint_id in endpoint_ids:
        deliver_endpoint.delay(endpoint_id)
    return len(endpoint_ids)


@shared_task(bind=True, ignore_result=True)
def deliver_endpoint(self, endpoint_id: int) -> int:
    """Send one endpoint's due deliveries; a full batch queues the next run rather than holding the worker."""
    run = services.deliver_due(endpoint_id)
    if run.more and not self.request.is_eager:
        deliver_endpoint.delay(endpoint_id)
    return run.attempted
