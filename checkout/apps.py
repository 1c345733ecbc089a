from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = _("Checkout")

    def ready(self):
        from checkout import events, receivers, services  # noqa: F401
        from loyalty.events import event_kinds
        from loyalty.payments import register_purpose
        from merchants.roles import grant

        for kind in events.KINDS:
            event_kinds.register(kind)
        register_purpose(services.SELF_PAY_PURPOSE, services.fulfil_self_pay, services.fail_self_pay)
        grant("cashier", ["checkout.view_payment", "checkout.view_refund"])
