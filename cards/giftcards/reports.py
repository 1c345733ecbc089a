"""The gift card report (礼品卡): per face value, cards sold and their value, what cards paid, and the balance
still outstanding.

Sold: cards issued in the days (a card sent to a friend is a new card for the friend, so it is not counted again:
only cards bought, `previous` empty). Spent: what gift cards paid of payments in the days at the chosen stores,
net of refunds. Outstanding: the balance of cards not used up, expired, voided, sent on or moved, now.
"""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.giftcards.models import FaceValue, GiftCard, GiftCardUse
from loyalty.money import ZERO, MoneyField
from loyalty.reports import ChartSeries, Report, ReportResult, ReportScope, key_column

OUTSTANDING = [GiftCard.Status.NOT_ACTIVATED, GiftCard.Status.RECEIVED, GiftCard.Status.ACTIVE,
               GiftCard.Status.SENDING]


class GiftCardsReport(Report):
    code = "gift_cards"
    label = gettext_lazy("Gift cards: sold, spent, outstanding")
    group = gettext_lazy("Stored value and cards")
    order = 50

    def compute(self, scope: ReportScope) -> ReportResult:
        first, after = scope.bounds()
        merchant = Q() if scope.merchant_id is None else Q(merchant_id=scope.merchant_id)
        sold = {r["face_value"]: r for r in GiftCard.objects.filter(
            merchant, previous__isnull=True, purchase__isnull=False, created_at__gte=first, created_at__lt=after)
            .order_by().values("face_value").annotate(sold=Count("pk"), value=Sum("initial_amount"),
                                                     buyers=Count("purchase__buyer", distinct=True))}
        uses = GiftCardUse.objects.filter(merchant, created_at__gte=first, created_at__lt=after)
        if scope.store_ids:
            uses = uses.filter(store_id__in=scope.store_ids)
        spent = {r["card__face_value"]: r for r in uses.order_by().values("card__face_value").annotate(
            payments=Count("reference", distinct=True),
            spent=Sum(F("amount") - F("refunded"), output_field=MoneyField()))}
        left = {r["face_value"]: r for r in GiftCard.objects.filter(merchant, status__in=OUTSTANDING)
                .order_by().values("face_value").annotate(cards=Count("pk"), balance=Sum("balance"))}
        rows = []
        for face in FaceValue.objects.filter(merchant).order_by("amount", "pk").values("pk", "name"):
            s, u, o = sold.get(face["pk"], {}), spent.get(face["pk"], {}), left.get(face["pk"], {})
            rows.append({"face_value": face["name"], "sold": s.get("sold", 0), "buyers": s.get("buyers", 0),
                         "value": s.get("value") or ZERO, "payments": u.get("payments", 0),
                         "spent": u.get("spent") or ZERO, "cards": o.get("cards", 0),
                         "balance": o.get("balance") or ZERO})
        totals = {"face_value": _("total")}
        for key in ("sold", "payments", "cards"):
            totals[key] = sum(r[key] for r in rows)
        for key in ("value", "spent", "balance"):
            totals[key] = sum((r[key] for r in rows), ZERO)
        columns = [key_column(_("face value"), "face_value"), key_column(_("sold"), "sold"),
                   key_column(_("sold: buyers"), "buyers"), key_column(_("value sold"), "value"),
                   key_column(_("payments paid with them"), "payments"), key_column(_("spent"), "spent"),
                   key_column(_("cards outstanding now"), "cards"), key_column(_("outstanding balance now"),
                                                                                "balance")]
        return ReportResult(columns=columns, rows=rows, totals=totals,
                            chart=[ChartSeries(_("value sold"), [(r["face_value"], r["value"]) for r in rows]),
                                   ChartSeries(_("spent"), [(r["face_value"], r["spent"]) for r in rows])],
                            notes=[_("Sold: cards bought in these days (a card sent on to a friend is not sold "
                                     "again). Spent: what cards paid of payments in these days, net of refunds. "
                                     "Outstanding is as it stands now.")])
