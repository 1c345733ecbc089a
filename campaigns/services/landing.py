"""What a campaign's landing page, its channels' links and short links change: their counters and the claim made
from the page."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.urls import reverse

from campaigns import events
from campaigns.models import Campaign, CampaignChannel, ShortLink
from coupons import services as coupon_services
from coupons.models import ClaimChannel, Coupon
from merchants.models import Member


def channel_path(channel: CampaignChannel) -> str:
    """The channel's own address of the landing page (printed on its poster, sent in its messages)."""
    return reverse("campaigns:channel_landing", args=[channel.campaign.merchant.slug, channel.campaign_id,
                                                      channel.token])


def claim_channel_for(channel: CampaignChannel) -> ClaimChannel | None:
    """The campaign coupon's claim channel that the campaign channel's claims are recorded with, made on first use
    (named "<campaign> · <channel>"). A campaign given another coupon gets a new one for it; the coupons claimed
    before keep theirs. None when the campaign gives no coupon."""
    template = channel.campaign.coupon_template
    if template is None:
        return None
    current = channel.claim_channel
    if current is not None and current.template_id == template.pk:
        return current
    name = f"{channel.campaign.name} · {channel.name}"[:60]
    claim_channel, _new = ClaimChannel.objects.get_or_create(
        template=template, name=name, defaults={"merchant_id": template.merchant_id, "kind": channel.kind})
    CampaignChannel.objects.filter(pk=channel.pk).update(claim_channel=claim_channel)
    channel.claim_channel = claim_channel
    return claim_channel


def record_landing_view(campaign: Campaign, *, channel: CampaignChannel | None = None) -> None:
    """One more view of the landing page (and of the channel's link, and of its coupon's channel), counted in the
    database so concurrent visitors are all counted."""
    Campaign.objects.filter(pk=campaign.pk).update(landing_views=F("landing_views") + 1)
    if channel is not None:
        CampaignChannel.objects.filter(pk=channel.pk).update(views=F("views") + 1)
        claim_channel = claim_channel_for(channel)
        if claim_channel is not None:
            coupon_services.record_claim_page_view(claim_channel.template, channel=claim_channel)


def claim_from_landing(campaign: Campaign, member: Member, *, channel: CampaignChannel | None = None) -> Coupon:
    """The member claims the campaign's coupon from its landing page, through a channel's link or the page's own;
    the claim, its counts, the coupon's channel and the event move together. Refusals are the coupons app's
    (`DomainError` with its code)."""
    with transaction.atomic():
        claim_channel = claim_channel_for(channel) if channel is not None else None
        coupon = coupon_services.claim_coupon(campaign.coupon_template, member, channel=claim_channel)
        Campaign.objects.filter(pk=campaign.pk).update(landing_claims=F("landing_claims") + 1)
        if channel is not None:
            CampaignChannel.objects.filter(pk=channel.pk).update(claims=F("claims") + 1)
        events.campaign_claimed(campaign, coupon, channel=channel)
    return coupon


def follow_short_link(link: ShortLink) -> str:
    """Count a click and answer where the link leads."""
    ShortLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
    return link.target
