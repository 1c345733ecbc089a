"""What a terminal sees of a campaign: what it offers and the links to hand a customer, never its figures (the
till has a cashier's rights; sent, redeemed, revenue and uplift are for owners and managers in the console)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.models import Campaign, CampaignChannel
from campaigns.services import landing, messages
from campaigns.triggers import triggers
from loyalty.serializers import AnswerModelSerializer


class CampaignChannelSerializer(AnswerModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("The channel's own landing-page link (for its QR code)."))

    class Meta:
        model = CampaignChannel
        fields = ["id", "name", "kind", "url"]

    def get_url(self, channel: CampaignChannel) -> str:
        return messages.absolute(landing.channel_path(channel))


class CampaignCouponSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CampaignSerializer(AnswerModelSerializer):
    trigger_label = serializers.SerializerMethodField()
    coupon = CampaignCouponSerializer(source="coupon_template", allow_null=True, read_only=True)
    landing_url = serializers.SerializerMethodField(help_text=_("The campaign's landing page."))
    channels = CampaignChannelSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "status", "trigger", "trigger_label", "landing_title", "coupon", "landing_url",
                  "channels"]

    def get_trigger_label(self, campaign: Campaign) -> str:
        return str(triggers.get(campaign.trigger).label) if campaign.trigger in triggers else campaign.trigger

    @extend_schema_field(serializers.URLField())
    def get_landing_url(self, campaign: Campaign) -> str:
        return messages.absolute(messages.landing_path(campaign))


class CampaignPage(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CampaignSerializer(many=True)
