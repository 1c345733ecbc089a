from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("Merchants and members")

    def ready(self):
        from merchants import receivers, schema, segments  # noqa: F401

        segments.register()
        from loyalty.events import event_kinds
        from merchants import events  # noqa: F401

        for kind in events.KINDS:
            event_kinds.register(kind)
