"""The coupons report against a worked example: rows per template and claim channel, counts and distinct members,
both redemption rates with their denominators, claim page views per channel, money off and the bills, narrowed by
store; another merchant's coupons never appear."""

from decimal import Decimal

import pytest

from coupons import services as coupons
from coupons.models import ClaimChannel, Coupon
from tests.coupons.helpers import make_members, make_template
from tests.reports.helpers import run, today_scope

# The tests read the reports' English words.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]
D = Decimal
OWN = "no channel (own link, sends, gifts)"


def row_for(result, channel: str) -> dict:
    (row,) = [row for row in result.rows if (row["template"], row["channel"]) == ("满100减10", channel)]
    return row


@pytest.fixture
def example(tenant_a, tenant_b):
    """满100减10 (two a member): on its own link m1 claims two, m2 claims one, m3 is given one by staff. m1 uses one
    at the main store on a 120.00 bill, m3 uses theirs at the second store on 150.00.

    Two channels: through the door poster m4 and m5 claim one each, m4 uses it at the main store on 200.00 and
    m5 at the second store on 110.00; through the article m4 claims one more and keeps it. The claim page is
    opened 3 times on its own link, 5 on the poster's and 2 on the article's. Beta has a template of its own."""
    template = make_template(tenant_a.merchant, name="满100减10", per_member_limit=2)
    door = ClaimChannel.objects.create(merchant=tenant_a.merchant, template=template, name="Door poster")
    article = ClaimChannel.objects.create(merchant=tenant_a.merchant, template=template, name="Article",
                                          kind=ClaimChannel.Kind.ARTICLE)
    m1 = tenant_a.member
    m2, m3, m4, m5 = make_members(tenant_a.merchant, 4)
    for channel, opens in ((None, 3), (door, 5), (article, 2)):
        for _ in range(opens):
            coupons.record_claim_page_view(template, channel=channel)
    first = coupons.claim_coupon(template, m1)
    coupons.claim_coupon(template, m1)
    coupons.claim_coupon(template, m2)
    given = coupons.issue_coupon(template, m3, source=Coupon.Source.STAFF)
    coupons.redeem_coupon(first, bill_amount=D("120.00"), store=tenant_a.store)
    coupons.redeem_coupon(given, bill_amount=D("150.00"), store=tenant_a.other_store)
    coupons.redeem_coupon(coupons.claim_coupon(template, m4, channel=door), bill_amount=D("200.00"),
                          store=tenant_a.store)
    coupons.redeem_coupon(coupons.claim_coupon(template, m5, channel=door), bill_amount=D("110.00"),
                          store=tenant_a.other_store)
    coupons.claim_coupon(template, m4, channel=article)
    other = make_template(tenant_b.merchant, name="beta coupon")
    coupons.claim_coupon(other, tenant_b.member)
    return tenant_a


FIGURES = ("exposed", "issued", "issued_members", "claimed", "claimed_members", "used_of_issued", "used_of_claimed",
           "rate_issued", "rate_claimed", "redeemed", "redeemed_members", "money_off", "bills", "bill_value")


def figures(row: dict) -> dict:
    return {key: row[key] for key in FIGURES}


def test_each_channel_and_the_own_link_get_their_counts_members_and_both_rates(example):
    result = run("coupons", today_scope(example.merchant))
    assert [(r["template"], r["channel"]) for r in result.rows] == [
        ("满100减10", "Door poster"), ("满100减10", "Article"), ("满100减10", OWN)]
    # Own link, sends and gifts: 4 issued to m1, m2, m3; 3 claimed by m1, m2; m1's and m3's used, 2 of 4 and
    # 1 of 3 (m3's was given, not claimed); views 10 on the template less 5 + 2 on its channels.
    assert figures(row_for(result, OWN)) == {
        "exposed": 3, "issued": 4, "issued_members": 3, "claimed": 3, "claimed_members": 2, "used_of_issued": 2,
        "used_of_claimed": 1, "rate_issued": D("50.0"), "rate_claimed": D("33.3"), "redeemed": 2,
        "redeemed_members": 2, "money_off": D("20.00"), "bills": 2, "bill_value": D("270.00")}
    # The poster: m4 and m5 each claimed one and used it: 2 of 2 both ways, on 200.00 + 110.00.
    assert figures(row_for(result, "Door poster")) == {
        "exposed": 5, "issued": 2, "issued_members": 2, "claimed": 2, "claimed_members": 2, "used_of_issued": 2,
        "used_of_claimed": 2, "rate_issued": D("100.0"), "rate_claimed": D("100.0"), "redeemed": 2,
        "redeemed_members": 2, "money_off": D("20.00"), "bills": 2, "bill_value": D("310.00")}
    # The article: m4's second coupon, kept: 0 of 1.
    assert figures(row_for(result, "Article")) == {
        "exposed": 2, "issued": 1, "issued_members": 1, "claimed": 1, "claimed_members": 1, "used_of_issued": 0,
        "used_of_claimed": 0, "rate_issued": D("0.0"), "rate_claimed": D("0.0"), "redeemed": 0,
        "redeemed_members": 0, "money_off": D("0.00"), "bills": 0, "bill_value": D("0.00")}
    totals = result.totals
    assert (totals["exposed"], totals["issued"], totals["claimed"], totals["used_of_issued"],
            totals["used_of_claimed"]) == (10, 7, 6, 4, 3)
    assert totals["rate_issued"] == D("57.1")  # 4 used ÷ 7 issued
    assert totals["rate_claimed"] == D("50.0")  # 3 used ÷ 6 claimed
    assert totals["money_off"] == D("40.00") and totals["bill_value"] == D("580.00")
    assert any("÷ coupons issued in these days" in note for note in result.notes)
    assert any("One row per template and claim channel" in note for note in result.notes)


def test_the_export_names_the_channel_of_each_row(example):
    result = run("coupons", today_scope(example.merchant))
    headers = [column.header for column in result.columns]
    assert headers[:3] == ["coupon template", "claim channel", "claim page views"]


def test_stores_narrow_the_redemptions_not_the_issue(example):
    result = run("coupons", today_scope(example.merchant, stores=[example.store]))
    own, door = row_for(result, OWN), row_for(result, "Door poster")
    assert (own["issued"], own["redeemed"], own["money_off"], own["bill_value"]) == (4, 1, D("10.00"), D("120.00"))
    assert (door["issued"], door["redeemed"], door["money_off"], door["bill_value"]) == (
        2, 1, D("10.00"), D("200.00"))


def test_another_day_holds_nothing(example):
    scope = today_scope(example.merchant, days_back=3)
    earlier = type(scope)(merchant_id=scope.merchant_id, start=scope.start, end=scope.start, zone=scope.zone)
    assert run("coupons", earlier).rows == []


def test_the_operator_sees_every_merchants_templates(example):
    scope = today_scope(example.merchant)
    everyone = type(scope)(merchant_id=None, start=scope.start, end=scope.end, zone=scope.zone)
    assert sorted({r["template"] for r in run("coupons", everyone).rows}) == ["beta coupon", "满100减10"]
