"""The points rules as arithmetic: earning with multiplier and cap, and every edge of 积分抵现."""

from decimal import Decimal

import pytest

from cards.membership.models import Level, MembershipProgram
from cards.membership.services import experience_for_payment, points_deduction, points_for_payment
from loyalty.errors import DomainError

D = Decimal


def _program(**rules):
    defaults = {"cost_money_unit": D("10.00"), "increase_bonus": 3, "max_increase_bonus": 0,
                "experience_per_unit": 2, "cost_bonus_unit": 100, "reduce_money": D("5.00"),
                "least_money_to_use_bonus": D("50.00"), "max_reduce_bonus": 500, "points_deduction_enabled": True}
    return MembershipProgram(card_name="Card", **{**defaults, **rules})


def _level(multiplier):
    return Level(name="L", rank=1, points_multiplier=D(multiplier))


def _code(call):
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def test_points_for_whole_money_units_only():
    assert points_for_payment(_program(), None, D("99.99")) == 27  # 9 whole units × 3
    assert points_for_payment(_program(), None, D("100.00")) == 30
    assert points_for_payment(_program(), None, D("9.99")) == 0
    assert points_for_payment(_program(), None, D("0")) == 0


def test_points_capped_per_payment_then_multiplied_by_the_level():
    program = _program(max_increase_bonus=20)
    assert points_for_payment(program, None, D("1000.00")) == 20
    assert points_for_payment(program, _level("1.5"), D("1000.00")) == 30
    assert points_for_payment(_program(), _level("1.5"), D("30.00")) == 13  # 9 × 1.5 = 13.5, rounded down
    assert points_for_payment(_program(), _level("0"), D("30.00")) == 0


def test_no_programme_earns_nothing():
    assert points_for_payment(None, None, D("100.00")) == 0
    assert experience_for_payment(None, D("100.00")) == 0


def test_experience_for_payment():
    assert experience_for_payment(_program(), D("55.00")) == 10


def test_max_deduction_is_clamped_by_points_cap_and_bill():
    program = _program()
    got = points_deduction(program, bill=D("200.00"), available=1250, requested="max")
    assert (got.points, got.amount) == (500, D("25.00"))  # capped by max_reduce_bonus
    got = points_deduction(program, bill=D("200.00"), available=350, requested="max")
    assert (got.points, got.amount) == (300, D("15.00"))  # whole units of what the member has
    got = points_deduction(_program(max_reduce_bonus=0), bill=D("52.00"), available=100000, requested="max")
    assert (got.points, got.amount) == (1000, D("50.00"))  # never more money than the bill


def test_max_deduction_on_a_bill_below_the_minimum_uses_nothing():
    got = points_deduction(_program(), bill=D("49.99"), available=1000, requested="max")
    assert (got.points, got.amount) == (0, D("0.00")) and got.note


def test_minimum_bill_is_inclusive():
    got = points_deduction(_program(), bill=D("50.00"), available=1000, requested=200)
    assert (got.points, got.amount) == (200, D("10.00"))


def test_explicit_points_below_the_minimum_bill_are_refused():
    assert _code(lambda: points_deduction(_program(), bill=D("49.99"), available=1000, requested=100)) == \
        "points_bill_too_small"


def test_explicit_points_over_the_cap_are_refused():
    assert _code(lambda: points_deduction(_program(), bill=D("500.00"), available=1000, requested=600)) == \
        "points_over_limit"


def test_exactly_the_cap_is_allowed():
    got = points_deduction(_program(), bill=D("500.00"), available=1000, requested=500)
    assert (got.points, got.amount) == (500, D("25.00"))


def test_explicit_points_worth_more_than_the_bill_are_refused():
    program = _program(max_reduce_bonus=0)
    assert _code(lambda: points_deduction(program, bill=D("52.00"), available=5000, requested=1100)) == \
        "points_over_limit"
    got = points_deduction(program, bill=D("50.00"), available=5000, requested=1000)
    assert got.amount == D("50.00")


def test_not_enough_points_is_refused():
    assert _code(lambda: points_deduction(_program(), bill=D("100.00"), available=199, requested=200)) == \
        "points_insufficient"


def test_points_in_exact_multiples_only():
    assert _code(lambda: points_deduction(_program(), bill=D("100.00"), available=1000, requested=150)) == \
        "points_not_multiple"
    got = points_deduction(_program(), bill=D("100.00"), available=1000, requested=300)
    assert (got.points, got.amount) == (300, D("15.00"))


def test_nothing_requested_uses_nothing():
    assert points_deduction(_program(), bill=D("100.00"), available=1000, requested=None).points == 0
    assert points_deduction(_program(), bill=D("100.00"), available=1000, requested=0).amount == D("0.00")


def test_deduction_switched_off():
    program = _program(points_deduction_enabled=False)
    assert points_deduction(program, bill=D("100.00"), available=1000, requested="max").points == 0
    assert _code(lambda: points_deduction(program, bill=D("100.00"), available=1000, requested=100)) == \
        "points_deduction_off"


@pytest.mark.parametrize("bad", [-100, True, 1.5, "100", 10**12])
def test_nonsense_requests_are_refused(bad):
    assert _code(lambda: points_deduction(_program(), bill=D("100.00"), available=1000, requested=bad)) == \
        "points_invalid"
