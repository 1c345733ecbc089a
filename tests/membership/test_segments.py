"""The membership card's segment filters: level, and points held."""

import pytest

from loyalty.errors import DomainError
from merchants.services import count_members, create_segment, members_in_segment
from tests.checkout.helpers import give_points, program_with_levels, set_level
from tests.coupons.helpers import make_members


def test_level_keeps_the_members_at_that_level(tenant_a):
    program_with_levels(tenant_a.merchant)
    members = make_members(tenant_a.merchant, 3)
    gold = set_level(members[1], 2)
    set_level(members[2], 3)
    segment = create_segment(tenant_a.merchant, name="gold", clauses=[("level", {"level": gold.pk})])
    assert list(members_in_segment(segment).values_list("pk", flat=True)) == [members[1].pk]


def test_another_merchants_level_is_refused(tenant_a, tenant_b):
    program_with_levels(tenant_b.merchant)
    theirs = set_level(tenant_b.member, 2)
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("level", {"level": theirs.pk})])
    assert refused.value.field == "level"


def test_points_held_between_bounds_counts_a_member_without_a_card_as_zero(tenant_a):
    program_with_levels(tenant_a.merchant)
    members = make_members(tenant_a.merchant, 3)
    give_points(members[0], 50)
    give_points(members[1], 500)
    assert count_members(tenant_a.merchant, [("points_held", {"at_least": 100})]) == 1
    assert count_members(tenant_a.merchant, [("points_held", {"at_least": 10, "at_most": 500})]) == 2
    # members[2] and the tenant's member hold none.
    assert count_members(tenant_a.merchant, [("points_held", {"at_most": 0})]) == 2


def test_points_held_needs_a_bound_the_right_way_up(tenant_a):
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("points_held", {})])
    assert refused.value.field == "at_least"
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("points_held", {"at_least": 10, "at_most": 5})])
    assert refused.value.field == "at_most"
