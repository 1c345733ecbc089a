"""Data the API tests run against: a programme with levels and points, stored value, a coupon, a payment."""

from __future__ import annotations

from decimal import Decimal

from checkout import services as checkout
from checkout.services import Bill
from tests.checkout.helpers import coupon_for, fund_wallet, give_points, program_with_levels
from tests.conftest import Tenant


def seed_api_data(tenant: Tenant) -> Tenant:
    """tenant_a's member with points, 200.00 of stored value, a coupon (10.00 off 100.00) and one paid bill."""
    program_with_levels(tenant.merchant)
    give_points(tenant.member, 500)
    fund_wallet(tenant.member, "200.00")
    coupon_for(tenant.member)
    checkout.pay(Bill(store=tenant.store, amount=Decimal("30.00"), member=tenant.member,
                      payer_phone=tenant.member.phone, use_wallet=True, terminal=tenant.terminal))
    return tenant
