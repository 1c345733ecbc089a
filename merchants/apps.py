from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("Merchants and members")

    def ready(self):
        from loyalty.demo import demo_data
        from loyalty.events import event_kinds
        from merchants import events, receivers, schema, segments  # noqa: F401
        from merchants.demo import MerchantsDemo

        segments.register()
        for kind in events.KINDS:
            event_kinds.register(kind)
        demo_data.register(MerchantsDemo)
