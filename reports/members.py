"""Members (会员分析): an RFM classification from payments, new and returning members, levels, visit frequency and
the virtual assets members hold; each class is a segment a mass send or a campaign targets in one click.

RFM, as Klaviyo scores it (1–3 per dimension), from each member's paid payments up to the report's last day:
recency is the days since the last payment, frequency the visits and monetary the spend (paid, net of refunds)
in the 365 days before. The classes, checked in this order (the first that fits):

| class            | rule                                                      |
| champions        | last payment ≤ 30 days ago, ≥ 6 visits and spent ≥ 1000    |
| loyal            | last payment ≤ 90 days ago and ≥ 2 visits                   |
| new              | last payment ≤ 30 days ago, 1 visit                         |
| needs attention  | last payment 31–90 days ago, 1 visit                        |
| at risk          | last payment 91–180 days ago                                |
| lapsed           | last payment more than 180 days ago                         |
| never paid       | a member with no paid payment (not a segment of this filter)|

The same thresholds are the report's notes and the segment filter's conditions, so a saved class holds the
members the report counted (on the day it is used: members move between classes every day).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import Case, CharField, Count, F, Max, Min, Q, Sum, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from cards.membership.models import MembershipCard
from checkout.models import Payment
from checkout.segments import VISIT_STATUSES
from coupons.models import Coupon
from loyalty.errors import DomainError
from loyalty.money import ZERO, MoneyField, quantize
from loyalty.reports import (
    ROW_ACTIONS,
    ChartSeries,
    Report,
    ReportResult,
    ReportScope,
    ReportTable,
    RowAction,
    key_column,
)
from loyalty.segments import Param, ParamKind, SegmentFilter
from merchants.models import Member, Merchant, Segment
from merchants.services.segments import create_segment
from wallet.models import Wallet

LOOKBACK_DAYS = 365
RECENT_DAYS, ACTIVE_DAYS, RISK_DAYS = 30, 90, 180
CHAMPION_VISITS, LOYAL_VISITS = 6, 2
CHAMPION_SPEND = Decimal("1000.00")
FREQUENCY_BUCKETS = ((1, 1), (2, 3), (4, 6), (7, 12), (13, None))
SEGMENT_INVALID_CLASS = "rfm_class_unknown"


@dataclass(frozen=True)
class RfmClass:
    code: str
    label: str
    rule: str


def _classes() -> list[RfmClass]:
    return [
        RfmClass("champions", _("champions"), _("last payment ≤ %(recent)d days ago, ≥ %(visits)d visits and "
                                                "spent ≥ %(spend)s") % {"recent": RECENT_DAYS,
                                                                        "visits": CHAMPION_VISITS,
                                                                        "spend": CHAMPION_SPEND}),
        RfmClass("loyal", _("loyal"), _("last payment ≤ %(active)d days ago and ≥ %(visits)d visits")
                 % {"active": ACTIVE_DAYS, "visits": LOYAL_VISITS}),
        RfmClass("new", pgettext_lazy("RFM class", "new"), _("last payment ≤ %(recent)d days ago, 1 visit")
                 % {"recent": RECENT_DAYS}),
        RfmClass("needs_attention", _("needs attention"),
                 _("last payment %(after)d–%(active)d days ago, 1 visit") % {"after": RECENT_DAYS + 1,
                                                                             "active": ACTIVE_DAYS}),
        RfmClass("at_risk", _("at risk"), _("last payment %(after)d–%(risk)d days ago")
                 % {"after": ACTIVE_DAYS + 1, "risk": RISK_DAYS}),
        RfmClass("lapsed", _("lapsed"), _("last payment more than %(risk)d days ago") % {"risk": RISK_DAYS}),
    ]


CLASS_CODES = ("champions", "loyal", "new", "needs_attention", "at_risk", "lapsed")


def classify(*, days_since: int, visits: int, spend: Decimal) -> str:
    """A paying member's class by the thresholds above (`visits`, `spend`: in the 365 days before)."""
    if days_since <= RECENT_DAYS and visits >= CHAMPION_VISITS and spend >= CHAMPION_SPEND:
        return "champions"
    if days_since <= ACTIVE_DAYS and visits >= LOYAL_VISITS:
        return "loyal"
    if days_since <= RECENT_DAYS:
        return "new"
    if days_since <= ACTIVE_DAYS:
        return "needs_attention"
    if days_since <= RISK_DAYS:
        return "at_risk"
    return "lapsed"


