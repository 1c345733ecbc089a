"""The points rules as pure arithmetic (WeChat member card semantics): no queries, no writes.

Checkout prices a bill with these, quote and pay alike, so both agree to the cent and the point.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.utils.translation import gettext as _

from cards.membership import errors
from cards.membership.models import Level, MembershipProgram
from loyalty.errors import DomainError
from loyalty.money import ZERO, quantize

# The most points one operation may move: far above any bill, far below the column's limit.
MAX_POINTS = 100_000_000


@dataclass(frozen=True)
class PointsDeduction:
    """积分抵现 on one bill: how many points are used and how much money they take off, and why."""

    points: int
    amount: Decimal
    note: str


def _units(amount: Decimal, unit: Decimal) -> int:
    """How many whole `unit`s fit in `amount` (never rounds up)."""
    if amount <= 0 or unit <= 0:
        return 0
    return int((Decimal(amount) / Decimal(unit)).to_integral_value(rounding=ROUND_FLOOR))


def points_for_payment(program: MembershipProgram | None, level: Level | None, paid_amount: Decimal) -> int:
    """Points a payment earns: whole `cost_money_unit`s × `increase_bonus`, capped, × the level multiplier."""
    if program is None or paid_amount is None or paid_amount <= 0:
        return 0
    points = _units(paid_amount, program.cost_money_unit) * program.increase_bonus
    if program.max_increase_bonus:
        points = min(points, program.max_increase_bonus)
    multiplier = level.points_multiplier if level is not None else Decimal("1")
    return int((points * Decimal(multiplier)).to_integral_value(rounding=ROUND_FLOOR))


def experience_for_payment(program: MembershipProgram | None, paid_amount: Decimal) -> int:
    """Experience a payment earns: whole `cost_money_unit`s × `experience_per_unit` (levels only)."""
    if program is None or paid_amount is None or paid_amount <= 0:
        return 0
    return _units(paid_amount, program.cost_money_unit) * program.experience_per_unit


def _refuse(code: str, message: str, status_code: int = 400) -> DomainError:
    return DomainError(code, message, field="points", status_code=status_code)


def points_deduction(program: MembershipProgram | None, *, bill: Decimal, available: int,
                     requested: int | str | None) -> PointsDeduction:
    """How many points may pay part of `bill`, and the money they take off.

    `requested` is None or 0 (use none), "max" (as many as the rules allow, clamped) or an explicit
    number of points, which is refused with a DomainError rather than changed if the rules forbid it.
    """
    asked_max = requested == "max"
    if requested is None or requested == 0:
        return PointsDeduction(0, ZERO, "")
    if not asked_max:
        if isinstance(requested, bool) or not isinstance(requested, int) or requested < 0 or requested > MAX_POINTS:
            raise _refuse(errors.POINTS_INVALID, _("Enter a whole number of points."))
    if program is None or not program.points_deduction_enabled:
        if asked_max:
            return PointsDeduction(0, ZERO, _("Points cannot pay for bills here."))
        raise _refuse(errors.POINTS_DEDUCTION_OFF, _("Points cannot pay for bills here."))
    if bill < program.least_money_to_use_bonus or bill <= 0:
        message = _("Points can be used on bills of at least ¥%(least)s.") % {
            "least": program.least_money_to_use_bonus}
        if asked_max:
            return PointsDeduction(0, ZERO, message)
        raise _refuse(errors.POINTS_BILL_TOO_SMALL, message)
    unit, money = program.cost_bonus_unit, program.reduce_money
    limit_units = [_units(Decimal(max(available, 0)), Decimal(unit)), _units(bill, money)]
    if program.max_reduce_bonus:
        limit_units.append(program.max_reduce_bonus // unit)
    if asked_max:
        units = min(limit_units)
        if units <= 0:
            return PointsDeduction(0, ZERO, _("Not enough points: every %(unit)d points take ¥%(money)s off.") % {
                "unit": unit, "money": money})
        return PointsDeduction(units * unit, quantize(units * money), _(
            "%(points)d points take ¥%(amount)s off.") % {"points": units * unit, "amount": quantize(units * money)})
    if requested % unit:
        raise _refuse(errors.POINTS_NOT_MULTIPLE, _("Points are used in multiples of %(unit)d.") % {"unit": unit})
    units = requested // unit
    if program.max_reduce_bonus and requested > program.max_reduce_bonus:
        raise _refuse(errors.POINTS_OVER_LIMIT, _("At most %(limit)d points can be used on one bill.") % {
            "limit": program.max_reduce_bonus})
    if units * money > bill:
        raise _refuse(errors.POINTS_OVER_LIMIT, _("These points would take off more than the bill."))
    if requested > available:
        raise _refuse(errors.POINTS_INSUFFICIENT, _("Not enough points: you have %(available)d.") % {
            "available": available}, status_code=409)
    amount = quantize(units * money)
    return PointsDeduction(requested, amount, _("%(points)d points take ¥%(amount)s off.") % {
        "points": requested, "amount": amount})
