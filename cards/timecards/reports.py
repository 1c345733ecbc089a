"""The time card report (时长卡): per product, periods sold and given, revenue, visits, and the cards still running.

Sold: periods that became a member's in the days, bought online or at the counter; given: as a benefit. Visits:
uses recorded in the days and not undone, at the chosen stores. Outstanding: active periods not yet ended (or
waiting for their first use) now. Stores narrow sales (the store that sold it) and visits.
"""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.timecards.models import TimeCard, TimeCardProduct, TimeCardUse
from loyalty.money import ZERO
from loyalty.reports import ChartSeries, Report, ReportResult, ReportScope, key_column

HELD = [TimeCard.Status.ACTIVE, TimeCard.Status.VOID]
SOLD = Q(source__in=[TimeCard.Source.PURCHASE, TimeCard.Source.CASH_SALE])


class TimeCardsReport(Report):
    code = "time_cards"
    label = gettext_lazy("Time cards: sold, used, outstanding")
    group = gettext_lazy("Stored value and cards")
    order = 40

    def compute(self, scope: ReportScope) -> ReportResult:
        first, after = scope.bounds()
        merchant = Q() if scope.merchant_id is None else Q(merchant_id=scope.merchant_id)
        stores = Q(store_id__in=scope.store_ids) if scope.store_ids else Q()
        today = timezone.localtime(timezone.now(), scope.zone).date()
        sales = {r["product"]: r for r in TimeCard.objects.filter(
            merchant, stores, status__in=HELD, created_at__gte=first, created_at__lt=after)
            .order_by().values("product").annotate(sold=Count("pk", filter=SOLD), given=Count("pk", filter=~SOLD),
                                                  buyers=Count("member", distinct=True, filter=SOLD),
                                                  revenue=Sum("price_paid", filter=SOLD))}
        visits = {r["product"]: r for r in TimeCardUse.objects.filter(
            merchant, stores, used_at__gte=first, used_at__lt=after, undone_at__isnull=True)
            .order_by().values("product").annotate(visits=Count("pk"), visitors=Count("member", distinct=True))}
        running = {r["product"]: r for r in TimeCard.objects.filter(
            merchant, Q(ends_on__isnull=True) | Q(ends_on__gte=today), status=TimeCard.Status.ACTIVE)
            .order_by().values("product").annotate(cards=Count("pk"), holders=Count("member", distinct=True))}
        rows = []
        for product in TimeCardProduct.objects.filter(merchant).order_by("name", "pk").values("pk", "name"):
            s, v, o = (sales.get(product["pk"], {}), visits.get(product["pk"], {}), running.get(product["pk"], {}))
            rows.append({"product": product["name"], "sold": s.get("sold", 0), "buyers": s.get("buyers", 0),
                         "given": s.get("given", 0), "revenue": s.get("revenue") or ZERO,
                         "visits": v.get("visits", 0), "visitors": v.get("visitors", 0),
                         "running": o.get("cards", 0), "holders": o.get("holders", 0)})
        totals = {"product": _("total"), "revenue": sum((r["revenue"] for r in rows), ZERO)}
        for key in ("sold", "given", "visits", "running"):
            totals[key] = sum(r[key] for r in rows)
        columns = [key_column(_("time card"), "product"), key_column(_("sold"), "sold"),
                   key_column(_("sold: members"), "buyers"), key_column(_("given as a benefit"), "given"),
                   key_column(_("revenue"), "revenue"), key_column(_("visits"), "visits"),
                   key_column(_("visits: members"), "visitors"), key_column(_("cards running now"), "running"),
                   key_column(_("members holding one now"), "holders")]
        return ReportResult(columns=columns, rows=rows, totals=totals,
                            chart=[ChartSeries(_("sold"), [(r["product"], r["sold"]) for r in rows]),
                                   ChartSeries(_("visits"), [(r["product"], r["visits"]) for r in rows])],
                            notes=[_("Sold: bought online or at the counter in these days; visits: recorded in "
                                     "these days and not undone. Cards running are as they stand now.")])
