"""The daily settlement (日结): per day, store, till, cashier (收银员) and outside channel, what the bills came to, what
each pricing step took off, how each tender paid the rest, what was refunded to each, and what the payment
platform should pay in.

Read in five grouped statements (payments, adjustments, tenders, refund lines, and the names), whatever the
number of payments; assembled by the pure `settle`, so its arithmetic is tested on its own.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import chain

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import pgettext

from checkout.models import Channel, Payment, PaymentAdjustment, PaymentTender, RefundLine
from checkout.tenders import OUTSIDE
from finance.models import SettledDay, SettlementFigure
from loyalty.money import ZERO, quantize
from loyalty.reports import ReportScope
from loyalty.usable_cards import merchant_today, merchant_zone
from merchants.kept_days import day_runs, replace_kept_days
from merchants.models import Merchant, StaffMember, Store, Terminal

SETTLED = (Payment.Status.PAID, Payment.Status.PARTLY_REFUNDED, Payment.Status.REFUNDED)

# day, store, terminal (None: self-pay, webhook), cashier (None: self-pay, webhook, a till that named none),
# how the payment came in (Payment.Source), channel
Key = tuple[datetime.date, int, int | None, int | None, str, str]
DIMENSIONS = ("day", "store", "terminal", "cashier", "source", "channel")


@dataclass
class SettlementRow:
    """One day at one store's till, taken by one cashier (or by self-pay, or reported by the platform), for one
    outside channel."""

    day: datetime.date
    store_id: int
    terminal_id: int | None
    cashier_id: int | None
    source: str
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
    cashier: str = ""
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
    """The rows, sorted by day, store, till, cashier, source, channel. Sums of two-place amounts, exact to the
    cent."""
    rows: dict[Key, SettlementRow] = {}

    def row(values: dict) -> SettlementRow:
        key = tuple(values[name] for name in DIMENSIONS)
        if key not in rows:
            rows[key] = SettlementRow(day=key[0], store_id=key[1], terminal_id=key[2], cashier_id=key[3],
                                      source=key[4], channel=key[5])
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
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1], k[2] or 0, k[3] or 0, k[4], k[5]))]


def _scoped(queryset, scope: ReportScope, prefix: str = ""):
    if scope.merchant_id is not None:
        queryset = queryset.filter(**{f"{prefix}merchant_id": scope.merchant_id})
    if scope.store_ids:
        queryset = queryset.filter(**{f"{prefix}store_id__in": scope.store_ids})
    return queryset


# Kept days to leave out of a read of the payments: the merchants that kept the instants [since, until).
Skip = Sequence[tuple[Sequence[int], datetime.datetime, datetime.datetime]]


def _skipping(queryset, skip: Skip, prefix: str, at: str):
    if not skip:
        return queryset
    kept = Q()
    for merchant_ids, since, until in skip:
        kept |= Q(**{f"{prefix}merchant_id__in": merchant_ids, f"{at}__gte": since, f"{at}__lt": until})
    return queryset.exclude(kept)


def _grouped(scope: ReportScope, skip: Skip = ()) -> Grouped:
    """The payments themselves, grouped: four statements over `scope`'s days (less the kept ones in `skip`)."""
    first, after = scope.bounds()
    zone = scope.zone
    paid = Q(status__in=SETTLED, created_at__gte=first, created_at__lt=after)
    payments = (_skipping(_scoped(Payment.objects.filter(paid), scope), skip, "", "created_at")
                .annotate(day=TruncDate("created_at", tzinfo=zone))
                .values(*DIMENSIONS)
                .annotate(n=Count("pk"), bills=Sum("bill_amount"), discounts=Sum("discount_total"),
                          due=Sum("amount_due")).order_by())
    of_payment = Q(payment__status__in=SETTLED, payment__created_at__gte=first, payment__created_at__lt=after)
    by_payment = {"day": TruncDate("payment__created_at", tzinfo=zone), "store": F("payment__store"),
                  "terminal": F("payment__terminal"), "cashier": F("payment__cashier"),
                  "source": F("payment__source"), "channel": F("payment__channel"), "kind_code": F("kind")}
    adjustments = (_skipping(_scoped(PaymentAdjustment.objects.filter(of_payment), scope, "payment__"), skip,
                             "payment__", "payment__created_at")
                   .values(**by_payment).annotate(amount=Sum("amount")).order_by())
    tenders = (_skipping(_scoped(PaymentTender.objects.filter(of_payment), scope, "payment__"), skip, "payment__",
                         "payment__created_at")
               .values(**by_payment).annotate(amount=Sum("amount")).order_by())
    refunds = (_skipping(_scoped(RefundLine.objects.filter(refund__created_at__gte=first,
                                                           refund__created_at__lt=after), scope, "refund__payment__"),
                         skip, "refund__payment__", "refund__created_at")
               .values(day=TruncDate("refund__created_at", tzinfo=zone), store=F("refund__payment__store"),
                       terminal=F("refund__payment__terminal"), cashier=F("refund__payment__cashier"),
                       source=F("refund__payment__source"), channel=F("refund__payment__channel"),
                       kind_code=F("tender__kind"))
               .annotate(amount=Sum("amount")).order_by())
    return Grouped(payments=list(payments), adjustments=list(adjustments), tenders=list(tenders),
                   refunds=list(refunds))


