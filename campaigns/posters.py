"""A poster for each live campaign's landing page, and one for each of its channels (which counts its own scans)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Campaign, CampaignChannel
from campaigns.services.landing import channel_path
from campaigns.services.messages import landing_path
from loyalty.posters import Poster, PosterSource


class CampaignPosters(PosterSource):
    code = "campaign"
    label = gettext_lazy("Campaign pages")
    order = 40

    def posters(self, merchant):
        campaigns = Campaign.objects.filter(merchant=merchant, status=Campaign.Status.ACTIVE).select_related(
            "merchant").order_by("pk")
        posters = [Poster(_("Scan for the offer"), campaign.landing_title or campaign.name, landing_path(campaign))
                   for campaign in campaigns]
        channels = CampaignChannel.objects.filter(merchant=merchant, campaign__status=Campaign.Status.ACTIVE) \
            .select_related("campaign__merchant").order_by("campaign_id", "pk")
        posters += [Poster(_("Scan for the offer"), f"{channel.campaign.landing_title or channel.campaign.name} · "
                                                    f"{channel.name}", channel_path(channel)) for channel in channels]
        return posters
