"""Points as a liability for finance's roll-forward (loyalty.liabilities), valued at the merchant's own rate.

The roll-forward counts points (exact integers); a figure is worth `reduce_money` for every
`cost_bonus_unit` points, the rate at which points take money off a bill (积分抵现), half-up to the cent.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from cards.membership.models import MembershipCard, MembershipProgram, PointsEntry, PointsReason
from cards.membership.services.points_days import points_by_day
from loyalty.liabilities import Amount, LedgerInstrument, Movement, Unit
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

    def kept_moves(self, *, merchant_id: int | None, start: datetime.date, end: datetime.date,
                   zone: datetime.tzinfo) -> dict[tuple[datetime.date, str], Amount]:
        """From the kept daily sums (membership.PointsDay): the year's entries are one small read instead of a scan
        of all of them."""
        return {key: moved.delta
                for key, moved in points_by_day(merchant_id=merchant_id, start=start, end=end, zone=zone).items()}

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
