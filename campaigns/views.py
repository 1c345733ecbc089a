"""Campaign member pages: the landing page (mobile first: its coupon to claim, its text and links) and the
short-link redirect that counts clicks."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from campaigns.models import Campaign, ShortLink
from coupons import services as coupon_services
from loyalty.errors import DomainError
from merchants.views import ask_to_log_in, current_member, finish_after_login, login_url, member_page


@never_cache
@member_page
def landing(request, merchant, campaign_id: int):
    campaign = get_object_or_404(Campaign, merchant=merchant, pk=campaign_id,
                                 status__in=[Campaign.Status.ACTIVE, Campaign.Status.PAUSED])
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
            coupon = coupon_services.claim_coupon(template, member)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            Campaign.objects.filter(pk=campaign.pk).update(landing_claims=F("landing_claims") + 1)
            messages.success(request, _("The coupon is in your wallet."))
            return redirect("coupons:detail", merchant.slug, coupon.code)
    if request.method != "POST":
        Campaign.objects.filter(pk=campaign.pk).update(landing_views=F("landing_views") + 1)
    return render(request, "campaigns/landing.html", {
        "merchant": merchant, "member": member, "campaign": campaign, "template": template,
        "login_url": login_url(merchant, request.path),
        "links": [(_("My coupons"), reverse("coupons:wallet", args=[merchant.slug])),
                  (_("Member home"), reverse("member:home", args=[merchant.slug]))]})


def short_link(request, code: str):
    link = get_object_or_404(ShortLink, code=code)
    ShortLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
    return redirect(link.target)
