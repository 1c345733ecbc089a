from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self):
        from campaigns import triggers
        from campaigns.demo import CampaignsDemo
        from campaigns.segments import SentInCampaignRun
        from campaigns.tiles import ActiveCampaignsTile
        from loyalty.dashboard import dashboard_tiles
        from loyalty.demo import demo_data
        from loyalty.segments import segment_filters
        from merchants.roles import grant

        triggers.register()
        segment_filters.register(SentInCampaignRun())
        demo_data.register(CampaignsDemo)
        dashboard_tiles.register(ActiveCampaignsTile())
        # Cashiers may look campaigns up (to answer a customer about an offer), never their figures.
        grant("cashier", ["campaigns.view_campaign"])
