from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from campaigns import errors, events, triggers
        from campaigns.demo import CampaignsDemo
        from campaigns.posters import CampaignPosters
        from campaigns.segments import SentInCampaignRun
        from campaigns.tiles import ActiveCampaignsTile
        from loyalty.dashboard import dashboard_tiles
        from loyalty.demo import demo_data
        from loyalty.errors import register_api_errors
        from loyalty.events import event_kinds
        from loyalty.posters import poster_sources
        from loyalty.segments import segment_filters
        from merchants.roles import grant

        triggers.register()
        segment_filters.register(SentInCampaignRun())
        demo_data.register(CampaignsDemo)
        dashboard_tiles.register(ActiveCampaignsTile())
        poster_sources.register(CampaignPosters())
        register_api_errors(errors.API_ERRORS)
        for kind in events.KINDS:
            event_kinds.register(kind)
        # Cashiers may look campaigns up (to answer a customer about an offer), never their figures.
        grant("cashier", ["campaigns.view_campaign", "campaigns.view_campaignchannel"])
