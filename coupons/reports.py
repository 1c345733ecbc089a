"""The coupons report (优惠券效果): per template and claim channel, what was issued, claimed, seen, redeemed and
what it cost and brought, each as a count and as distinct members (like WeChat's datacube).

Rows are one per template and channel (`Coupon.channel`), and one more per template for the coupons with no
channel: those claimed on the template's own link, and every other way a coupon reaches a member.

How each figure is counted:
- issued: coupons that reached a member in the days (any way: claim, join gift, mass send, reward, ...);
- claimed: those a member took themselves (a claim link or QR code, points, a purchase, a friend's share);
- exposed: the claim page's views since the template (channel) was made (views are not kept per day): a
  channel's row shows the channel's views, the no-channel row the template's views beyond its channels', as
  `coupons.services.channel_figures` counts them, so a template's rows add up to its claim page views;
- redeemed: redemptions in the days not reversed since, at the chosen stores;
- used of issued / of claimed: of the coupons issued (claimed) in the days, the share used by now — the
  denominator is the coupons issued (claimed) in the days, so the rate never passes 100 %;
- money off, bills and the bills' value: of those redemptions.
Coupons are not tied to a store until they are used, so the stores narrow only the redemption figures.
Every figure is read grouped by template and channel, so the report runs the same statements however many
templates and channels there are.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coupons.models import ClaimChannel, Coupon, CouponRedemption, CouponTemplate
from loyalty.money import ZERO, quantize
from loyalty.reports import ChartSeries, Report, ReportResult, ReportScope, key_column

CLAIMED_SOURCES = [Coupon.Source.CLAIM, Coupon.Source.POINTS, Coupon.Source.PURCHASE, Coupon.Source.FISSION]
USED = Q(state=Coupon.State.USED)


def rate(part: int, whole: int) -> Decimal | None:
    """A percentage with one place, or None (shown empty) when there is no denominator."""
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


class CouponsReport(Report):
    code = "coupons"
    label = gettext_lazy("Coupons: issued, claimed, redeemed, money off")
    group = gettext_lazy("Marketing")
    order = 10

    def compute(self, scope: ReportScope) -> ReportResult:
        first, after = scope.bounds()
        merchant = Q() if scope.merchant_id is None else Q(merchant_id=scope.merchant_id)
        claimed = Q(source__in=CLAIMED_SOURCES)
        # Counted by `issued_at` (never empty), not by the key: every column read is then in the
        # coupon_issued_figures index, so a year's coupons are read from it alone, in template and channel order.
        issued = {(row["template"], row["channel"]): row for row in Coupon.objects.filter(
            merchant, issued_at__gte=first, issued_at__lt=after).order_by().values("template", "channel").annotate(
            issued=Count("issued_at"), issued_members=Count("member", distinct=True),
            claimed=Count("issued_at", filter=claimed), claimed_members=Count("member", distinct=True, filter=claimed),
            used_of_issued=Count("issued_at", filter=USED), used_of_claimed=Count("issued_at", filter=USED & claimed))}
        redemptions = CouponRedemption.objects.filter(merchant, redeemed_at__gte=first, redeemed_at__lt=after,
                                                      reversed_at__isnull=True)
        if scope.store_ids:
            redemptions = redemptions.filter(store_id__in=scope.store_ids)
        redeemed = {(row["template"], row["coupon__channel"]): row for row in redemptions.order_by().values(
            "template", "coupon__channel").annotate(
            redeemed=Count("pk"), redeemed_members=Count("coupon__member", distinct=True),
            money_off=Sum("discount"), bills=Count("payment_reference", distinct=True, filter=~Q(payment_reference="")),
            bill_value=Sum("bill_amount"))}
        daily = list(redemptions.annotate(day=TruncDate("redeemed_at", tzinfo=scope.zone)).order_by()
                     .values("day").annotate(n=Count("pk"), off=Sum("discount")).order_by("day"))
        active = {template for template, _channel in set(issued) | set(redeemed)}
        templates = list(CouponTemplate.objects.filter(pk__in=active).order_by("name", "pk")
                         .values("pk", "name", "claim_page_views"))
        channels: dict[int, list[dict]] = {}
        for channel in ClaimChannel.objects.filter(template__in=active).order_by("pk").values(
                "pk", "template", "name", "views"):
            channels.setdefault(channel["template"], []).append(channel)
        rows = []
        for template in templates:
            own = channels.get(template["pk"], [])
            # Like channel_figures: the template's own link is seen as often as its counter holds beyond the
            # channels' (views of a channel also move the template's counter).
            lines = [(channel["pk"], channel["name"], channel["views"]) for channel in own]
            lines.append((None, _("no channel (own link, sends, gifts)"),
                          max(template["claim_page_views"] - sum(channel["views"] for channel in own), 0)))
            for channel, name, exposed in lines:
                key = (template["pk"], channel)
                if key not in issued and key not in redeemed and not exposed:
                    continue
                rows.append(self._row(template=template["name"], channel=name, exposed=exposed,
                                      i=issued.get(key, {}), r=redeemed.get(key, {})))
        totals: dict = {"template": _("total")}
        for key in ("exposed", "issued", "claimed", "used_of_issued", "used_of_claimed", "redeemed", "bills"):
            totals[key] = sum(row[key] for row in rows)
        for key in ("money_off", "bill_value"):
            totals[key] = sum((row[key] for row in rows), ZERO)
        totals["rate_issued"] = rate(totals["used_of_issued"], totals["issued"])
        totals["rate_claimed"] = rate(totals["used_of_claimed"], totals["claimed"])
        columns = [key_column(_("coupon template"), "template"), key_column(_("claim channel"), "channel"),
                   key_column(_("claim page views"), "exposed"),
                   key_column(_("issued"), "issued"), key_column(_("issued: members"), "issued_members"),
                   key_column(_("claimed"), "claimed"), key_column(_("claimed: members"), "claimed_members"),
                   key_column(_("used, of those issued"), "used_of_issued"),
                   key_column(_("redemption rate of issued (%)"), "rate_issued"),
                   key_column(_("used, of those claimed"), "used_of_claimed"),
                   key_column(_("redemption rate of claimed (%)"), "rate_claimed"),
                   key_column(_("redeemed"), "redeemed"), key_column(_("redeemed: members"), "redeemed_members"),
                   key_column(_("money taken off bills"), "money_off"), key_column(_("bills"), "bills"),
                   key_column(_("bills' value"), "bill_value")]
        return ReportResult(
            columns=columns, rows=rows, totals=totals,
            chart=[ChartSeries(_("redeemed"), [(d["day"], d["n"]) for d in daily]),
                   ChartSeries(_("money taken off bills"), [(d["day"], d["off"]) for d in daily])],
            notes=[_("Issued: coupons that reached a member in these days, any way. Claimed: those a member took "
                     "(claim link or QR code, points, purchase, a friend's share)."),
                   _("Redemption rate of issued = coupons issued in these days and used by now ÷ coupons issued in "
                     "these days; of claimed, the same for the claimed ones."),
                   _("Claim page views are counted since the template was made, not per day."),
                   _("Redeemed, money off, bills and their value are the redemptions in these days at the chosen "
                     "stores; the stores do not narrow issued and claimed (a coupon has no store until used)."),
                   _("One row per template and claim channel; the no-channel row holds the coupons claimed on "
                     "the template's own link and those that reached members any other way (sends, gifts, "
                     "rewards). A channel's claim page views are its link's; the no-channel row's are the "
                     "template's beyond its channels'."),
                   _("Distinct members: each member counted once per template and channel.")])

    @staticmethod
    def _row(*, template: str, channel: str, exposed: int, i: dict, r: dict) -> dict:
        """One template and channel's figures, from its issue (`i`) and redemption (`r`) aggregates."""
        return {
            "template": template, "channel": channel, "exposed": exposed,
            "issued": i.get("issued", 0), "issued_members": i.get("issued_members", 0),
            "claimed": i.get("claimed", 0), "claimed_members": i.get("claimed_members", 0),
            "used_of_issued": i.get("used_of_issued", 0), "used_of_claimed": i.get("used_of_claimed", 0),
            "rate_issued": rate(i.get("used_of_issued", 0), i.get("issued", 0)),
            "rate_claimed": rate(i.get("used_of_claimed", 0), i.get("claimed", 0)),
            "redeemed": r.get("redeemed", 0), "redeemed_members": r.get("redeemed_members", 0),
            "money_off": quantize(r.get("money_off") or ZERO),  # SQLite sums drop the places
            # A redemption outside checkout names no payment: it is one bill of its own.
            "bills": r.get("redeemed", 0) if r and not r.get("bills") else r.get("bills", 0),
            "bill_value": quantize(r.get("bill_value") or ZERO),
        }
