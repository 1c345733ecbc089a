"""The dashboard's own tiles: payments and takings by channel, members joining, stored value, coupons, points.

Each is one aggregate statement over the widest window (`DashboardScope.span_q`), a filtered sum or count per
window. A payment counts as a visit when paid or partly refunded (checkout's rule); takings are what the member
paid net of refunds, by the payment's outside channel ("member's accounts" when stored value, cashback or gift
cards paid the whole bill).
"""

from __future__ import annotations

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.membership.models import PointsEntry, PointsReason
from checkout.models import Payment
from checkout.segments import VISIT_STATUSES
from coupons.models import CouponRedemption
from loyalty.dashboard import DashboardScope, DashboardTile, TileFigure, in_windows, window_values
from loyalty.money import ZERO, MoneyField, quantize
from merchants.models import Member
from wallet.models import Pocket, Recharge, WalletEntry

TAKINGS = F("amount_due") - F("refunded_amount")
SPENT_POINTS = [PointsReason.COUPON_EXCHANGE, PointsReason.POINTS_DEDUCTION]


def _total(rows: list[dict], name: str, size: int, *, zero):
    """The per-window sum over every group (channel) of a grouped statement."""
    return tuple(sum((row.get(f"{name}_{i}") or zero for row in rows), zero) for i in range(size))


class PaymentsTile(DashboardTile):
    code = "payments"
    label = gettext_lazy("Payments")
    order = 10

    def measure(self, scope: DashboardScope) -> list[TileFigure]:
        windows = scope.windows
        rows = list(Payment.objects.filter(scope.merchant_q(), scope.stores_q(), scope.span_q("created_at"),
                                           status__in=VISIT_STATUSES)
                    .order_by().values("channel")
                    .annotate(**in_windows("takings", lambda q: Sum(TAKINGS, filter=q, output_field=MoneyField()),
                                           at="created_at", windows=windows),
                              **in_windows("bills", lambda q: Sum("bill_amount", filter=q), at="created_at",
                                           windows=windows),
                              **in_windows("count", lambda q: Count("pk", filter=q), at="created_at",
                                           windows=windows)))
        count = _total(rows, "count", len(windows), zero=0)
        takings = _total(rows, "takings", len(windows), zero=ZERO)
        bills = _total(rows, "bills", len(windows), zero=ZERO)
        average = tuple(quantize(b / c) if c else ZERO for b, c in zip(bills, count, strict=True))
        channels = dict(Payment._meta.get_field("channel").choices)
        figures = [TileFigure(_("payments"), count), TileFigure(_("takings"), takings, money=True),
                   TileFigure(_("average bill"), average, money=True)]
        for row in sorted(rows, key=lambda r: r["channel"]):
            name = channels.get(row["channel"]) or _("member's accounts")
            figures.append(TileFigure(_("takings: %(channel)s") % {"channel": name},
                                      window_values(row, "takings", windows, zero=ZERO), money=True))
        return figures


class NewMembersTile(DashboardTile):
    code = "members"
    label = gettext_lazy("New members")
    order = 20

    def measure(self, scope: DashboardScope) -> list[TileFigure]:
        row = Member.objects.filter(scope.merchant_q(), scope.stores_q("source_store_id"),
                                    scope.span_q("joined_at")).aggregate(
            **in_windows("joined", lambda q: Count("pk", filter=q), at="joined_at", windows=scope.windows))
        return [TileFigure(_("new members"), window_values(row, "joined", scope.windows))]


class StoredValueTile(DashboardTile):
    code = "stored_value"
    label = gettext_lazy("Stored value")
    order = 30

    def measure(self, scope: DashboardScope) -> list[TileFigure]:
        windows = scope.windows
        recharged = Recharge.objects.filter(
            scope.merchant_q(), scope.stores_q(), scope.span_q("created_at"),
            status__in=[Recharge.Status.PAID, Recharge.Status.REFUNDED]).aggregate(
            **in_windows("amount", lambda q: Sum("amount", filter=q), at="created_at", windows=windows),
            **in_windows("count", lambda q: Count("pk", filter=q), at="created_at", windows=windows))
        spent = WalletEntry.objects.filter(
            scope.merchant_q(), scope.stores_q(), scope.span_q("created_at"),
            pocket__in=[Pocket.PRINCIPAL, Pocket.BONUS],
            reason__in=[WalletEntry.Reason.PAYMENT, WalletEntry.Reason.PAYMENT_REFUND]).aggregate(
            **in_windows("spent", lambda q: Sum("delta", filter=q), at="created_at", windows=windows))
        return [TileFigure(_("recharges"), window_values(recharged, "count", windows)),
                TileFigure(_("recharged"), window_values(recharged, "amount", windows, zero=ZERO), money=True),
                TileFigure(_("stored value spent"),
                           tuple(-v for v in window_values(spent, "spent", windows, zero=ZERO)), money=True)]


class CouponsTile(DashboardTile):
    code = "coupons"
    label = gettext_lazy("Coupons redeemed")
    order = 40

    def measure(self, scope: DashboardScope) -> list[TileFigure]:
        row = CouponRedemption.objects.filter(scope.merchant_q(), scope.stores_q(), scope.span_q("redeemed_at"),
                                              reversed_at__isnull=True).aggregate(
            **in_windows("count", lambda q: Count("pk", filter=q), at="redeemed_at", windows=scope.windows),
            **in_windows("off", lambda q: Sum("discount", filter=q), at="redeemed_at", windows=scope.windows))
        return [TileFigure(_("coupons redeemed"), window_values(row, "count", scope.windows)),
                TileFigure(_("money taken off bills"), window_values(row, "off", scope.windows, zero=ZERO),
                           money=True)]


class PointsTile(DashboardTile):
    code = "points"
    label = gettext_lazy("Points")
    order = 50

    def measure(self, scope: DashboardScope) -> list[TileFigure]:
        earned = Q(delta__gt=0) & ~Q(reason=PointsReason.POINTS_RETURNED)
        spent = Q(reason__in=SPENT_POINTS)
        row = PointsEntry.objects.filter(scope.merchant_q(), scope.stores_q(), scope.span_q("created_at")).aggregate(
            **in_windows("earned", lambda q: Sum("delta", filter=q & earned), at="created_at", windows=scope.windows),
            **in_windows("spent", lambda q: Sum("delta", filter=q & spent), at="created_at", windows=scope.windows))
        return [TileFigure(_("points earned"), window_values(row, "earned", scope.windows)),
                TileFigure(_("points spent"), tuple(-v for v in window_values(row, "spent", scope.windows)))]


TILES = (PaymentsTile(), NewMembersTile(), StoredValueTile(), CouponsTile(), PointsTile())
