"""The daily settlement (日结): per day, store, cashier's till and outside channel, what the bills came to, what
each pricing step took off, how each tender paid the rest, what was refunded to each, and what the payment
platform should pay in.

Read in five grouped statements (payments, adjustments, tenders, refund lines, and the names), whatever the
number of payments; assembled by the pure `settle`, so its arithmetic is tested on its own.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import chain

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from checkout.models import Channel, Payment, PaymentAdjustment, PaymentTender, RefundLine
from checkout.tenders import OUTSIDE
from finance.models import SettledDay, SettlementFigure
from loyalty.money import ZERO, quantize
from loyalty.reports import ReportScope
from loyalty.usable_cards import merchant_today, merchant_zone
from merchants.models import Merchant, Store, Terminal

SETTLED = (Payment.Status.PAID, Payment.Status.PARTLY_REFUNDED, Payment.Status.REFUNDED)

Key = tuple[datetime.date, int, int | None, str]  # day, store, terminal (None: self-pay, webhook), channel


@dataclass
class SettlementRow:
    """One day at one store's till for one outside channel."""

    day: datetime.date
    store_id: int
    terminal_id: int | None
    channel: str
    payments: int = 0
    bills: Decimal = ZERO
    discounts: Decimal = ZERO
    due: Decimal = ZERO
    discount_by_step: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    paid_by_tender: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    refunded_by_tender: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    store: str = ""
    till: str = ""
    channel_label: str = ""

    @property
    def refunded(self) -> Decimal:
        return sum(self.refunded_by_tender.values(), ZERO)

    @property
    def platform_pays_in(self) -> Decimal:
        """What the outside channel collected, less what it gave back: what its statement should settle."""
        return self.paid_by_tender[OUTSIDE] - self.refunded_by_tender[OUTSIDE]

    @property
    def covered_inside(self) -> Decimal:
        """What the member's own accounts covered (stored value, cashback, gift cards): no money came in."""
        return self.due - self.paid_by_tender[OUTSIDE]

    def figure(self, name: str) -> Decimal | int:
        kind, _sep, code = name.partition(":")
        if kind == "step":
            return self.discount_by_step[code]
        if kind == "tender":
            return self.paid_by_tender[code]
        if kind == "refund":
            return self.refunded_by_tender[code]
        return getattr(self, name)


@dataclass(frozen=True)
class Grouped:
    """What the five statements read, as plain rows (so `settle` is pure)."""

    payments: Iterable[dict]
    adjustments: Iterable[dict]
    tenders: Iterable[dict]
    refunds: Iterable[dict]


def settle(grouped: Grouped) -> list[SettlementRow]:
    """The rows, sorted by day, store, till, channel. Sums of two-place amounts, exact to the cent."""
    rows: dict[Key, SettlementRow] = {}

    def row(values: dict) -> SettlementRow:
        key = (values["day"], values["store"], values["terminal"], values["channel"])
        if key not in rows:
            rows[key] = SettlementRow(day=key[0], store_id=key[1], terminal_id=key[2], channel=key[3])
        return rows[key]

    for values in grouped.payments:
        found = row(values)
        found.payments += values["n"]
        found.bills = quantize(found.bills + values["bills"])
        found.discounts = quantize(found.discounts + values["discounts"])
        found.due = quantize(found.due + values["due"])
    for lines, figures in ((grouped.adjustments, "discount_by_step"), (grouped.tenders, "paid_by_tender"),
                           (grouped.refunds, "refunded_by_tender")):
        for values in lines:
            by_kind = getattr(row(values), figures)
            by_kind[values["kind_code"]] = quantize(by_kind[values["kind_code"]] + values["amount"])
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1], k[2] or 0, k[3]))]


def _scoped(queryset, scope: ReportScope, prefix: str = ""):
    if scope.merchant_id is not None:
        queryset = queryset.filter(**{f"{prefix}merchant_id": scope.merchant_id})
    if scope.store_ids:
        queryset = queryset.filter(**{f"{prefix}store_id__in": scope.store_ids})
    return queryset


def _grouped(scope: ReportScope) -> Grouped:
    """The payments themselves, grouped: four statements over `scope`'s days."""
    first, after = scope.bounds()
    zone = scope.zone
    paid = Q(status__in=SETTLED, created_at__gte=first, created_at__lt=after)
    payments = (_scoped(Payment.objects.filter(paid), scope)
                .annotate(day=TruncDate("created_at", tzinfo=zone))
                .values("day", "store", "terminal", "channel")
                .annotate(n=Count("pk"), bills=Sum("bill_amount"), discounts=Sum("discount_total"),
                          due=Sum("amount_due")).order_by())
    of_payment = Q(payment__status__in=SETTLED, payment__created_at__gte=first, payment__created_at__lt=after)
    by_payment = {"day": TruncDate("payment__created_at", tzinfo=zone), "store": F("payment__store"),
                  "terminal": F("payment__terminal"), "channel": F("payment__channel"), "kind_code": F("kind")}
    adjustments = (_scoped(PaymentAdjustment.objects.filter(of_payment), scope, "payment__")
                   .values(**by_payment).annotate(amount=Sum("amount")).order_by())
    tenders = (_scoped(PaymentTender.objects.filter(of_payment), scope, "payment__")
               .values(**by_payment).annotate(amount=Sum("amount")).order_by())
    refunds = (_scoped(RefundLine.objects.filter(refund__created_at__gte=first, refund__created_at__lt=after),
                       scope, "refund__payment__")
               .values(day=TruncDate("refund__created_at", tzinfo=zone), store=F("refund__payment__store"),
                       terminal=F("refund__payment__terminal"), channel=F("refund__payment__channel"),
                       kind_code=F("tender__kind"))
               .annotate(amount=Sum("amount")).order_by())
    return Grouped(payments=list(payments), adjustments=list(adjustments), tenders=list(tenders),
                   refunds=list(refunds))


