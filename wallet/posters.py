"""A poster for every red packet campaign handed out by its link."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.posters import Poster, PosterSource
from wallet.models import RedPacketCampaign


class RedPacketPosters(PosterSource):
    code = "red_packet"
    label = gettext_lazy("Red packet links")
    order = 40

    def posters(self, merchant):
        campaigns = RedPacketCampaign.objects.filter(merchant=merchant, trigger=RedPacketCampaign.Trigger.LINK,
                                                     is_active=True).order_by("pk")
        return [Poster(_("Scan for a red packet"), campaign.name,
                       reverse("wallet:red-packet", args=[merchant.slug, campaign.link_token]))
                for campaign in campaigns]
