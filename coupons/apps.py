from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouponsConfig(AppConfig):
    name = "coupons"
    verbose_name = _("Coupons")

    def ready(self):
        from coupons import (
            events,
            receivers,  # noqa: F401
            services,
        )
        from coupons.views import coupons_tile
        from loyalty.events import event_kinds
        from loyalty.payments import register_purpose
        from merchants.roles import grant
        from merchants.views import HOME_SECTIONS

        for kind in events.KINDS:
            event_kinds.register(kind)
        register_purpose(services.COUPON_PURCHASE_PURPOSE, services.fulfil_coupon_purchase,
                         services.fail_coupon_purchase)
        grant("cashier", ["coupons.view_coupon", "coupons.redeem_coupon", "coupons.view_couponredemption",
                          "coupons.view_coupontemplate"])
        if coupons_tile not in HOME_SECTIONS:
            HOME_SECTIONS.append(coupons_tile)
