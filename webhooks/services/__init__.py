"""Every change to webhooks: endpoints (subscribe, rotate, pause), queueing deliveries, delivering, replaying."""

from webhooks.services.delivery import (
    BATCH_SIZE,
    RETRY_DELAYS,
    DeliveryRun,
    deliver_due,
    disable_long_failing,
    due_endpoints,
)
from webhooks.services.endpoints import (
    check_endpoint,
    create_endpoint,
    encode_payload,
    forget_subscriptions,
    queue_deliveries,
    replay,
    rotate_secret,
    secrets_in_use,
    send_test_event,
    subscribable_kinds,
    subscriptions,
    update_endpoint,
)

__all__ = [
    "BATCH_SIZE", "RETRY_DELAYS", "DeliveryRun", "check_endpoint", "create_endpoint", "deliver_due",
    "disable_long_failing", "due_endpoints", "encode_payload", "forget_subscriptions", "queue_deliveries",
    "replay", "rotate_secret", "secrets_in_use", "send_test_event", "subscribable_kinds", "subscriptions",
    "update_endpoint",
]