PAYMENT_FIGURES = ("bills", "discounts", "due")
KINDS = (("adjustments", "step"), ("tenders", "tender"), ("refunds", "refund"))


def _kept(scope: ReportScope, days: list[datetime.date], merchant_ids: Sequence[int] = ()) -> Grouped:
    """The kept figures of settled `days` (for the operator: every kept day of `merchant_ids` in the scope's
    days), back in the shape the payments' grouping has: one statement."""
    if scope.merchant_id is not None:
        figures = SettlementFigure.objects.filter(merchant_id=scope.merchant_id, day__in=days)
    else:
        figures = SettlementFigure.objects.filter(merchant_id__in=merchant_ids, day__gte=scope.start,
                                                  day__lte=scope.end)
    if scope.store_ids:
        figures = figures.filter(store_id__in=scope.store_ids)
    grouped: dict[str, list[dict]] = {"payments": [], "adjustments": [], "tenders": [], "refunds": []}
    payments: dict[Key, dict] = {}
    for row in figures.values(*DIMENSIONS, "figure", "count", "amount"):
        at = {name: row[name] for name in DIMENSIONS}
        kind, _sep, code = row["figure"].partition(":")
        if code:
            target = next(name for name, prefix in KINDS if prefix == kind)
            grouped[target].append({**at, "kind_code": code, "amount": row["amount"]})
            continue
        key = tuple(row[name] for name in DIMENSIONS)
        found = payments.setdefault(key, {**at, "n": 0, "bills": ZERO, "discounts": ZERO, "due": ZERO})
        found["n"] = max(found["n"], row["count"])
        found[row["figure"]] = row["amount"]
    grouped["payments"] = list(payments.values())
    return Grouped(**grouped)


def read_settlement(scope: ReportScope) -> list[SettlementRow]:
    """The settlement for `scope`: payments on the day they were made, refunds on the day they were made.

    Days kept by `settle_days` come from `SettlementFigure`; the others (today, days not yet kept) from the
    payments themselves. Both give the same figures.
    """
    if scope.merchant_id is None:
        parts = _every_merchant(scope)
    else:
        days = [scope.start + datetime.timedelta(days=n) for n in range((scope.end - scope.start).days + 1)]
        kept = sorted(SettledDay.objects.filter(merchant_id=scope.merchant_id, day__gte=scope.start,
                                                day__lte=scope.end).values_list("day", flat=True))
        parts = [_kept(scope, kept)] if kept else []
        kept_set = set(kept)
        for first, last in day_runs([day for day in days if day not in kept_set]):
            parts.append(_grouped(replace(scope, start=first, end=last)))
    rows = settle(Grouped(payments=chain(*(part.payments for part in parts)),
                          adjustments=chain(*(part.adjustments for part in parts)),
                          tenders=chain(*(part.tenders for part in parts)),
                          refunds=chain(*(part.refunds for part in parts))))
    _name(rows)
    return rows


