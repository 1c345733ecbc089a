"""Terminal API for campaigns: the merchant's live campaigns (active or paused: a customer can still open their
pages) with their coupon, landing page and channels' links. Every query is scoped to the terminal's merchant."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from campaigns import errors
from campaigns.models import Campaign, CampaignChannel
from campaigns.serializers import CampaignPage, CampaignSerializer
from loyalty import errors as loyalty_errors
from loyalty.api_contract import ContractView, contract
from loyalty.errors import DomainError
from loyalty.pagination import StandardPagination

LIVE = [Campaign.Status.ACTIVE, Campaign.Status.PAUSED]


def _campaigns(terminal):
    # Three statements for a page whatever it holds: the campaigns with their coupon, then all their channels.
    channels = CampaignChannel.objects.select_related("campaign__merchant").order_by("pk")
    return (Campaign.objects.filter(merchant_id=terminal.merchant_id, status__in=LIVE)
            .select_related("merchant", "coupon_template").prefetch_related(Prefetch("channels", queryset=channels)))


class CampaignListView(ContractView):
    """The merchant's live campaigns, newest first, to show or hand out their links at the till."""

    tag = "campaigns"

    @contract(responses={200: CampaignPage}, operation_id="campaigns_list", errors=[loyalty_errors.NOT_FOUND],
              parameters=[OpenApiParameter("status", str, enum=LIVE, description="Only active or only paused."),
                          OpenApiParameter("page", int), OpenApiParameter("page_size", int)])
    def get(self, request):
        campaigns = _campaigns(request.auth)
        wanted = request.query_params.get("status")
        if wanted:
            campaigns = campaigns.filter(status=wanted if wanted in LIVE else "")
        paginator = StandardPagination()
        page = paginator.paginate_queryset(campaigns.order_by("-created_at", "-pk"), request, view=self)
        return paginator.get_paginated_response(CampaignSerializer(page, many=True).data)


class CampaignDetailView(ContractView):
    """One live campaign with its channels' links; another merchant's, a draft or an ended one is not found."""

    tag = "campaigns"

    @contract(responses=CampaignSerializer, operation_id="campaigns_detail",
              errors=[errors.CAMPAIGN_NOT_FOUND, loyalty_errors.NOT_FOUND])
    def get(self, request, campaign_id: int):
        campaign = _campaigns(request.auth).filter(pk=campaign_id).first()
        if campaign is None:
            raise DomainError(errors.CAMPAIGN_NOT_FOUND, _("There is no such campaign."), status_code=404)
        return Response(CampaignSerializer(campaign).data)
