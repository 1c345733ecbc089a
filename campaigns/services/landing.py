"""What a campaign's landing page and short links change: their counters and the claim made from the page."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from campaigns.models import Campaign, ShortLink
from coupons import services as coupon_services
from coupons.models import Coupon
from merchants.models import Member


def record_landing_view(campaign: Campaign) -> None:
    """One more view of the landing page, counted in the database so concurrent visitors are all counted."""
    Campaign.objects.filter(pk=campaign.pk).update(landing_views=F("landing_views") + 1)


def claim_from_landing(campaign: Campaign, member: Member) -> Coupon:
    """The member claims the campaign's coupon from its landing page; the claim and its count move together.
    Refusals are the coupons app's (`DomainError` with its code)."""
    with transaction.atomic():
        coupon = coupon_services.claim_coupon(campaign.coupon_template, member)
        Campaign.objects.filter(pk=campaign.pk).update(landing_claims=F("landing_claims") + 1)
    return coupon


def follow_short_link(link: ShortLink) -> str:
    """Count a click and answer where the link leads."""
    ShortLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
    return link.target
