"""The console's home page: today, this week and this month against the period before, trends, the top coupons
and stores, and for the operator the platform (merchants, their activity, the prepaid liability).

Everything is read inside `report_reads()` and is a fixed number of aggregate statements: one per tile, one per
trend, one per top list, three for the platform, whatever the number of payments behind them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.giftcards.models import GiftCard
from checkout.models import Payment
from checkout.segments import VISIT_STATUSES
from coupons.models import CouponRedemption
from loyalty.dashboard import DashboardScope, TileFigure, Window, dashboard_tiles
from loyalty.money import ZERO, MoneyField
from loyalty.replica import report_reads
from loyalty.reports import ChartSeries
from merchants.models import Member, Merchant, Store
from reports.tiles import TAKINGS
from wallet.models import Wallet

TREND_DAYS = (30, 90)
TOP = 5
OUTSTANDING_GIFT_CARDS = [GiftCard.Status.NOT_ACTIVATED, GiftCard.Status.RECEIVED, GiftCard.Status.ACTIVE,
                          GiftCard.Status.SENDING]


def _start(day: datetime.date, zone: datetime.tzinfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)


def windows_for(today: datetime.date, zone: datetime.tzinfo) -> tuple[Window, ...]:
    """Today, this week (from Monday) and this month, each followed by the same days of the period before."""
    tomorrow = today + datetime.timedelta(days=1)
    monday = today - datetime.timedelta(days=today.weekday())
    first = today.replace(day=1)
    previous_first = (first - datetime.timedelta(days=1)).replace(day=1)
    # This month's days so far, in the month before (clamped to its end: 31 March is compared to 1–28 Feb).
    previous_end = min(previous_first + (tomorrow - first), first)
    spans = [("today", _("today"), today, tomorrow),
             ("yesterday", _("yesterday"), today - datetime.timedelta(days=1), today),
             ("week", _("this week"), monday, tomorrow),
             ("last_week", _("the same days last week"), monday - datetime.timedelta(days=7),
              tomorrow - datetime.timedelta(days=7)),
             ("month", _("this month"), first, tomorrow),
             ("last_month", _("the same days last month"), previous_first, previous_end)]
    return tuple(Window(code, label, _start(a, zone), _start(b, zone)) for code, label, a, b in spans)


@dataclass
class FigureRow:
    """One figure of a tile: per period (today, this week, this month) the value now, before, and the change in
    per cent (None: nothing before to compare with)."""

    label: str
    money: bool
    cells: list[tuple[Decimal | int, Decimal | int, Decimal | None]]


@dataclass
class TileView:
    code: str
    label: str
    periods: list[str]
    rows: list[FigureRow]


@dataclass
class Dashboard:
    today: datetime.date
    zone: str
    tiles: list[TileView]
    trend: list[ChartSeries]
    trend_days: int
    top_coupons: list[dict]
    top_stores: list[dict]
    platform: list[dict] = field(default_factory=list)
    liability: dict[str, Decimal] = field(default_factory=dict)


def _change(now: Decimal | int, before: Decimal | int) -> Decimal | None:
    if not before:
        return None
    return (Decimal(now - before) * 100 / Decimal(before)).quantize(Decimal("0.1"))


def _tile_view(tile, figures: list[TileFigure], windows: tuple[Window, ...], *, money: bool) -> TileView:
    pairs = range(0, len(windows), 2)
    rows = [FigureRow(f.label, f.money, [(f.values[i], f.values[i + 1], _change(f.values[i], f.values[i + 1]))
                                          for i in pairs])
            for f in figures if money or not f.money]
    return TileView(tile.code, str(tile.label), [str(windows[i].label) for i in pairs], rows)


def build_dashboard(*, merchant: Merchant | None, store_ids: tuple[int, ...], money: bool,
                    trend_days: int = 30, now: datetime.datetime | None = None) -> Dashboard:
    """The dashboard for a merchant (None: the operator's platform view) and the stores the reader may see.
    `money` is False for readers who may not see money (cashiers): their tiles keep only counts."""
    zone = merchant.zone if merchant is not None else ZoneInfo(timezone.get_default_timezone_name())
    today = timezone.localtime(now or timezone.now(), zone).date()
    windows = windows_for(today, zone)
    scope = DashboardScope(merchant_id=merchant.pk if merchant else None, store_ids=store_ids, windows=windows)
    merchant_q = scope.merchant_q()
    since = _start(today - datetime.timedelta(days=trend_days - 1), zone)
    with report_reads():
        tiles = []
        for tile in dashboard_tiles.all():
            view = _tile_view(tile, tile.measure(scope), windows, money=money)
            if view.rows:
                tiles.append(view)
        # One read of the window's payments per day and store feeds both the trend and the top stores.
        daily: dict[datetime.date, dict] = {}
        by_store: dict[str, dict] = {}
        for row in (Payment.objects.filter(merchant_q, scope.stores_q(), created_at__gte=since,
                                           status__in=VISIT_STATUSES)
                    .annotate(day=TruncDate("created_at", tzinfo=zone)).order_by().values("day", "store__name")
                    .annotate(count=Count("pk"), takings=Sum(TAKINGS, output_field=MoneyField()))):
            day = daily.setdefault(row["day"], {"count": 0, "takings": ZERO})
            store = by_store.setdefault(row["store__name"], {"store__name": row["store__name"], "payments": 0,
                                                             "takings": ZERO})
            day["count"] += row["count"]
            day["takings"] += row["takings"] or ZERO
            store["payments"] += row["count"]
            store["takings"] += row["takings"] or ZERO
        days = [today - datetime.timedelta(days=n) for n in range(trend_days - 1, -1, -1)]
        trend = [ChartSeries(_("payments"), [(d, daily[d]["count"] if d in daily else 0) for d in days])]
        if money:
            trend.insert(0, ChartSeries(_("takings"), [(d, daily[d]["takings"] if d in daily else ZERO)
                                                       for d in days]))
        top_coupons = list(CouponRedemption.objects.filter(merchant_q, scope.stores_q(), redeemed_at__gte=since,
                                                           reversed_at__isnull=True)
                           .order_by().values("template__name")
                           .annotate(redeemed=Count("pk"), money_off=Sum("discount"))
                           .order_by("-redeemed", "template__name")[:TOP])
        top_stores = sorted(by_store.values(), key=lambda store: (
            -(store["takings"] if money else store["payments"]), store["store__name"]))[:TOP]
        dashboard = Dashboard(today=today, zone=str(zone), tiles=tiles, trend=trend, trend_days=trend_days,
                              top_coupons=top_coupons, top_stores=top_stores)
        if merchant is None:
            _add_platform(dashboard, since=since)
    return dashboard


def _add_platform(dashboard: Dashboard, *, since: datetime.datetime) -> None:
    """The operator's view: every merchant with its members and activity, and what the platform owes."""
    paid = Q(payments__created_at__gte=since, payments__status__in=VISIT_STATUSES)
    activity = {row["pk"]: row for row in Merchant.objects.order_by().values("pk").annotate(
        payments_n=Count("payments", filter=paid),
        takings=Sum(F("payments__amount_due") - F("payments__refunded_amount"), filter=paid,
                    output_field=MoneyField()))}
    members = dict(Member.objects.order_by().values("merchant").annotate(n=Count("pk")).values_list("merchant", "n"))
    stores = dict(Store.objects.order_by().values("merchant").annotate(n=Count("pk")).values_list("merchant", "n"))
    dashboard.platform = [{"merchant": m, "members": members.get(m.pk, 0), "stores": stores.get(m.pk, 0),
                           "payments": activity.get(m.pk, {}).get("payments_n", 0),
                           "takings": activity.get(m.pk, {}).get("takings") or ZERO}
                          for m in Merchant.objects.order_by("name")]
    wallets = Wallet.objects.aggregate(principal=Sum("principal"), bonus=Sum("bonus"), cashback=Sum("cashback"))
    gift = GiftCard.objects.filter(status__in=OUTSTANDING_GIFT_CARDS).aggregate(balance=Sum("balance"))
    liability = {"principal": wallets["principal"] or ZERO, "bonus": wallets["bonus"] or ZERO,
                 "cashback": wallets["cashback"] or ZERO, "gift_cards": gift["balance"] or ZERO}
    liability["total"] = sum(liability.values(), ZERO)
    dashboard.liability = liability