PAYMENT_FIGURES = ("bills", "discounts", "due")
KINDS = (("adjustments", "step"), ("tenders", "tender"), ("refunds", "refund"))


def _kept(scope: ReportScope, days: list[datetime.date]) -> Grouped:
    """The kept figures of settled `days`, back in the shape the payments' grouping has: one statement."""
    figures = SettlementFigure.objects.filter(merchant_id=scope.merchant_id, day__in=days)
    if scope.store_ids:
        figures = figures.filter(store_id__in=scope.store_ids)
    grouped: dict[str, list[dict]] = {"payments": [], "adjustments": [], "tenders": [], "refunds": []}
    payments: dict[Key, dict] = {}
    for row in figures.values("day", "store", "terminal", "channel", "figure", "count", "amount"):
        at = {"day": row["day"], "store": row["store"], "terminal": row["terminal"], "channel": row["channel"]}
        kind, _sep, code = row["figure"].partition(":")
        if code:
            target = next(name for name, prefix in KINDS if prefix == kind)
            grouped[target].append({**at, "kind_code": code, "amount": row["amount"]})
            continue
        key = (row["day"], row["store"], row["terminal"], row["channel"])
        found = payments.setdefault(key, {**at, "n": 0, "bills": ZERO, "discounts": ZERO, "due": ZERO})
        found["n"] = max(found["n"], row["count"])
        found[row["figure"]] = row["amount"]
    grouped["payments"] = list(payments.values())
    return Grouped(**grouped)


def _runs(days: list[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Consecutive days as (first, last) runs: each run is read from the payments in one go."""
    runs: list[tuple[datetime.date, datetime.date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + datetime.timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def read_settlement(scope: ReportScope) -> list[SettlementRow]:
    """The settlement for `scope`: payments on the day they were made, refunds on the day they were made.

    Days kept by `settle_days` come from `SettlementFigure`; the others (today, days not yet kept, and the
    operator's view over every merchant) from the payments themselves. Both give the same figures.
    """
    days = [scope.start + datetime.timedelta(days=n) for n in range((scope.end - scope.start).days + 1)]
    kept: list[datetime.date] = []
    if scope.merchant_id is not None:
        kept = sorted(SettledDay.objects.filter(merchant_id=scope.merchant_id, day__gte=scope.start,
                                                day__lte=scope.end).values_list("day", flat=True))
    parts = [_kept(scope, kept)] if kept else []
    kept_set = set(kept)
    for first, last in _runs([day for day in days if day not in kept_set]):
        parts.append(_grouped(replace(scope, start=first, end=last)))
    rows = settle(Grouped(payments=chain(*(part.payments for part in parts)),
                          adjustments=chain(*(part.adjustments for part in parts)),
                          tenders=chain(*(part.tenders for part in parts)),
                          refunds=chain(*(part.refunds for part in parts))))
    _name(rows)
    return rows


def settle_days(merchant: Merchant, *, first: datetime.date, last: datetime.date) -> int:
    """Keep the settlement of the merchant's days `first`..`last` (none after yesterday); idempotent: a day built
    again replaces its figures. Returns the number of figures written."""
    last = min(last, merchant_today(merchant) - datetime.timedelta(days=1))
    if last < first:
        return 0
    scope = ReportScope(merchant_id=merchant.pk, start=first, end=last, zone=merchant_zone(merchant))
    grouped = _grouped(scope)
    figures: list[SettlementFigure] = []

    def figure(values: dict, name: str, amount: Decimal, count: int = 0) -> SettlementFigure:
        return SettlementFigure(merchant_id=merchant.pk, day=values["day"], store_id=values["store"],
                                terminal_id=values["terminal"], channel=values["channel"], figure=name,
                                count=count, amount=quantize(amount))

    for values in grouped.payments:
        figures.extend(figure(values, name, values[name], values["n"]) for name in PAYMENT_FIGURES)
    for attribute, prefix in KINDS:
        figures.extend(figure(values, f"{prefix}:{values['kind_code']}", values["amount"])
                       for values in getattr(grouped, attribute))
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    with transaction.atomic():
        SettlementFigure.objects.filter(merchant=merchant, day__gte=first, day__lte=last).delete()
        SettlementFigure.objects.bulk_create(figures, batch_size=5000)
        SettledDay.objects.filter(merchant=merchant, day__gte=first, day__lte=last).delete()
        SettledDay.objects.bulk_create([SettledDay(merchant=merchant, day=day) for day in days])
    return len(figures)


def _name(rows: list[SettlementRow]) -> None:
    stores = dict(Store.objects.filter(pk__in={row.store_id for row in rows}).values_list("pk", "name"))
    tills = dict(Terminal.objects.filter(pk__in={row.terminal_id for row in rows if row.terminal_id})
                 .values_list("pk", "name"))
    channels = dict(Channel.choices)
    for row in rows:
        row.store = stores.get(row.store_id, "")
        row.till = tills.get(row.terminal_id, "") if row.terminal_id else ""
        row.channel_label = str(channels.get(row.channel, row.channel)) if row.channel else ""
