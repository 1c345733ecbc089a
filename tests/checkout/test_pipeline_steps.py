"""Each pipeline step on its own, with the arithmetic written out (half-up to the cent, never more than is left)."""

from decimal import Decimal

import pytest
from django.utils import translation

from cards.membership.models import Level, MembershipProgram
from cards.membership.pricing_steps import LevelFacts, PointsFacts, level_step, points_step
from checkout.models import AdjustmentKind, CheckoutSettings
from checkout.pipeline import PricingInput, price, random_amount, random_step
from checkout.pricing_steps import RandomFacts
from coupons.pricing_steps import coupon_step
from loyalty.errors import DomainError
from tests.checkout.helpers import coupon_for
from wallet.models import BalanceTier
from wallet.pricing_steps import TierFacts, balance_tier_step

D = Decimal


def gold(percent="95"):
    return Level(name="Gold", discount_percent=D(percent))


def program(**fields):
    values = {"cost_bonus_unit": 100, "reduce_money": D("1.00"), "least_money_to_use_bonus": D("0.00"),
              "max_reduce_bonus": 0, "points_deduction_enabled": True}
    values.update(fields)
    return MembershipProgram(card_name="card", **values)


def random_settings(**fields):
    values = {"random_reduction_enabled": True, "random_reduction_min": D("0.50"),
              "random_reduction_max": D("2.00"), "random_reduction_min_bill": D("10.00"),
              "random_reduction_daily_budget": D("100.00")}
    values.update(fields)
    return CheckoutSettings(**values)


def test_level_discount_rounds_half_up_on_what_is_left():
    # 33.33 × 95% = 31.6635 → 31.66, so 1.67 off.
    step = level_step(D("33.33"), gold())
    assert step.kind == AdjustmentKind.LEVEL and step.amount == D("1.67")


def test_level_discount_half_cent_rounds_up():
    # 0.10 × 95% = 0.095 → 0.10 (half up), so nothing off; 0.30 × 95% = 0.285 → 0.29, 0.01 off.
    assert level_step(D("0.10"), gold()) is None
    assert level_step(D("0.30"), gold()).amount == D("0.01")


def test_level_at_full_price_or_no_level_takes_nothing():
    assert level_step(D("100.00"), gold("100")) is None
    assert level_step(D("100.00"), None) is None


def test_balance_tier_takes_its_percentage_of_what_is_left():
    # 190.00 × 88% = 167.20, so 22.80 off.
    tier = BalanceTier(min_balance=D("500.00"), discount_percent=D("88"))
    assert balance_tier_step(D("190.00"), tier).amount == D("22.80")


def test_a_round_percentage_reads_as_people_write_it():
    from django.utils import translation

    tier = BalanceTier(min_balance=D("500.00"), discount_percent=D("90.00"))
    with translation.override("en"):
        assert "pay 90%" in balance_tier_step(D("100.00"), tier).description
        assert "pay 90%" in level_step(D("100.00"), gold("90.00")).description


def test_points_take_whole_units_only():
    # 250 points asked as "max" with 100 points = 1.00: 2 units, 200 points, 2.00 off.
    step = points_step(D("50.00"), program(), available=250, requested="max")
    assert (step.amount, step.points) == (D("2.00"), 200)


def test_points_never_take_more_than_is_left():
    # 0.5 yuan per 100 points, 10,000 points available, bill 3.30 left: 6 units = 3.00 off, 600 points.
    step = points_step(D("3.30"), program(reduce_money=D("0.50")), available=10_000, requested="max")
    assert (step.amount, step.points) == (D("3.00"), 600)


def test_points_respect_the_per_bill_limit_and_the_minimum_bill():
    assert points_step(D("100.00"), program(max_reduce_bonus=300), available=1000, requested="max").points == 300
    assert points_step(D("9.99"), program(least_money_to_use_bonus=D("10.00")), available=1000,
                       requested="max") is None
    with pytest.raises(DomainError) as refused:
        points_step(D("9.99"), program(least_money_to_use_bonus=D("10.00")), available=1000, requested=100)
    assert refused.value.code == "points_bill_too_small"


def test_random_amount_is_seeded_by_store_and_bill():
    first = random_amount(7, "BILL-1", D("0.50"), D("2.00"))
    assert first == random_amount(7, "BILL-1", D("0.50"), D("2.00"))
    assert D("0.50") <= first <= D("2.00") and first == first.quantize(D("0.01"))
    assert len({random_amount(7, f"BILL-{n}", D("0.50"), D("2.00")) for n in range(50)}) > 10


