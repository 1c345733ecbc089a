from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Platform")

    def ready(self):
        from loyalty import (
            checks,  # noqa: F401
            usable_cards,
        )
        from loyalty.errors import API_ERRORS, register_api_errors

        register_api_errors(API_ERRORS)
        register_api_errors(usable_cards.API_ERRORS)
