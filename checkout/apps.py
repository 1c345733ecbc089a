from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckoutConfig(AppConfig):
    name = "checkout"
    verbose_name = _("Checkout")

    def ready(self):
        from checkout import errors as api_errors
        from checkout import (  # noqa: F401
            events,  # noqa: F401
            receivers,
            segments,
            services,
        )
        from checkout.demo import CheckoutDemo
        from checkout.panels import VisitsPanel
        from checkout.posters import SelfPayPosters
        from checkout.pricing_steps import RandomReductionStep
        from checkout.services.config import config_key
        from checkout.tenders import OutsideTender
        from checkout.views import self_pay_tile
        from loyalty.config_cache import read_with_the_terminal
        from loyalty.demo import demo_data
        from loyalty.errors import register_api_errors
        from loyalty.events import event_kinds
        from loyalty.member_panels import member_panels
        from loyalty.payments import register_purpose
        from loyalty.posters import poster_sources
        from loyalty.pricing import pricing_steps
        from loyalty.tenders import tenders
        from merchants.roles import grant
        from merchants.views import HOME_SECTIONS

        tenders.register(OutsideTender())
        demo_data.register(CheckoutDemo)
        member_panels.register(VisitsPanel())
        poster_sources.register(SelfPayPosters())
        for kind in events.KINDS:
            event_kinds.register(kind)
        register_purpose(services.SELF_PAY_PURPOSE, services.fulfil_self_pay, services.fail_self_pay)
        pricing_steps.register(RandomReductionStep())
        grant("cashier", ["checkout.view_payment", "checkout.view_refund"])
        if self_pay_tile not in HOME_SECTIONS:
            HOME_SECTIONS.append(self_pay_tile)
        segments.register()
        register_api_errors(api_errors.API_ERRORS)
        read_with_the_terminal(config_key)  # every quote and payment prices with it
