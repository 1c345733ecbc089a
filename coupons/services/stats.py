"""What a merchant reads about a template: issued, claimed, redeemed, views, money taken off, per day."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from coupons.models import Coupon, CouponRedemption, CouponTemplate
from loyalty.money import ZERO


def template_figures(template: CouponTemplate) -> dict:
    """Counters kept on the template, and aggregates over the redemptions: never a scan of the coupons."""
    live = CouponRedemption.objects.filter(template=template, reversed_at__isnull=True)
    money = live.aggregate(total=Sum("discount"))["total"] or ZERO
    redeemed = live.count()
    counters = CouponTemplate.objects.filter(pk=template.pk).values("issued_count", "claimed_count",
                                                                    "claim_page_views").get()
    issued = counters["issued_count"]
    return {
        "issued": issued, "claimed": counters["claimed_count"], "redeemed": redeemed,
        "redemption_rate": (Decimal(redeemed * 100) / issued).quantize(Decimal("0.1")) if issued else None,
        "claim_page_views": counters["claim_page_views"], "money_off": money,
    }


def daily_figures(template: CouponTemplate, *, days: int = 30) -> list[dict]:
    """Issued and redeemed per local day for the last `days` days, oldest first."""
    today = timezone.localdate()
    first = today - datetime.timedelta(days=days - 1)
    since = timezone.make_aware(datetime.datetime.combine(first, datetime.time.min))
    tz = timezone.get_current_timezone()
    issued = dict(Coupon.objects.filter(template=template, issued_at__gte=since)
                  .annotate(day=TruncDate("issued_at", tzinfo=tz)).values("day").annotate(n=Count("pk"))
                  .values_list("day", "n"))
    redeemed = {row["day"]: row for row in CouponRedemption.objects.filter(
        template=template, redeemed_at__gte=since, reversed_at__isnull=True)
        .annotate(day=TruncDate("redeemed_at", tzinfo=tz)).values("day")
        .annotate(n=Count("pk"), money=Sum("discount"))}
    rows = []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        used = redeemed.get(day, {})
        rows.append({"day": day, "issued": issued.get(day, 0), "redeemed": used.get("n", 0),
                     "money_off": used.get("money") or ZERO})
    return rows