def _ago(at: datetime.datetime, days: int) -> datetime.datetime:
    return at - datetime.timedelta(days=days)


def class_condition(code: str, at: datetime.datetime) -> Q:
    """`classify` as a condition on the per-member aggregates `last`, `visits` and `spend` (see `paying_members`)."""
    # "≤ 30 days ago" counts whole days back from `at` (as `classify` is given them): later than 31 days before.
    recent, active, risk = _ago(at, RECENT_DAYS + 1), _ago(at, ACTIVE_DAYS + 1), _ago(at, RISK_DAYS + 1)
    champion = Q(last__gt=recent, visits__gte=CHAMPION_VISITS, spend__gte=CHAMPION_SPEND)
    loyal = Q(last__gt=active, visits__gte=LOYAL_VISITS) & ~champion
    conditions = {
        "champions": champion,
        "loyal": loyal,
        "new": Q(last__gt=recent) & ~champion & ~loyal,
        "needs_attention": Q(last__gt=active, last__lte=recent) & ~loyal,
        "at_risk": Q(last__gt=risk, last__lte=active),
        "lapsed": Q(last__lte=risk),
    }
    return conditions[code]


def paying_members(merchant_id: int | None, at: datetime.datetime):
    """Each member who paid before `at`: the last payment ever, visits and spend in the 365 days before."""
    since = _ago(at, LOOKBACK_DAYS)
    in_year = Q(created_at__gte=since)
    payments = Payment.objects.filter(member__isnull=False, status__in=VISIT_STATUSES, created_at__lt=at)
    if merchant_id is not None:
        payments = payments.filter(merchant_id=merchant_id)
    # Visits are counted by `created_at` (never empty), not by the key: every column read is then in the
    # payment_member_visits index, so the payments are read from it alone, already in member order.
    return (payments.order_by().values("member")
            .annotate(first=Min("created_at"), last=Max("created_at"), visits=Count("created_at", filter=in_year),
                      spend=Sum(F("amount_due") - F("refunded_amount"), filter=in_year, output_field=MoneyField())))


def _class_options(merchant_id: int | None) -> list[tuple[str, str]]:
    return [(c.code, str(c.label)) for c in _classes()]


class RfmClassFilter(SegmentFilter):
    """Members of one RFM class today (the members report's classes, by the same thresholds)."""

    code = "rfm_class"
    label = gettext_lazy("RFM class (members report)")
    order = 95
    params = (Param("rfm_class", gettext_lazy("class"), ParamKind.CHOICE, options=_class_options),)

    def condition(self, params, *, merchant_id, at):
        members = paying_members(merchant_id, at).filter(class_condition(params["rfm_class"], at))
        return Q(pk__in=members.values("member"))

    def describe(self, params):
        names = {c.code: c.label for c in _classes()}
        return _("in the RFM class “%(name)s”") % {"name": names.get(params.get("rfm_class"), params.get("rfm_class"))}


def save_class_as_segment(merchant: Merchant, *, rfm_class: str, staff) -> Segment:
    """The class as a saved segment (one clause: this filter), named after it; saved again, the same segment."""
    names = {c.code: c for c in _classes()}
    if rfm_class not in names:
        raise DomainError(SEGMENT_INVALID_CLASS, _("There is no such class of members."), field="rfm_class")
    name = _("RFM: %(name)s") % {"name": names[rfm_class].label}
    existing = Segment.objects.filter(merchant=merchant, name=name).first()
    if existing is not None:
        return existing
    return create_segment(merchant, name=name, clauses=[(RfmClassFilter.code, {"rfm_class": rfm_class})],
                          description=names[rfm_class].rule, created_by=staff)


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


