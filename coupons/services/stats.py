"""What a merchant reads about a template: issued, claimed, redeemed, views, money taken off, per day."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from coupons.models import ClaimChannel, Coupon, CouponRedemption, CouponTemplate
from loyalty.money import ZERO, quantize


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
                     "money_off": quantize(used.get("money") or ZERO)})
    return rows


def channel_figures(template: CouponTemplate) -> list[dict]:
    """Per claim channel of the template: views, claims, redemptions and money taken off bills, in one statement
    (the counters are on the channel rows; redemptions are the template's, joined to their coupons' channel).

    The last row is the template's own link: what its counters hold beyond the channels' (views and claims),
    and the redemptions of coupons claimed without a channel.
    """
    live = Q(coupons__redemptions__reversed_at__isnull=True, coupons__redemptions__template=template)
    channels = list(ClaimChannel.objects.filter(template=template).annotate(
        redeemed=Count("coupons__redemptions", filter=live),
        money=Sum("coupons__redemptions__discount", filter=live)).order_by("pk"))
    rows = [{"channel": channel, "name": channel.name, "kind": channel.get_kind_display(), "views": channel.views,
             "claims": channel.claims, "redeemed": channel.redeemed, "money_off": quantize(channel.money or ZERO)}
            for channel in channels]
    own = CouponRedemption.objects.filter(template=template, reversed_at__isnull=True, coupon__channel__isnull=True,
                                          coupon__source=Coupon.Source.CLAIM).aggregate(n=Count("pk"),
                                                                                       money=Sum("discount"))
    counters = CouponTemplate.objects.filter(pk=template.pk).values("claim_page_views", "claimed_count").get()
    rows.append({"channel": None, "name": None, "kind": None,
                 "views": max(counters["claim_page_views"] - sum(row["views"] for row in rows), 0),
                 "claims": max(counters["claimed_count"] - sum(row["claims"] for row in rows), 0),
                 "redeemed": own["n"], "money_off": quantize(own["money"] or ZERO)})
    return rows
