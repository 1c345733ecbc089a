"""A poster for every coupon template members claim by its link or QR code, and for each of its channels."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coupons.models import ClaimChannel, CouponTemplate
from loyalty.posters import Poster, PosterSource


class ClaimPosters(PosterSource):
    code = "coupon_claim"
    label = gettext_lazy("Coupon claim links")
    order = 30

    def posters(self, merchant):
        templates = CouponTemplate.objects.filter(merchant=merchant, status=CouponTemplate.Status.ACTIVE) \
            .order_by("pk")
        posters = [Poster(_("Scan to claim"), template.name, reverse("coupons:claim", args=[merchant.slug,
                                                                                           template.claim_token]))
                   for template in templates]
        # A channel's poster (the door, a partner's counter) counts its own scans, so it is printed on its own.
        channels = ClaimChannel.objects.filter(merchant=merchant, template__status=CouponTemplate.Status.ACTIVE) \
            .select_related("template").order_by("template_id", "pk")
        posters += [Poster(_("Scan to claim"), f"{channel.template.name} · {channel.name}",
                           reverse("coupons:channel", args=[merchant.slug, channel.token])) for channel in channels]
        return posters
