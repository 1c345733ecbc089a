"""Points as a liability for finance's roll-forward (loyalty.liabilities), valued at the merchant's own rate.

The roll-forward counts points (exact integers); a figure is worth `reduce_money` for every
`cost_bonus_unit` points, the rate at which points take money off a bill (积分抵现), half-up to the cent.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from cards.membership.models import MembershipCard, MembershipProgram, PointsEntry, PointsReason
from cards.membership.services.points_days import points_by_day
from loyalty.liabilities import Activity, Amount, DayMovements, LedgerInstrument, Movement, Unit
from loyalty.money import quantize


class PointsLiability(LedgerInstrument):
    code = "membership.points"
    label = _("points")
    order = 40
    unit = Unit.POINTS
    valuation = _("Points are valued at the merchant's deduction rate: the money off per deduction unit for every "
                  "deduction unit of points.")
    entry_model = PointsEntry
    balance_model = MembershipCard
    balance_field = "points"
    reasons = {PointsReason.OPENING: Movement.ISSUED, PointsReason.PAYMENT: Movement.ISSUED,
               PointsReason.RECHARGE: Movement.ISSUED, PointsReason.GIFT: Movement.ISSUED,
               PointsReason.POINTS_DEDUCTION: Movement.REDEEMED, PointsReason.COUPON_EXCHANGE: Movement.REDEEMED,
               PointsReason.EXPIRED: Movement.EXPIRED}

    def activity(self, *, merchant_id: int | None, first: datetime.datetime, after: datetime.datetime,
                 zone: datetime.tzinfo) -> Activity:
        """The ledger's reading, with the window's days from the kept daily sums (membership.PointsDay) where the
        window is whole local days: the year's entries are then one small read instead of a scan of all of them."""
        start, end = first.astimezone(zone).date(), (after.astimezone(zone) - datetime.timedelta(days=1)).date()
        whole_days = (first == datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
                      and after == datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min,
                                                             tzinfo=zone))
        if not whole_days or end < start:
            return super().activity(merchant_id=merchant_id, first=first, after=after, zone=zone)
        entries = self._entries(merchant_id)
        before = entries.filter(created_at__lt=first).aggregate(total=Sum("delta"))["total"] or 0
        later = entries.filter(created_at__gte=after).aggregate(total=Sum("delta"))["total"] or 0
        balances = self.balance_model.objects.all()
        if merchant_id is not None:
            balances = balances.filter(merchant_id=merchant_id)
        held = balances.aggregate(total=Sum(self.balance_field))["total"] or 0
        per_day: dict[datetime.date, dict[str, Amount]] = defaultdict(dict)
        for (day, reason), moved in points_by_day(merchant_id=merchant_id, start=start, end=end, zone=zone).items():
            per_day[day][reason] = moved.delta
        days = [DayMovements(day=day, by_reason=dict(sorted(moves.items()))) for day, moves in sorted(per_day.items())]
        return Activity(before=int(before), days=days, after=int(later), held_now=int(held))

    def value(self, amount: Amount, *, merchant_id: int | None) -> Decimal | None:
        return self.valuer(merchant_id=merchant_id)(amount)

    def valuer(self, *, merchant_id: int | None) -> Callable[[Amount], Decimal | None]:
        if merchant_id is None:
            return lambda amount: None  # every merchant has its own rate
        program = MembershipProgram.objects.filter(merchant_id=merchant_id).only(
            "cost_bonus_unit", "reduce_money").first()
        if program is None or not program.cost_bonus_unit:
            return lambda amount: None
        return lambda amount: quantize(Decimal(amount) * program.reduce_money / program.cost_bonus_unit)


INSTRUMENTS = (PointsLiability(),)
