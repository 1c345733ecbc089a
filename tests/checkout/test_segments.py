"""The payment segment filters: visits and spend in the last N days, and no payment for N days (inactive)."""

import datetime

import pytest
from django.utils import timezone

from checkout.models import Payment
from loyalty.errors import DomainError
from loyalty.segments import Clause
from merchants.models import Member
from merchants.services import count_members, members_matching
from tests.coupons.helpers import make_members, paid_days_ago


@pytest.fixture
def shoppers(tenant_a):
    """Three members who joined a year ago: two visits this month, one visit 45 days ago, none."""
    members = make_members(tenant_a.merchant, 3)
    Member.objects.filter(pk__in=[m.pk for m in members]).update(
        joined_at=timezone.now() - datetime.timedelta(days=365))
    paid_days_ago(members[0], 2, "30.00")
    paid_days_ago(members[0], 10, "25.50")
    paid_days_ago(members[1], 45, "200.00")
    return members


def test_visits_in_the_last_days_count_paid_payments(tenant_a, shoppers):
    refunded = paid_days_ago(shoppers[1], 1)
    Payment.objects.filter(pk=refunded.pk).update(status=Payment.Status.REFUNDED, refunded_amount=refunded.amount_due)
    assert set(members_matching(tenant_a.merchant.pk, [Clause("visits_in_days", {"days": 30, "at_least": 2})])
               .values_list("pk", flat=True)) == {shoppers[0].pk}
    assert count_members(tenant_a.merchant, [("visits_in_days", {"days": 60, "at_least": 1})]) == 2


def test_spend_in_the_last_days_is_net_of_refunds(tenant_a, shoppers):
    assert count_members(tenant_a.merchant, [("spend_in_days", {"days": 30, "at_least": "55.50"})]) == 1
    assert count_members(tenant_a.merchant, [("spend_in_days", {"days": 30, "at_least": "55.51"})]) == 0
    Payment.objects.filter(member=shoppers[0], bill_amount="30.00").update(
        status=Payment.Status.PARTLY_REFUNDED, refunded_amount="10.00")
    assert count_members(tenant_a.merchant, [("spend_in_days", {"days": 30, "at_least": "45.50"})]) == 1
    assert count_members(tenant_a.merchant, [("spend_in_days", {"days": 30, "at_least": "45.51"})]) == 0


def test_inactive_is_no_payment_in_n_days_for_members_who_joined_before(tenant_a, shoppers):
    # The tenant's member joined today and never paid: too new to be called dormant.
    assert set(members_matching(tenant_a.merchant.pk, [Clause("inactive", {"days": 30})])
               .values_list("pk", flat=True)) == {shoppers[1].pk, shoppers[2].pk}


def test_days_must_be_given_and_positive(tenant_a):
    for params in ({}, {"days": 0}, {"days": "many"}):
        with pytest.raises(DomainError) as refused:
            count_members(tenant_a.merchant, [("inactive", params)])
        assert refused.value.field == "days"


def test_spend_of_zero_is_refused(tenant_a):
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("spend_in_days", {"days": 30, "at_least": "0"})])
    assert refused.value.field == "at_least"
