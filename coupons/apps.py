from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouponsConfig(AppConfig):
    name = "coupons"
    verbose_name = _("Coupons")

    def ready(self):
        from coupons import errors as api_errors
        from coupons import (
            events,
            receivers,  # noqa: F401
            services,
        )
        from coupons.benefits import CouponBenefit
        from coupons.demo import CouponsDemo
        from coupons.kinds import CashOff, FreeItem, PercentageDiscount
        from coupons.panels import CouponsPanel
        from coupons.posters import ClaimPosters
        from coupons.pricing_steps import CouponStep
        from coupons.reports import CouponsReport
        from coupons.views import coupons_tile
        from loyalty.benefits import benefits
        from loyalty.demo import demo_data
        from loyalty.errors import register_api_errors
        from loyalty.events import event_kinds
        from loyalty.member_panels import member_panels
        from loyalty.payments import register_purpose
        from loyalty.posters import poster_sources
        from loyalty.pricing import coupon_kinds, pricing_steps
        from loyalty.reports import reports
        from merchants.roles import grant
        from merchants.views import HOME_SECTIONS

        benefits.register(CouponBenefit())
        member_panels.register(CouponsPanel())
        poster_sources.register(ClaimPosters())
        demo_data.register(CouponsDemo)
        reports.register(CouponsReport())
        for kind in events.KINDS:
            event_kinds.register(kind)
        register_purpose(services.COUPON_PURCHASE_PURPOSE, services.fulfil_coupon_purchase,
                         services.fail_coupon_purchase)
        for kind in (CashOff(), PercentageDiscount(), FreeItem()):
            coupon_kinds.register(kind)
        pricing_steps.register(CouponStep())
        grant("cashier", ["coupons.view_coupon", "coupons.redeem_coupon", "coupons.view_couponredemption",
                          "coupons.view_coupontemplate", "coupons.view_claimchannel"])
        if coupons_tile not in HOME_SECTIONS:
            HOME_SECTIONS.append(coupons_tile)
        register_api_errors(api_errors.API_ERRORS)
