from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Outgoing webhooks")

    def ready(self):
        from loyalty.config_cache import forget_on_change, read_with_the_terminal
        from loyalty.demo import demo_data
        from loyalty.events import event_kinds
        from merchants.roles import owner_only
        from webhooks import events, receivers  # noqa: F401
        from webhooks.demo import WebhooksDemo
        from webhooks.models import Endpoint
        from webhooks.services.endpoints import subscriptions_key

        for kind in events.KINDS:
            event_kinds.register(kind)
        demo_data.register(WebhooksDemo)
        forget_on_change(Endpoint, lambda endpoint: [subscriptions_key(endpoint.merchant_id)])
        read_with_the_terminal(subscriptions_key)  # every payment's events look them up
        # Where the merchant's data goes and with which key is the owner's decision alone.
        owner_only([f"webhooks.{action}_{model}" for model in ("endpoint", "delivery", "deliveryattempt")
                    for action in ("add", "change", "delete", "view")])
