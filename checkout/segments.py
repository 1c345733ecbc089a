"""The segment filters over payments: visits and spend in the last N days, and days since the last payment.

A visit is a paid payment (also when partly refunded; a wholly refunded one is no visit), counted by when
it was made, and spend is what the member paid net of refunds. Visits and spend read the merchant's
payments of the last N days once, grouped by member; "inactive" is an anti-join on the (member,
created_at) index of payments.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from checkout.models import Payment
from loyalty.money import MoneyField
from loyalty.segments import Param, ParamKind, SegmentFilter, invalid, segment_filters

VISIT_STATUSES = [Payment.Status.PAID, Payment.Status.PARTLY_REFUNDED]
MAX_DAYS = 3660
DAYS = Param("days", gettext_lazy("in the last N days"), ParamKind.INTEGER, min_value=1, max_value=MAX_DAYS)


def _paid_since(at: datetime.datetime, days: int):
    return Payment.objects.filter(member=OuterRef("pk"), status__in=VISIT_STATUSES,
                                  created_at__gte=at - datetime.timedelta(days=days))


def _members_paying(merchant_id: int, at: datetime.datetime, days: int):
    """The merchant's recent paid payments grouped by member: one pass over the last N days' payments,
    which the segment joins as `pk IN (...)` rather than asking a subquery per member."""
    return (Payment.objects.filter(merchant_id=merchant_id, member__isnull=False, status__in=VISIT_STATUSES,
                                   created_at__gte=at - datetime.timedelta(days=days))
            .order_by().values("member"))


class VisitsInDays(SegmentFilter):
    code = "visits_in_days"
    label = gettext_lazy("visits in the last N days")
    order = 90
    params = (DAYS, Param("at_least", gettext_lazy("at least (visits)"), ParamKind.INTEGER, min_value=1))

    def condition(self, params, *, merchant_id, at):
        members = _members_paying(merchant_id, at, params["days"]).annotate(visits=Count("pk"))
        return Q(pk__in=members.filter(visits__gte=params["at_least"]).values("member"))

    def describe(self, params):
        return _("at least %(count)d visits in the last %(days)d days") % {"count": params["at_least"],
                                                                           "days": params["days"]}


class SpendInDays(SegmentFilter):
    code = "spend_in_days"
    label = gettext_lazy("spend in the last N days")
    order = 91
    params = (DAYS, Param("at_least", gettext_lazy("at least (amount paid)"), ParamKind.MONEY))

    def check(self, params, *, merchant_id):
        if Decimal(params["at_least"]) <= 0:
            raise invalid(_("Give an amount above zero."), param="at_least")
        return params

    def condition(self, params, *, merchant_id, at):
        members = _members_paying(merchant_id, at, params["days"]).annotate(
            spent=Sum(F("amount_due") - F("refunded_amount"), output_field=MoneyField()))
        return Q(pk__in=members.filter(spent__gte=Decimal(params["at_least"])).values("member"))

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