def _every_merchant(scope: ReportScope) -> list[Grouped]:
    """The operator's view: every merchant's kept days from `SettlementFigure`, the rest from the payments in one
    read that leaves the kept days out. A merchant's days are its own zone's, so only the merchants whose zone is
    the scope's have their kept days used (the others are read from their payments, in the scope's days)."""
    same_zone = [merchant.pk for merchant in Merchant.objects.only("pk", "time_zone")
                 if merchant_zone(merchant).key == getattr(scope.zone, "key", str(scope.zone))]
    kept: dict[int, list[datetime.date]] = defaultdict(list)
    for merchant_id, day in SettledDay.objects.filter(merchant_id__in=same_zone, day__gte=scope.start,
                                                      day__lte=scope.end).values_list("merchant_id", "day"):
        kept[merchant_id].append(day)
    if not kept:
        return [_grouped(scope)]
    # Merchants usually keep the same days (one task keeps them all): one clause per distinct run of days.
    by_run: dict[tuple[datetime.date, datetime.date], list[int]] = defaultdict(list)
    for merchant_id, days in kept.items():
        for run in day_runs(days):
            by_run[run].append(merchant_id)
    skip = [(merchant_ids, *replace(scope, start=first, end=last).bounds())
            for (first, last), merchant_ids in sorted(by_run.items())]
    return [_kept(scope, [], merchant_ids=sorted(kept)), _grouped(scope, skip)]


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
                                terminal_id=values["terminal"], cashier_id=values["cashier"],
                                source=values["source"], channel=values["channel"], figure=name,
                                count=count, amount=quantize(amount))

    for values in grouped.payments:
        figures.extend(figure(values, name, values[name], values["n"]) for name in PAYMENT_FIGURES)
    for attribute, prefix in KINDS:
        figures.extend(figure(values, f"{prefix}:{values['kind_code']}", values["amount"])
                       for values in getattr(grouped, attribute))
    return replace_kept_days(merchant, first=first, last=last, table="settlement", figure_model=SettlementFigure,
                             kept_model=SettledDay, figures=figures)


def _name(rows: list[SettlementRow]) -> None:
    stores = dict(Store.objects.filter(pk__in={row.store_id for row in rows}).values_list("pk", "name"))
    tills = dict(Terminal.objects.filter(pk__in={row.terminal_id for row in rows if row.terminal_id})
                 .values_list("pk", "name"))
    cashiers = {pk: first_name or username for pk, username, first_name in StaffMember.objects.filter(
        pk__in={row.cashier_id for row in rows if row.cashier_id}).values_list("pk", "user__username",
                                                                              "user__first_name")}
    channels = dict(Channel.choices)
    for row in rows:
        row.store = stores.get(row.store_id, "")
        row.till = tills.get(row.terminal_id, "") if row.terminal_id else ""
        row.cashier = cashiers.get(row.cashier_id, "") if row.cashier_id else str(no_cashier(row.source))
        row.channel_label = str(channels.get(row.channel, row.channel)) if row.channel else ""


def no_cashier(source: str) -> str:
    """What the cashier column says of a payment nobody took at a till: self-pay is its own row."""
    if source == Payment.Source.SELF_PAY:
        return pgettext("the cashier of a payment the member made on their phone", "self-pay")
    if source == Payment.Source.WEBHOOK:
        return pgettext("the cashier of a payment the platform reported", "reported by the platform")
    return pgettext("the cashier of a till payment that named none", "not named")
