"""The coupons report against a worked example: counts and distinct members, both redemption rates with their
denominators, money off and the bills, narrowed by store; another merchant's coupons never appear."""

from decimal import Decimal

import pytest

from coupons import services as coupons
from coupons.models import Coupon
from tests.coupons.helpers import make_members, make_template
from tests.reports.helpers import row_for, run, today_scope

# The tests read the reports' English words.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]
D = Decimal


@pytest.fixture
def example(tenant_a, tenant_b):
    """满100减10 (two a member): m1 claims two, m2 claims one, m3 is given one by staff. m1 uses one at the main
    store on a 120.00 bill, m3 uses theirs at the second store on 150.00. Beta has a template of its own."""
    template = make_template(tenant_a.merchant, name="满100减10", per_member_limit=2)
    m1 = tenant_a.member
    m2, m3 = make_members(tenant_a.merchant, 2)
    first = coupons.claim_coupon(template, m1)
    coupons.claim_coupon(template, m1)
    coupons.claim_coupon(template, m2)
    given = coupons.issue_coupon(template, m3, source=Coupon.Source.STAFF)
    coupons.redeem_coupon(first, bill_amount=D("120.00"), store=tenant_a.store)
    coupons.redeem_coupon(given, bill_amount=D("150.00"), store=tenant_a.other_store)
    other = make_template(tenant_b.merchant, name="beta coupon")
    coupons.claim_coupon(other, tenant_b.member)
    return tenant_a


def test_counts_distinct_members_and_both_rates_with_their_denominators(example):
    result = run("coupons", today_scope(example.merchant))
    row = row_for(result, "template", "满100减10")
    assert {key: row[key] for key in ("issued", "issued_members", "claimed", "claimed_members", "used_of_issued",
                                      "used_of_claimed", "redeemed", "redeemed_members", "bills")} == {
        "issued": 4, "issued_members": 3, "claimed": 3, "claimed_members": 2, "used_of_issued": 2,
        "used_of_claimed": 1, "redeemed": 2, "redeemed_members": 2, "bills": 2}
    assert row["rate_issued"] == D("50.0")  # 2 used ÷ 4 issued in the days
    assert row["rate_claimed"] == D("33.3")  # 1 used ÷ 3 claimed in the days
    assert row["money_off"] == D("20.00") and row["bill_value"] == D("270.00")
    assert [r["template"] for r in result.rows] == ["满100减10"]
    assert result.totals["issued"] == 4 and result.totals["money_off"] == D("20.00")
    assert any("÷ coupons issued in these days" in note for note in result.notes)


def test_stores_narrow_the_redemptions_not_the_issue(example):
    row = row_for(run("coupons", today_scope(example.merchant, stores=[example.store])), "template", "满100减10")
    assert (row["issued"], row["redeemed"], row["money_off"], row["bill_value"]) == (4, 1, D("10.00"), D("120.00"))


def test_another_day_holds_nothing(example):
    scope = today_scope(example.merchant, days_back=3)
    earlier = type(scope)(merchant_id=scope.merchant_id, start=scope.start, end=scope.start, zone=scope.zone)
    assert run("coupons", earlier).rows == []


def test_the_operator_sees_every_merchants_templates(example):
    scope = today_scope(example.merchant)
    everyone = type(scope)(merchant_id=None, start=scope.start, end=scope.end, zone=scope.zone)
    assert sorted(r["template"] for r in run("coupons", everyone).rows) == ["beta coupon", "满100减10"]
