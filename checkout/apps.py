from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = _("Checkout")

    def ready(self):
        from checkout import receivers, segments, services  # noqa: F401
        from loyalty.payments import register_purpose
        from merchants.roles import grant

        register_purpose(services.SELF_PAY_PURPOSE, services.fulfil_self_pay, services.fail_self_pay)
        grant("cashier", ["checkout.view_payment", "checkout.view_refund"])
        segments.register()
