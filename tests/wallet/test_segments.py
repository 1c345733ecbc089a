"""The wallet's segment filter: stored value held (principal + bonus, not cashback)."""

import pytest

from loyalty.errors import DomainError
from merchants.services import count_members
from tests.checkout.helpers import fund_wallet
from tests.coupons.helpers import make_members


def test_stored_value_held_counts_principal_and_bonus(tenant_a):
    members = make_members(tenant_a.merchant, 3)
    fund_wallet(members[0], "100.00", bonus_offer=("100.00", "20.00"))
    fund_wallet(members[1], "50.00")
    assert count_members(tenant_a.merchant, [("stored_value_held", {"at_least": "120.00"})]) == 1
    assert count_members(tenant_a.merchant, [("stored_value_held", {"at_least": "50", "at_most": "119.99"})]) == 1
    # members[2] and the tenant's member have no wallet: they hold 0.00.
    assert count_members(tenant_a.merchant, [("stored_value_held", {"at_most": "0"})]) == 2


def test_stored_value_bounds_are_amounts(tenant_a):
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("stored_value_held", {"at_least": "-1"})])
    assert refused.value.field == "at_least"
    with pytest.raises(DomainError) as refused:
        count_members(tenant_a.merchant, [("stored_value_held", {"at_least": "abc"})])
    assert refused.value.field == "at_least"
