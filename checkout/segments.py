"""The segment filters over payments: visits and spend in the last N days, and days since the last payment.

A visit is a paid payment (also when partly refunded; a wholly refunded one is no visit), counted by when
it was made, and spend is what the member paid net of refunds. The queries use the (member, created_at)
index of payments, so each clause is one correlated lookup per member, not a scan.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from checkout.models import Payment
from loyalty.money import MoneyField
from loyalty.segments import Param, ParamKind, SegmentFilter, segment_filters

VISIT_STATUSES = [Payment.Status.PAID, Payment.Status.PARTLY_REFUNDED]
MAX_DAYS = 3660
DAYS = Param("days", gettext_lazy("in the last N days"), ParamKind.INTEGER, min_value=1, max_value=MAX_DAYS)


def _paid_since(at: datetime.datetime, days: int):
    return Payment.objects.filter(member=OuterRef("pk"), status__in=VISIT_STATUSES,
                                  created_at__gte=at - datetime.timedelta(days=days))


class VisitsInDays(SegmentFilter):
    code = "visits_in_days"
    label = gettext_lazy("visits in the last N days")
    order = 90
    params = (DAYS, Param("at_least", gettext_lazy("at least (visits)"), ParamKind.INTEGER, min_value=1))

    def condition(self, params, *, merchant_id, at):
        visits = Subquery(_paid_since(at, params["days"]).order_by().values("member")
                          .annotate(n=Count("pk")).values("n")[:1])
        return Q(GreaterThanOrEqual(Coalesce(visits, Value(0)), params["at_least"]))

    def describe(self, params):
        return _("at least %(count)d visits in the last %(days)d days") % {"count": params["at_least"],
                                                                           "days": params["days"]}


class SpendInDays(SegmentFilter):
    code = "spend_in_days"
    label = gettext_lazy("spend in the last N days")
    order = 91
    params = (DAYS, Param("at_least", gettext_lazy("at least (amount paid)"), ParamKind.MONEY))

    def condition(self, params, *, merchant_id, at):
        spent = Subquery(_paid_since(at, params["days"]).order_by().values("member")
                         .annotate(total=Sum(F("amount_due") - F("refunded_amount"))).values("total")[:1],
                         output_field=MoneyField())
        return Q(GreaterThanOrEqual(Coalesce(spent, Value(Decimal("0.00")), output_field=MoneyField()),
                                    Decimal(params["at_least"])))

    def describe(self, params):
        return _("spent at least %(amount)s in the last %(days)d days") % {"amount": params["at_least"],
                                                                           "days": params["days"]}


class Inactive(SegmentFilter):
    """No paid payment in the last N days (流失会员). A member who never paid counts once they joined more
    than N days ago, so last week's newcomers are not called dormant. Logging in to the member pages does
    not count as a visit: a regular who pays at the counter every day never logs in."""

    code = "inactive"
    label = gettext_lazy("no payment for N days")
    order = 92
    params = (Param("days", gettext_lazy("days without a payment"), ParamKind.INTEGER, min_value=1,
                    max_value=MAX_DAYS),)

    def condition(self, params, *, merchant_id, at):
        cutoff = at - datetime.timedelta(days=params["days"])
        return Q(joined_at__lt=cutoff) & ~Q(Exists(_paid_since(at, params["days"])))

    def describe(self, params):
        return _("no payment for %(days)d days") % {"days": params["days"]}


def register() -> None:
    for segment_filter in (VisitsInDays(), SpendInDays(), Inactive()):
        segment_filters.register(segment_filter)
