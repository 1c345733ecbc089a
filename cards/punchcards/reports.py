"""The punch card report (次卡): per product, cards sold and given, revenue, uses, and what is still outstanding.

Sold: cards that became a member's in the days, bought online or at the counter (a card waiting for its payment
or whose payment failed is not sold); given: cards given as a benefit. Uses: uses recorded in the days and not
undone, at the chosen stores. Outstanding: uses left on active cards now (unlimited cards counted apart).
Stores narrow sales (the store that sold the card) and uses.
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.punchcards.models import PunchCard, PunchCardProduct, PunchCardUse
from loyalty.money import ZERO
from loyalty.reports import ChartSeries, Report, ReportResult, ReportScope, key_column

HELD = [PunchCard.Status.ACTIVE, PunchCard.Status.VOID]
SOLD = Q(source__in=[PunchCard.Source.PURCHASE, PunchCard.Source.CASH_SALE])


class PunchCardsReport(Report):
    code = "punch_cards"
    label = gettext_lazy("Punch cards: sold, used, outstanding")
    group = gettext_lazy("Stored value and cards")
    order = 30

    def compute(self, scope: ReportScope) -> ReportResult:
        first, after = scope.bounds()
        merchant = Q() if scope.merchant_id is None else Q(merchant_id=scope.merchant_id)
        stores = Q(store_id__in=scope.store_ids) if scope.store_ids else Q()
        sales = {r["product"]: r for r in PunchCard.objects.filter(
            merchant, stores, status__in=HELD, created_at__gte=first, created_at__lt=after)
            .order_by().values("product").annotate(sold=Count("pk", filter=SOLD),
                                                  given=Count("pk", filter=~SOLD),
                                                  buyers=Count("member", distinct=True, filter=SOLD),
                                                  revenue=Sum("price_paid", filter=SOLD))}
        uses = {r["product"]: r for r in PunchCardUse.objects.filter(
            merchant, stores, used_at__gte=first, used_at__lt=after, undone_at__isnull=True)
            .order_by().values("product").annotate(uses=Sum("count"), users=Count("member", distinct=True))}
        outstanding = {r["product"]: r for r in PunchCard.objects.filter(merchant, status=PunchCard.Status.ACTIVE)
                       .order_by().values("product").annotate(cards=Count("pk"),
                                                             left=Sum("uses_left", filter=Q(unlimited=False)),
                                                             unlimited_cards=Count("pk", filter=Q(unlimited=True)))}
        rows = []
        for product in PunchCardProduct.objects.filter(merchant).order_by("name", "pk").values("pk", "name"):
            s, u, o = (sales.get(product["pk"], {}), uses.get(product["pk"], {}), outstanding.get(product["pk"], {}))
            rows.append({"product": product["name"], "sold": s.get("sold", 0), "buyers": s.get("buyers", 0),
                         "given": s.get("given", 0), "revenue": s.get("revenue") or ZERO, "uses": u.get("uses") or 0,
                         "users": u.get("users", 0), "active": o.get("cards", 0),
                         "uses_left": o.get("left") or 0, "unlimited": o.get("unlimited_cards", 0)})
        totals = {"product": _("total"), "revenue": sum((r["revenue"] for r in rows), ZERO)}
        for key in ("sold", "given", "uses", "active", "uses_left", "unlimited"):
            totals[key] = sum(r[key] for r in rows)
        columns = [key_column(_("punch card"), "product"), key_column(_("sold"), "sold"),
                   key_column(_("sold: members"), "buyers"), key_column(_("given as a benefit"), "given"),
                   key_column(_("revenue"), "revenue"), key_column(_("uses"), "uses"),
                   key_column(_("uses: members"), "users"), key_column(_("active cards now"), "active"),
                   key_column(_("uses left now"), "uses_left"), key_column(_("unlimited cards now"), "unlimited")]
        return ReportResult(columns=columns, rows=rows, totals=totals,
                            chart=[ChartSeries(_("sold"), [(r["product"], r["sold"]) for r in rows]),
                                   ChartSeries(_("uses"), [(r["product"], r["uses"]) for r in rows])],
                            notes=[_("Sold: bought online or at the counter in these days; uses: recorded in these "
                                     "days and not undone. Active cards and uses left are as they stand now.")])