def test_random_reduction_stays_within_budget_and_what_is_left():
    settings = random_settings(random_reduction_min=D("1.50"), random_reduction_max=D("1.50"))
    assert random_step(D("80.00"), settings, store_id=1, bill_id="B", budget_left=D("100"), bill=D("80")).amount \
        == D("1.50")
    assert random_step(D("80.00"), settings, store_id=1, bill_id="B", budget_left=D("0.40"), bill=D("80")).amount \
        == D("0.40")
    assert random_step(D("1.00"), settings, store_id=1, bill_id="B", budget_left=D("100"), bill=D("80")).amount \
        == D("1.00")
    assert random_step(D("80.00"), settings, store_id=1, bill_id="B", budget_left=D("0"), bill=D("80")) is None
    assert random_step(D("9.00"), settings, store_id=1, bill_id="B", budget_left=D("100"), bill=D("9")) is None
    assert random_step(D("80.00"), settings, store_id=1, bill_id="", budget_left=D("100"), bill=D("80")) is None


@pytest.mark.django_db
def test_coupon_works_on_what_is_left(tenant_a):
    # A 10% discount coupon on 171.00 left: 17.10 off; a 20-off-100 coupon cannot pass 15.00 left.
    coupon = coupon_for(tenant_a.member, kind="discount", amount_off=None, discount_percent=D("90"),
                        minimum_bill=None)
    step = coupon_step(D("171.00"), coupon, lines=None, store=tenant_a.store, at=None)
    assert step.amount == D("17.10")
    cash = coupon_for(tenant_a.member, name="20 off", amount_off=D("20.00"), minimum_bill=None)
    assert coupon_step(D("15.00"), cash, lines=None, store=tenant_a.store, at=None).amount == D("15.00")


def test_full_stack_worked_example():
    """Bill 200.00, Gold 95%, tier 90%, 500 points, random 1.25:
    level 200.00 → 190.00 (10.00 off); tier 190.00 × 90% = 171.00 (19.00 off);
    points 500 = 5.00 → 166.00; random 1.25 → 164.75 due."""
    priced = price(PricingInput(bill=D("200.00"), store_id=1, bill_id="B-1", facts={
        "level": LevelFacts(gold()),
        "balance_tier": TierFacts(BalanceTier(min_balance=D("100"), discount_percent=D("90"))),
        "points": PointsFacts(program(), available=800, requested=500),
        "random": RandomFacts(random_settings(random_reduction_min=D("1.25"), random_reduction_max=D("1.25")),
                              budget_left=D("50"))}))
    assert [(a.kind, a.amount) for a in priced.adjustments] == [
        ("level", D("10.00")), ("balance_tier", D("19.00")), ("points", D("5.00")), ("random", D("1.25"))]
    assert priced.amount_due == D("164.75") and priced.points_used == 500 and priced.reason == ""


def test_exclusive_step_wins_when_cheaper_for_the_member():
    """Bill 100.00, Gold 90% and tier 95% stack: 10.00 + 4.50 = 14.50 off. The level discount does not stack:
    alone it takes 10.00; stacked without it the tier takes 5.00. Stacked (tier only) = 5.00 vs level alone
    10.00: the level alone wins, due 90.00, and the reason names it."""
    with translation.override("en"):
        priced = price(PricingInput(bill=D("100.00"), store_id=1, facts={
            "level": LevelFacts(gold("90"), stacks=False),
            "balance_tier": TierFacts(BalanceTier(min_balance=D("100"), discount_percent=D("95")))}))
    assert [(a.kind, a.amount) for a in priced.adjustments] == [("level", D("10.00"))]
    assert priced.amount_due == D("90.00")
    assert "member level discount" in priced.reason
    assert [alt["amount_due"] for alt in priced.alternatives] == [D("95.00"), D("90.00")]


def test_exclusive_step_loses_when_the_stack_is_cheaper():
    """Bill 100.00: tier 95% stacked with 300 points (3.00): 5.00 + 3.00 = 8.00 off, due 92.00.
    The level (97%) does not stack: alone 3.00 off, due 97.00. The stack wins."""
    priced = price(PricingInput(bill=D("100.00"), store_id=1, facts={
        "level": LevelFacts(gold("97"), stacks=False),
        "balance_tier": TierFacts(BalanceTier(min_balance=D("100"), discount_percent=D("95"))),
        "points": PointsFacts(program(), available=300, requested="max")}))
    assert priced.amount_due == D("92.00")
    assert [a.kind for a in priced.adjustments] == ["balance_tier", "points"]


def test_amount_due_never_below_zero():
    priced = price(PricingInput(bill=D("0.50"), store_id=1, facts={
        "points": PointsFacts(program(), available=10_000, requested="max")}))
    assert priced.amount_due == D("0.50")  # 100 points take 1.00: not a whole unit fits in 0.50
    priced = price(PricingInput(bill=D("2.00"), store_id=1, facts={
        "points": PointsFacts(program(), available=10_000, requested="max")}))
    assert priced.amount_due == D("0.00")
