"""Measured effect: the treated group against the holdout over each member's attribution window.

The unit is one delivery (a member in one occurrence); its window opens when the delivery was recorded, for
the held out exactly as for the treated, and lasts the campaign's `attribution_days`. The treated group is
everyone assigned to treatment, also those a frequency cap stopped (intention to treat: dropping them would
compare a filtered group with an unfiltered one).

For each measure, the difference of the means per member with a 95 % interval: Welch's standard error
sqrt(s_t²/n_t + s_h²/n_h) (sample variances, n − 1) for visits, revenue and redemptions, and the two-proportion
interval sqrt(p_t(1−p_t)/n_t + p_h(1−p_h)/n_h) for the share of paying members; the interval is the difference
± 1.96 standard errors (normal approximation).

Too small to tell: a group of fewer than 30 members, or, for the share of paying members, fewer than 5 payers
or 5 non-payers in a group (the normal approximation needs both). The report then says so rather than a verdict.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Delivery, Occurrence, Outcome
from campaigns.services.messages import short_link_for, short_url
from cards.membership.models import MembershipProgram
from checkout.models import Payment
from checkout.segments import VISIT_STATUSES
from coupons.models import CouponRedemption, MassSendDelivery
from loyalty.models import OutboxMessage
from loyalty.money import ZERO, money_text, quantize
from loyalty.replica import report_reads

Z_95 = 1.96
MIN_GROUP = 30
MIN_EVENTS = 5


@dataclass(frozen=True)
class Comparison:
    treated: float
    held_out: float
    difference: float
    low: float
    high: float
    too_small: bool

    @property
    def distinguishable(self) -> bool:
        """The interval leaves out zero."""
        return not self.too_small and (self.low > 0 or self.high < 0)


def _mean_and_variance(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n if n else 0.0
    variance = sum((value - mean) ** 2 for value in values) / (n - 1) if n > 1 else 0.0
    return mean, variance


def mean_difference(treated: Sequence[float], held_out: Sequence[float]) -> Comparison:
    """Difference of means with Welch's standard error and a 95 % normal interval."""
    mean_t, var_t = _mean_and_variance(treated)
    mean_h, var_h = _mean_and_variance(held_out)
    n_t, n_h = len(treated), len(held_out)
    se = math.sqrt(var_t / n_t + var_h / n_h) if n_t and n_h else 0.0
    difference = mean_t - mean_h
    return Comparison(mean_t, mean_h, difference, difference - Z_95 * se, difference + Z_95 * se,
                      too_small=min(n_t, n_h) < MIN_GROUP)


def proportion_difference(successes_t: int, n_t: int, successes_h: int, n_h: int) -> Comparison:
    """Difference of two proportions with the unpooled standard error and a 95 % normal interval."""
    p_t = successes_t / n_t if n_t else 0.0
    p_h = successes_h / n_h if n_h else 0.0
    se = math.sqrt(p_t * (1 - p_t) / n_t + p_h * (1 - p_h) / n_h) if n_t and n_h else 0.0
    small = (min(n_t, n_h) < MIN_GROUP or min(successes_t, successes_h) < MIN_EVENTS
             or min(n_t - successes_t, n_h - successes_h) < MIN_EVENTS)
    return Comparison(p_t, p_h, p_t - p_h, p_t - p_h - Z_95 * se, p_t - p_h + Z_95 * se, too_small=small)


@dataclass(frozen=True)
class MemberResult:
    """What one delivery's member did in its window."""

    treated: bool
    visits: int
    revenue: Decimal
    redemptions: int


@dataclass(frozen=True)
class Cost:
    coupons: Decimal = ZERO      # money off bills actually taken with the campaign's coupons
    points: Decimal = ZERO       # points given, valued at what they take off a bill
    money: Decimal = ZERO        # cashback, red packets and other amounts given

    @property
    def total(self) -> Decimal:
        return quantize(self.coupons + self.points + self.money)


@dataclass(frozen=True)
class Uplift:
    treated: int
    held_out: int
    visits: Comparison
    paying: Comparison
    revenue: Comparison
    redemptions: Comparison
    cost: Cost
    warnings: list[str] = field(default_factory=list)

    @property
    def incremental_revenue(self) -> Decimal:
        return quantize(Decimal(str(self.revenue.difference)) * self.treated)

    @property
    def return_per_cost(self) -> Decimal | None:
        """Money made per money spent: the incremental revenue over the cost of the benefits given."""
        if not self.cost.total:
            return None
        return quantize(self.incremental_revenue / self.cost.total)


