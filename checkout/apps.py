from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = _("Checkout")

    def ready(self):
        from checkout import receivers, segments, services  # noqa: F401
        from checkout.pricing_steps import RandomReductionStep
        from checkout.tenders import OutsideTender
        from loyalty.payments import register_purpose
        from loyalty.pricing import pricing_steps
        from loyalty.tenders import tenders
        from merchants.roles import grant

        tenders.register(OutsideTender())
        register_purpose(services.SELF_PAY_PURPOSE, services.fulfil_self_pay, services.fail_self_pay)
        pricing_steps.register(RandomReductionStep())
        grant("cashier", ["checkout.view_payment", "checkout.view_refund"])
        segments.register()
