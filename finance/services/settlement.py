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
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from checkout.models import Channel, Payment, PaymentAdjustment, PaymentTender, RefundLine
from checkout.tenders import OUTSIDE
from loyalty.money import ZERO, quantize
from loyalty.reports import ReportScope
from merchants.models import Store, Terminal

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


def read_settlement(scope: ReportScope) -> list[SettlementRow]:
    """The settlement for `scope`: payments on the day they were made, refunds on the day they were made."""
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
    rows = settle(Grouped(payments=payments, adjustments=adjustments, tenders=tenders, refunds=refunds))
    _name(rows)
    return rows


def _name(rows: list[SettlementRow]) -> None:
    stores = dict(Store.objects.filter(pk__in={row.store_id for row in rows}).values_list("pk", "name"))
    tills = dict(Terminal.objects.filter(pk__in={row.terminal_id for row in rows if row.terminal_id})
                 .values_list("pk", "name"))
    channels = dict(Channel.choices)
    for row in rows:
        row.store = stores.get(row.store_id, "")
        row.till = tills.get(row.terminal_id, "") if row.terminal_id else ""
        row.channel_label = str(channels.get(row.channel, row.channel)) if row.channel else ""
