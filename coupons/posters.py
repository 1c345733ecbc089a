"""A poster for every coupon template members claim by its link or QR code."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coupons.models import CouponTemplate
from loyalty.posters import Poster, PosterSource


class ClaimPosters(PosterSource):
    code = "coupon_claim"
    label = gettext_lazy("Coupon claim links")
    order = 30

    def posters(self, merchant):
        templates = CouponTemplate.objects.filter(merchant=merchant, status=CouponTemplate.Status.ACTIVE) \
            .order_by("pk")
        return [Poster(_("Scan to claim"), template.name, reverse("coupons:claim", args=[merchant.slug,
                                                                                        template.claim_token]))
                for template in templates]
