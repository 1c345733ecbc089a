"""The dashboard's trend and top stores on a worked example (both come from one read of the window's payments:
the figures are pinned here, the speed is the report benchmark's)."""

from decimal import Decimal

import pytest

from loyalty.replica import REPLICA_ALIAS
from reports.dashboard import build_dashboard
from tests.finance.helpers import a_day_of_payments

pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)
D = Decimal


def test_the_trend_and_the_top_stores_add_up_the_days_payments(tenant_a, tenant_b):
    """At the store 200.00 less 10.00 off, 30.00 refunded (takings 160.00); 50.00 cash at the other store."""
    a_day_of_payments(tenant_a)
    a_day_of_payments(tenant_b)  # another merchant's payments are not in ours
    dashboard = build_dashboard(merchant=tenant_a.merchant, store_ids=(), money=True)
    takings, payments = dashboard.trend
    assert takings.points[-1][1] == D("210.00") and payments.points[-1][1] == 2
    assert sum(count for _day, count in payments.points) == 2
    assert [(s["store__name"], s["payments"], s["takings"]) for s in dashboard.top_stores] == [
        (tenant_a.store.name, 1, D("160.00")), (tenant_a.other_store.name, 1, D("50.00"))]
    one = build_dashboard(merchant=tenant_a.merchant, store_ids=(tenant_a.other_store.pk,), money=True)
    assert [(s["store__name"], s["takings"]) for s in one.top_stores] == [(tenant_a.other_store.name, D("50.00"))]
    # A reader who sees no money gets the stores by payments (a tie: by name) and no takings trend.
    counts = build_dashboard(merchant=tenant_a.merchant, store_ids=(), money=False)
    assert [s["store__name"] for s in counts.top_stores] == sorted([tenant_a.store.name, tenant_a.other_store.name])
    assert len(counts.trend) == 1

