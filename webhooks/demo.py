"""Demo webhooks for `manage.py seed_demo` (idempotent): a paused endpoint for the ERP, subscribed to sales."""

from __future__ import annotations

from loyalty.demo import DemoData
from webhooks import services
from webhooks.models import Endpoint

DEMO_URL = "https://erp.example.com/hooks/loyalty"
DEMO_TYPES = ["member.joined", "payment.made", "payment.refunded", "recharge.paid", "coupon.redeemed"]


class WebhooksDemo(DemoData):
    code = "webhooks"
    order = 900

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        # Paused: the demo has no ERP to answer, and a paused endpoint shows its queue filling up.
        if not Endpoint.objects.filter(merchant=merchant, url=DEMO_URL).exists():
            services.create_endpoint(merchant, url=DEMO_URL, event_types=DEMO_TYPES, description="ERP (demo)",
                                     status=Endpoint.Status.PAUSED)