def compare(results: Sequence[MemberResult], cost: Cost) -> Uplift:
    """The uplift from each delivery's window (pure: the worked example in the tests calls it directly)."""
    treated = [result for result in results if result.treated]
    held = [result for result in results if not result.treated]
    visits = mean_difference([r.visits for r in treated], [r.visits for r in held])
    revenue = mean_difference([float(r.revenue) for r in treated], [float(r.revenue) for r in held])
    redemptions = mean_difference([r.redemptions for r in treated], [r.redemptions for r in held])
    paying = proportion_difference(sum(1 for r in treated if r.visits), len(treated),
                                   sum(1 for r in held if r.visits), len(held))
    warnings = []
    if min(len(treated), len(held)) < MIN_GROUP:
        warnings.append("group_too_small")
    elif paying.too_small:
        warnings.append("too_few_payers")
    return Uplift(len(treated), len(held), visits, paying, revenue, redemptions, cost, warnings)


def member_results(campaign: Campaign) -> list[MemberResult]:
    window = datetime.timedelta(days=campaign.attribution_days)
    deliveries = Delivery.objects.filter(campaign=campaign).annotate(
        window_end=ExpressionWrapper(F("created_at") + Value(window), output_field=Delivery._meta.get_field(
            "created_at")))
    in_window = {"member": OuterRef("member"), "created_at__gte": OuterRef("created_at"),
                 "created_at__lt": OuterRef("window_end")}
    payments = Payment.objects.filter(status__in=VISIT_STATUSES, **in_window).order_by().values("member")
    money = DecimalField(max_digits=14, decimal_places=2)
    redemptions = (CouponRedemption.objects.filter(coupon__member=OuterRef("member"), reversed_at__isnull=True,
                                                   redeemed_at__gte=OuterRef("created_at"),
                                                   redeemed_at__lt=OuterRef("window_end"))
                   .order_by().values("coupon__member").annotate(n=Count("pk")).values("n"))
    rows = deliveries.annotate(
        visits=Coalesce(Subquery(payments.annotate(n=Count("pk")).values("n")), 0),
        revenue=Coalesce(Subquery(payments.annotate(s=Sum(F("amount_due") - F("refunded_amount"))).values("s"),
                                  output_field=money), Value(ZERO), output_field=money),
        redeemed=Coalesce(Subquery(redemptions), 0),
    ).values_list("outcome", "visits", "revenue", "redeemed")
    return [MemberResult(outcome != Outcome.HELD_OUT, visits, quantize(Decimal(revenue)), redeemed)
            for outcome, visits, revenue, redeemed in rows]


def campaign_issuances(campaign: Campaign) -> list[int]:
    return list(Occurrence.objects.filter(campaign=campaign, issuance__isnull=False).values_list("issuance_id",
                                                                                                flat=True))


def benefits_cost(campaign: Campaign) -> Cost:
    issuances = campaign_issuances(campaign)
    coupons = CouponRedemption.objects.filter(coupon__issuance_id__in=issuances, reversed_at__isnull=True).aggregate(
        total=Sum("discount"))["total"] or ZERO
    points, money = 0, ZERO
    for given in MassSendDelivery.objects.filter(issuance_id__in=issuances).values_list("given", flat=True):
        for record in given:
            if record["kind"] == "points":
                points += record["quantity"]
            elif record["kind"] != "experience":
                money += Decimal(record["amount"])
    programme = MembershipProgram.objects.filter(merchant_id=campaign.merchant_id).first()
    value = (programme.reduce_money / programme.cost_bonus_unit) if programme and programme.cost_bonus_unit else ZERO
    return Cost(coupons=quantize(coupons), points=quantize(points * value), money=quantize(money))


def campaign_uplift(campaign: Campaign) -> Uplift:
    with report_reads():
        return compare(member_results(campaign), benefits_cost(campaign))


def _money(value: float) -> Decimal:
    return quantize(Decimal(str(value)))


def measure_uplift(campaign: Campaign, *, now: datetime.datetime | None = None) -> Uplift:
    """Measure the campaign and keep its revenue uplift per member (with its interval, or "too small to tell") on
    the campaign, where the list and the API read it without reading every delivery's window."""
    result = campaign_uplift(campaign)
    revenue = result.revenue
    kept = {"uplift_measured_at": now or timezone.now(), "uplift_revenue": _money(revenue.difference),
            "uplift_revenue_low": _money(revenue.low), "uplift_revenue_high": _money(revenue.high),
            "uplift_too_small": revenue.too_small}
    Campaign.objects.filter(pk=campaign.pk).update(**kept)
    for name, value in kept.items():
        setattr(campaign, name, value)
    return result


