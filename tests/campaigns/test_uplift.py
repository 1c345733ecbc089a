"""The uplift arithmetic against worked examples done by hand, and the report over real payments."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Delivery, Outcome
from campaigns.services.uplift import (
    Cost,
    MemberResult,
    campaign_uplift,
    compare,
    mean_difference,
    proportion_difference,
)
from checkout.models import Payment
from tests.campaigns.helpers import bulk_members, make_campaign


def test_difference_of_means_with_welch_interval_worked_by_hand():
    # treated 10, 20, 30, 40: mean 25, sample variance (225 + 25 + 25 + 225) / 3 = 166.67
    # held out 0, 10, 20:      mean 10, sample variance (100 + 0 + 100) / 2 = 100
    # standard error sqrt(166.67 / 4 + 100 / 3) = sqrt(75) = 8.660254; 1.96 of it = 16.974098
    result = mean_difference([10, 20, 30, 40], [0, 10, 20])
    assert (result.treated, result.held_out, result.difference) == (25, 10, 15)
    assert result.low == pytest.approx(15 - 16.974098, abs=1e-6)
    assert result.high == pytest.approx(15 + 16.974098, abs=1e-6)
    assert result.too_small          # 4 and 3 members: far below 30
    assert not result.distinguishable


def test_two_proportion_interval_worked_by_hand():
    # 60 of 100 treated paid, 40 of 100 held out: difference 0.20
    # standard error sqrt(0.6 * 0.4 / 100 + 0.4 * 0.6 / 100) = sqrt(0.0048) = 0.069282; 1.96 of it = 0.135793
    result = proportion_difference(60, 100, 40, 100)
    assert result.difference == pytest.approx(0.2)
    assert (result.low, result.high) == (pytest.approx(0.064207, abs=1e-6), pytest.approx(0.335793, abs=1e-6))
    assert not result.too_small and result.distinguishable
    assert proportion_difference(3, 100, 1, 100).too_small     # fewer than 5 payers in a group


def test_money_made_per_money_spent_worked_by_hand():
    # treated: 60 paid 50.00 once, 40 nothing -> mean revenue 30.00; held out: 40 paid 50.00 -> mean 20.00
    # revenue variance in each group: (60 * 20² + 40 * 30²) / 99 = 606.06; se sqrt(2 * 606.06 / 100) = 3.481553
    # incremental revenue 10.00 * 100 treated = 1000.00; cost 200.00 coupons + 50.00 points = 250.00 -> 4.00 a yuan
    treated = [MemberResult(True, 1, Decimal("50.00"), 1)] * 60 + [MemberResult(True, 0, Decimal("0.00"), 0)] * 40
    held = [MemberResult(False, 1, Decimal("50.00"), 0)] * 40 + [MemberResult(False, 0, Decimal("0.00"), 0)] * 60
    uplift = compare(treated + held, Cost(coupons=Decimal("200.00"), points=Decimal("50.00")))
    assert (uplift.treated, uplift.held_out) == (100, 100)
    assert uplift.revenue.difference == pytest.approx(10.0)
    assert (uplift.revenue.low, uplift.revenue.high) == (pytest.approx(10 - 6.823844, abs=1e-5),
                                                         pytest.approx(10 + 6.823844, abs=1e-5))
    assert uplift.redemptions.difference == pytest.approx(0.6)
    assert uplift.incremental_revenue == Decimal("1000.00")
    assert uplift.cost.total == Decimal("250.00")
    assert uplift.return_per_cost == Decimal("4.00")
    assert uplift.warnings == []


def test_a_small_group_is_reported_as_too_small_to_tell():
    uplift = compare([MemberResult(True, 1, Decimal("10.00"), 0)] * 50 + [MemberResult(False, 0, Decimal("0"), 0)] * 5,
                     Cost())
    assert uplift.warnings == ["group_too_small"]
    assert uplift.return_per_cost is None


@pytest.mark.django_db(databases=["default", "replica"], transaction=True)
def test_the_report_counts_payments_inside_each_members_window_only(tenant_a):
    bulk_members(tenant_a.merchant, 99)
    campaign = make_campaign(tenant_a.merchant, holdout_percent=50, sms=None, attribution_days=14)
    from campaigns.services.occurrences import run_occurrence, start_occurrence

    occurrence = run_occurrence(start_occurrence(campaign, key="once", start=False).pk)
    deliveries = list(Delivery.objects.filter(occurrence=occurrence).select_related("member"))
    opened = deliveries[0].created_at
    paid_in_window, paid_after = deliveries[0], deliveries[1]
    for delivery, days, amount in ((paid_in_window, 3, "80.00"), (paid_after, 15, "500.00")):
        at = opened + datetime.timedelta(days=days)
        Payment.objects.create(merchant=tenant_a.merchant, store=tenant_a.store, member=delivery.member,
                               bill_amount=Decimal(amount), amount_due=Decimal(amount), status=Payment.Status.PAID,
                               created_at=at, paid_at=at)
    uplift = campaign_uplift(campaign)
    assert uplift.treated + uplift.held_out == 100
    treated_side = paid_in_window.outcome != Outcome.HELD_OUT
    revenue_mean = uplift.revenue.treated if treated_side else uplift.revenue.held_out
    group = uplift.treated if treated_side else uplift.held_out
    assert revenue_mean == pytest.approx(80.0 / group)
    assert timezone.now() < opened + datetime.timedelta(days=1)
