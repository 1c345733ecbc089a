"""Deliveries are queued from the events the apps below record (loyalty.events.event_recorded)."""

from django.dispatch import receiver

from loyalty.events import event_recorded
from webhooks import services


@receiver(event_recorded, dispatch_uid="webhooks.queue_deliveries")
def queue_deliveries(sender, event, **kwargs):
    services.queue_deliveries(event)
