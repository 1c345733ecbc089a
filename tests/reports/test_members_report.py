"""The members report classifies payers by the RFM thresholds it shows, each class is a segment filter holding
exactly the members the report counted, and "save as a segment" makes that segment in one click."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty.errors import DomainError
from loyalty.segments import Clause
from merchants.models import Segment
from merchants.services.segments import members_matching
from reports.members import CLASS_CODES, RfmClassFilter, classify
from tests.conftest import staff_client
from tests.coupons.helpers import make_members, paid_days_ago
from tests.reports.helpers import row_for, run, today_scope

# The tests read the reports' English words.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]
# The console reads through the replica alias: a committed database, as the replica sees only what is committed.
console = pytest.mark.django_db(databases=["default", "replica"], transaction=True)
D = Decimal
# Each member's payments, as days ago (and the amount of each).
HISTORY = {
    "champions": ([2, 5, 8, 12, 20, 25], "200.00"),  # recent, 6 visits, 1200 spent
    "loyal": ([10, 60], "50.00"),
    "new": ([5], "80.00"),
    "needs_attention": ([45], "80.00"),
    "at_risk": ([100, 120, 150], "60.00"),
    "lapsed": ([200], "90.00"),
}


@pytest.fixture
def payers(tenant_a):
    members = dict(zip(HISTORY, make_members(tenant_a.merchant, len(HISTORY)), strict=True))
    for code, (days, amount) in HISTORY.items():
        for day in days:
            paid_days_ago(members[code], day, amount)
    return members


@pytest.mark.parametrize(("days_since", "visits", "spend", "expected"), [
    (30, 6, D("1000.00"), "champions"), (31, 6, D("1000.00"), "loyal"), (30, 6, D("999.99"), "loyal"),
    (90, 2, D("10.00"), "loyal"), (91, 2, D("10.00"), "at_risk"), (30, 1, D("5.00"), "new"),
    (31, 1, D("5.00"), "needs_attention"), (180, 9, D("5000.00"), "at_risk"), (181, 1, D("5.00"), "lapsed")])
def test_classes_follow_the_thresholds(days_since, visits, spend, expected):
    assert classify(days_since=days_since, visits=visits, spend=spend) == expected


def test_the_report_counts_each_class_and_the_member_who_never_paid(tenant_a, payers):
    result = run("members", today_scope(tenant_a.merchant))
    by_class = {row["class"]: row["members"] for row in result.rows}
    assert by_class == {"champions": 1, "loyal": 1, "new": 1, "needs attention": 1, "at risk": 1, "lapsed": 1,
                        "never paid": 1}
    assert row_for(result, "class", "champions")["spend"] == D("1200.00")
    assert row_for(result, "class", "at risk")["visits"] == 3
    assert result.totals["members"] == 7
    assert "≥ 6 visits and spent ≥ 1000.00" in row_for(result, "class", "champions")["rule"]
    levels, frequency, assets = result.tables
    assert {r["visits"]: r["members"] for r in frequency.rows} == {"1": 3, "2–3": 2, "4–6": 1, "7–12": 0, "13+": 0}


def test_each_class_as_a_segment_holds_the_member_the_report_counted(tenant_a, payers):
    now = timezone.now()
    for code, member in payers.items():
        matched = members_matching(tenant_a.merchant.pk, [Clause("rfm_class", {"rfm_class": code})], at=now)
        assert list(matched) == [member], code


def test_save_as_a_segment_makes_one_segment_of_the_class(client, tenant_a, payers, in_english):
    staff_client(client, tenant_a.owner)
    url = reverse("reports:save_segment")
    response = client.post(url, {"rfm_class": "at_risk"})
    segment = Segment.objects.get(merchant=tenant_a.merchant)
    assert response.status_code == 302 and response["Location"] == reverse("admin:merchants_segment_change",
                                                                           args=[segment.pk])
    assert segment.name == "RFM: at risk"
    client.post(url, {"rfm_class": "at_risk"})
    assert Segment.objects.filter(merchant=tenant_a.merchant).count() == 1


@console
def test_an_unknown_class_is_refused_and_saves_nothing(client, tenant_a, in_english):
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("reports:save_segment"), {"rfm_class": "whales"}, follow=True)
    assert "There is no such class of members." in response.content.decode()
    assert not Segment.objects.exists()


def test_a_cashier_may_not_save_a_segment(client, tenant_a):
    staff_client(client, tenant_a.cashier)
    assert client.post(reverse("reports:save_segment"), {"rfm_class": "lapsed"}).status_code == 403
    assert not Segment.objects.exists()


def test_the_segment_filter_offers_the_classes_and_refuses_another(tenant_a):
    rfm = RfmClassFilter()
    assert [value for value, _label in rfm.params[0].options(tenant_a.merchant.pk)] == list(CLASS_CODES)
    assert rfm.validate({"rfm_class": "lapsed"}, merchant_id=tenant_a.merchant.pk) == {"rfm_class": "lapsed"}
    with pytest.raises(DomainError) as refused:
        rfm.validate({"rfm_class": "whales"}, merchant_id=tenant_a.merchant.pk)
    assert refused.value.field == "rfm_class"
