"""The membership card report (会员卡): cards opened, and points issued, spent and expired per day, with the
points outstanding and those expiring next month.

A card is opened when a member joins (claiming the card is joining: there is no card without a member). Points
issued are every entry that added points except what a refund returned; spent are those that paid part of a bill
or bought a coupon; expired those the expiry took. Outstanding and expiring next month are as they stand now.
Stores narrow the ledger's figures (the store of the payment or recharge behind an entry).
"""

from __future__ import annotations

import calendar
import datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.membership.models import MembershipCard, PointsBucket, PointsReason
from cards.membership.services.points_days import points_by_day
from loyalty.reports import ChartSeries, Report, ReportResult, ReportScope, key_column

SPENT = [PointsReason.COUPON_EXCHANGE, PointsReason.POINTS_DEDUCTION]


def next_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


class MembershipCardsReport(Report):
    code = "membership_cards"
    label = gettext_lazy("Membership cards and points")
    group = gettext_lazy("Stored value and cards")
    order = 20

    def compute(self, scope: ReportScope) -> ReportResult:
        first, after = scope.bounds()
        merchant = Q() if scope.merchant_id is None else Q(merchant_id=scope.merchant_id)
        rows: dict[datetime.date, dict] = {}

        def row(day) -> dict:
            return rows.setdefault(day, {"day": day, "opened": 0, "issued": 0, "spent": 0, "expired": 0,
                                         "taken_back": 0})

        for c in (MembershipCard.objects.filter(merchant, created_at__gte=first, created_at__lt=after)
                  .annotate(day=TruncDate("created_at", tzinfo=scope.zone)).order_by().values("day")
                  .annotate(n=Count("pk"))):
            row(c["day"])["opened"] = c["n"]
        # Past days from the kept daily sums (membership.PointsDay), today and unkept days from the entries.
        moved = points_by_day(merchant_id=scope.merchant_id, start=scope.start, end=scope.end, zone=scope.zone,
                              store_ids=scope.store_ids)
        for (day, reason), points in moved.items():
            target = row(day)
            if reason != PointsReason.POINTS_RETURNED:
                target["issued"] += points.added
            if reason in SPENT:
                target["spent"] -= points.delta
            elif reason == PointsReason.EXPIRED:
                target["expired"] -= points.delta
            elif reason == PointsReason.REFUND_TAKEN_BACK:
                target["taken_back"] -= points.delta
        table = [rows[day] for day in sorted(rows)]
        now = MembershipCard.objects.filter(merchant).aggregate(cards=Count("pk"), points=Sum("points"))
        start, end = next_month(timezone.localtime(timezone.now(), scope.zone).date())
        expiring = PointsBucket.objects.filter(merchant, expires_on__gte=start, expires_on__lte=end,
                                               remaining__gt=0).aggregate(points=Sum("remaining"))
        totals = {"day": _("total")}
        for key in ("opened", "issued", "spent", "expired", "taken_back"):
            totals[key] = sum(r[key] for r in table)
        columns = [key_column(_("day"), "day"), key_column(_("cards opened"), "opened"),
                   key_column(_("points issued"), "issued"), key_column(_("points spent"), "spent"),
                   key_column(_("points expired"), "expired"), key_column(_("points taken back by refunds"),
                                                                          "taken_back")]
        return ReportResult(
            columns=columns, rows=table, totals=totals,
            chart=[ChartSeries(_("points issued"), [(r["day"], r["issued"]) for r in table]),
                   ChartSeries(_("points spent"), [(r["day"], r["spent"]) for r in table])],
            notes=[_("Now: %(cards)d cards, %(points)d points outstanding; %(expiring)d points expire next month "
                     "(%(start)s – %(end)s).") % {"cards": now["cards"], "points": now["points"] or 0,
                                                   "expiring": expiring["points"] or 0, "start": start, "end": end},
                   _("Issued: every entry that added points except those a refund returned. Spent: points that "
                     "paid part of a bill or bought a coupon.")])