class MembersReport(Report):
    code = "members"
    label = gettext_lazy("Members: RFM classes, levels, visits and assets")
    group = gettext_lazy("Members")
    order = 10

    @staticmethod
    def _classes(merchant_id: int | None, first: datetime.datetime,
                 after: datetime.datetime) -> tuple[dict[str, dict], list[int], int, int]:
        """Each class's members, visits and spend, the frequency buckets, the returning members and the paying
        members, in ONE statement: the paying members are classified and counted in the database, however many
        (a busy merchant's 200,000 members are not read into Python)."""
        per_member = paying_members(merchant_id, after).annotate(
            rfm=Case(*[When(class_condition(code, after), then=Value(code)) for code in CLASS_CODES],
                     output_field=CharField()),
            in_period=Count("created_at", filter=Q(created_at__gte=first)))
        inner, params = per_member.values("rfm", "first", "visits", "spend", "in_period").query.sql_with_params()
        buckets = ", ".join(
            f"COUNT(*) FILTER (WHERE visits >= {low}" + ("" if high is None else f" AND visits <= {high}") + ")"
            for low, high in FREQUENCY_BUCKETS)
        # `first`, the bound of the period, is the one parameter before the inner statement's own.
        sql = (f"SELECT rfm, COUNT(*), SUM(visits), SUM(spend), {buckets}, "  # noqa: S608 (no input in the SQL)
               f"COUNT(*) FILTER (WHERE in_period > 0 AND first < %s) FROM ({inner}) AS per_member GROUP BY rfm")
        by_class = {code: {"members": 0, "visits": 0, "spend": ZERO} for code in CLASS_CODES}
        frequency = [0] * len(FREQUENCY_BUCKETS)
        returning = paying = 0
        with connections[per_member.db].cursor() as cursor:
            cursor.execute(sql, [first, *params])
            for code, members, visits, spend, *rest in cursor.fetchall():
                *bucket_counts, came_back = rest
                by_class[code] = {"members": members, "visits": int(visits or 0),
                                  "spend": ZERO if spend is None else quantize(Decimal(str(spend)))}
                frequency = [a + b for a, b in zip(frequency, bucket_counts, strict=True)]
                returning += came_back
                paying += members
        return by_class, frequency, returning, paying

    def compute(self, scope: ReportScope) -> ReportResult:
        first, after = scope.bounds()
        members = Member.objects.all() if scope.merchant_id is None else Member.objects.filter(
            merchant_id=scope.merchant_id)
        counts = members.aggregate(total=Count("pk", filter=Q(joined_at__lt=after)),
                                   new=Count("pk", filter=Q(joined_at__gte=first, joined_at__lt=after)))
        by_class, frequency, returning, paying = self._classes(scope.merchant_id, first, after)
        total = counts["total"]
        rows = []
        for rfm in _classes():
            entry = by_class[rfm.code]
            row = {"class": rfm.label, "rule": rfm.rule, "members": entry["members"],
                   "share": _share(entry["members"], total), "visits": entry["visits"],
                   "spend": quantize(entry["spend"]),
                   "average": quantize(entry["spend"] / entry["members"]) if entry["members"] else ZERO}
            if scope.merchant_id is not None:
                row[ROW_ACTIONS] = [RowAction(_("Save as a segment"),
                                              reverse("reports:save_segment") + f"?rfm_class={rfm.code}",
                                              permission="merchants.add_segment")]
            rows.append(row)
        never = total - paying
        rows.append({"class": _("never paid"), "rule": _("joined, no paid payment yet"), "members": never,
                     "share": _share(never, total), "visits": 0, "spend": ZERO, "average": ZERO})
        levels = list(MembershipCard.objects.filter(
            Q() if scope.merchant_id is None else Q(merchant_id=scope.merchant_id))
            .order_by().values("level__name", "level__rank").annotate(n=Count("pk"), points=Sum("points"))
            .order_by("level__rank"))
        wallets = Wallet.objects.filter(
            Q() if scope.merchant_id is None else Q(merchant_id=scope.merchant_id)).aggregate(
            principal_held=Sum("principal"), bonus_held=Sum("bonus"), cashback_held=Sum("cashback"),
            holders=Count("pk", filter=Q(principal__gt=0) | Q(bonus__gt=0)))
        coupons = Coupon.objects.filter(
            Q() if scope.merchant_id is None else Q(merchant_id=scope.merchant_id),
            state=Coupon.State.AVAILABLE, valid_until__gte=after).aggregate(
            n=Count("pk"), holders=Count("member", distinct=True))
        points_total = sum((level["points"] or 0) for level in levels)
        columns = [key_column(_("class"), "class"), key_column(_("thresholds"), "rule"),
                   key_column(_("members"), "members"), key_column(_("share of members (%)"), "share"),
                   key_column(_("visits in 365 days"), "visits"), key_column(_("spend in 365 days"), "spend"),
                   key_column(_("spend per member"), "average")]
        totals = {"class": _("total"), "members": total, "visits": sum(e["visits"] for e in by_class.values()),
                  "spend": quantize(sum((e["spend"] for e in by_class.values()), ZERO))}
        level_rows = [{"level": level["level__name"] or _("no level"), "members": level["n"],
                       "share": _share(level["n"], total), "points": level["points"] or 0} for level in levels]
        frequency_rows = [{"visits": f"{low}+" if high is None else (str(low) if low == high else f"{low}–{high}"),
                           "members": n, "share": _share(n, paying)}
                          for (low, high), n in zip(FREQUENCY_BUCKETS, frequency, strict=True)]
        asset_rows = [
            {"asset": _("points"), "amount": points_total, "holders": None},
            {"asset": _("stored value principal"), "amount": wallets["principal_held"] or ZERO,
             "holders": wallets["holders"]},
            {"asset": _("stored value bonus"), "amount": wallets["bonus_held"] or ZERO, "holders": None},
            {"asset": _("cashback"), "amount": wallets["cashback_held"] or ZERO, "holders": None},
            {"asset": _("coupons available"), "amount": coupons["n"], "holders": coupons["holders"]},
        ]
        return ReportResult(
            columns=columns, rows=rows, totals=totals,
            chart=[ChartSeries(_("members"), [(r["class"], r["members"]) for r in rows])],
            notes=[_("Classes are as of the report's last day, from paid payments (a wholly refunded one is no "
                     "visit): recency is the days since the last payment, visits and spend (paid, net of refunds) "
                     "count the 365 days before. The first class whose rule fits wins."),
                   _("New members in these days: %(new)d. Returning members (paid in these days and also "
                     "before them): %(returning)d.") % {"new": counts["new"], "returning": returning},
                   _("Levels, assets and coupons are as they stand now; stores do not narrow this report.")],
            tables=[
                ReportTable(_("Levels"), [key_column(_("level"), "level"), key_column(_("members"), "members"),
                                          key_column(_("share of members (%)"), "share"),
                                          key_column(_("points held"), "points")], level_rows),
                ReportTable(_("Visit frequency (paying members, visits in 365 days)"),
                            [key_column(_("visits"), "visits"), key_column(_("members"), "members"),
                             key_column(_("share of paying members (%)"), "share")], frequency_rows),
                ReportTable(_("Virtual assets held"),
                            [key_column(_("asset"), "asset"), key_column(_("amount"), "amount"),
                             key_column(_("members holding it"), "holders")], asset_rows),
            ])
