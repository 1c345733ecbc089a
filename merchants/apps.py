from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("Merchants and members")

    def ready(self):
        from loyalty.api_contract import AUTHENTICATION_ERRORS
        from loyalty.demo import demo_data
        from loyalty.errors import register_api_errors
        from loyalty.events import event_kinds
        from loyalty.member_panels import member_panels
        from loyalty.posters import poster_sources
        from merchants import errors, events, receivers, schema, segments  # noqa: F401
        from merchants.demo import MerchantsDemo
        from merchants.panels import MessagesPanel, ProfilePanel
        from merchants.posters import JoinPoster
        from merchants.views import HOME_SECTIONS, inbox_tile

        segments.register()
        for kind in events.KINDS:
            event_kinds.register(kind)
        demo_data.register(MerchantsDemo)
        member_panels.register(ProfilePanel())
        member_panels.register(MessagesPanel())
        poster_sources.register(JoinPoster())
        if inbox_tile not in HOME_SECTIONS:
            HOME_SECTIONS.append(inbox_tile)
        register_api_errors(errors.API_ERRORS)
        for code in (errors.TERMINAL_KEY_INVALID, errors.TERMINAL_REVOKED):
            if code not in AUTHENTICATION_ERRORS:
                AUTHENTICATION_ERRORS.append(code)