def uplift_text(campaign: Campaign) -> str:
    """The kept revenue uplift per member as the list and the exports show it."""
    if campaign.uplift_measured_at is None:
        return _("not measured yet")
    if campaign.uplift_too_small:
        return _("too small to tell")
    return _("%(difference)s per member (95 %% CI %(low)s to %(high)s)") % {
        "difference": money_text(campaign.uplift_revenue), "low": money_text(campaign.uplift_revenue_low),
        "high": money_text(campaign.uplift_revenue_high)}


# The last run's windows open when its deliveries are recorded, on its due day or soon after: a day's margin.
WINDOW_MARGIN = datetime.timedelta(days=1)


def measure_open_campaigns(*, now: datetime.datetime | None = None) -> int:
    """Beat: measure every campaign whose figure can still move: its last run's attribution window has not closed
    (plus a day's margin) when it was last measured, or it was never measured. A campaign measured after its
    windows closed keeps that figure for good, until a new run opens new windows. Returns how many were measured."""
    now = now or timezone.now()
    last_run = Occurrence.objects.filter(campaign=OuterRef("pk")).order_by("-due_at").values("due_at")[:1]
    measured = 0
    for campaign in Campaign.objects.annotate(last_run=Subquery(last_run)).filter(last_run__isnull=False) \
            .select_related("merchant").order_by("pk"):
        closes = campaign.last_run + datetime.timedelta(days=campaign.attribution_days) + WINDOW_MARGIN
        if campaign.uplift_measured_at is not None and campaign.uplift_measured_at >= closes:
            continue
        measure_uplift(campaign, now=now)
        measured += 1
    return measured


@dataclass(frozen=True)
class Figures:
    """The campaign list's columns."""

    sent: int
    held_out: int
    delivered: int
    claimed: int
    redeemed: int
    revenue: Decimal


def campaign_figures(campaign: Campaign) -> Figures:
    """A few counts per campaign for the list, read from the primary like the coupon templates' columns (the
    report, which reads every delivery's window, goes to the replica)."""
    totals = Occurrence.objects.filter(campaign=campaign).aggregate(sent=Coalesce(Sum("treated"), 0),
                                                                    held=Coalesce(Sum("held_out"), 0))
    link = short_url(short_link_for(campaign))
    delivered = OutboxMessage.objects.filter(merchant_id=campaign.merchant_id, link=link,
                                             status=OutboxMessage.Status.SENT).count()
    issuances = campaign_issuances(campaign)
    redeemed = CouponRedemption.objects.filter(coupon__issuance_id__in=issuances, reversed_at__isnull=True)
    revenue = Payment.objects.filter(coupon__issuance_id__in=issuances, status__in=VISIT_STATUSES).aggregate(
        total=Sum(F("amount_due") - F("refunded_amount")))["total"] or ZERO
    return Figures(totals["sent"], totals["held"], delivered, campaign.landing_claims, redeemed.count(),
                   quantize(revenue))


@dataclass(frozen=True)
class Day:
    day: datetime.date
    sent: int
    held_out: int
    capped: int
    messages: int
    redeemed: int
    discount: Decimal


def per_day(campaign: Campaign) -> list[Day]:
    """Each day a run was due: who was sent, held out or capped, messages written, and the redemptions that day."""
    zone = campaign.merchant.zone
    with report_reads():
        days: dict[datetime.date, list] = {}
        for occurrence in Occurrence.objects.filter(campaign=campaign).order_by("due_at"):
            day = occurrence.due_at.astimezone(zone).date()
            row = days.setdefault(day, [0, 0, 0, 0, 0, ZERO])
            row[0] += occurrence.treated
            row[1] += occurrence.held_out
            row[2] += occurrence.capped
            row[3] += occurrence.messaged
        redemptions = CouponRedemption.objects.filter(coupon__issuance_id__in=campaign_issuances(campaign),
                                                      reversed_at__isnull=True)
        for redeemed_at, discount in redemptions.values_list("redeemed_at", "discount"):
            row = days.setdefault(redeemed_at.astimezone(zone).date(), [0, 0, 0, 0, 0, ZERO])
            row[4] += 1
            row[5] += discount
    return [Day(day, *values[:5], quantize(values[5])) for day, values in sorted(days.items())]

