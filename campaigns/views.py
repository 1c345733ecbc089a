"""Campaign member pages: the landing page (mobile first: its coupon to claim, its text and links) and the
short-link redirect that counts clicks."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from campaigns.models import Campaign, CampaignChannel, ShortLink
from campaigns.services import landing as landing_page
from loyalty.errors import DomainError
from merchants.views import ask_to_log_in, current_member, finish_after_login, login_url, member_page

LIVE = [Campaign.Status.ACTIVE, Campaign.Status.PAUSED]


@never_cache
@member_page
def landing(request, merchant, campaign_id: int):
    campaign = get_object_or_404(Campaign, merchant=merchant, pk=campaign_id, status__in=LIVE)
    return _landing_page(request, merchant, campaign, channel=None)


@never_cache
@member_page
def channel_landing(request, merchant, campaign_id: int, token: str):
    """The same page behind one channel's link (a poster, an SMS, an article): it counts for the channel."""
    channel = get_object_or_404(CampaignChannel.objects.select_related("campaign__coupon_template", "claim_channel"),
                                merchant=merchant, campaign_id=campaign_id, token=token, campaign__status__in=LIVE)
    return _landing_page(request, merchant, channel.campaign, channel=channel)


def _landing_page(request, merchant, campaign: Campaign, *, channel: CampaignChannel | None):
    member = current_member(request, merchant)
    template = campaign.coupon_template
    # A visitor who pressed "claim" before logging in comes back here a member: the claim finishes itself.
    claiming = request.method == "POST" or finish_after_login(request, merchant)
    if claiming:
        if member is None:
            return ask_to_log_in(request, merchant)
        if template is None:
            raise Http404
        try:
            coupon = landing_page.claim_from_landing(campaign, member, channel=channel)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The coupon is in your wallet."))
            return redirect("coupons:detail", merchant.slug, coupon.code)
    if request.method != "POST":
        landing_page.record_landing_view(campaign, channel=channel)
    return render(request, "campaigns/landing.html", {
        "merchant": merchant, "member": member, "campaign": campaign, "template": template,
        "login_url": login_url(merchant, request.path),
        "links": [(_("My coupons"), reverse("coupons:wallet", args=[merchant.slug])),
                  (_("Member home"), reverse("member:home", args=[merchant.slug]))]})


def short_link(request, code: str):
    link = get_object_or_404(ShortLink, code=code)
    return redirect(landing_page.follow_short_link(link))
