"""The reports console and the dashboard: who sees what (tenants, roles, the operator), the replica, the exports'
columns and rows, bad filters, and a fixed number of statements whatever the data."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coupons import services as coupons
from coupons.models import ClaimChannel
from loyalty.replica import REPLICA_ALIAS
from loyalty.reports import reports
from reports.dashboard import build_dashboard
from reports.views import compute
from tests.conftest import staff_client
from tests.coupons.helpers import make_members, make_template, paid_days_ago
from tests.reports.helpers import today_scope

# The console reads through the replica alias, which sees only committed rows; the tests read its English words.
pytestmark = [pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True),
              pytest.mark.usefixtures("in_english")]
D = Decimal


@pytest.fixture
def coupon_history(tenant_a, tenant_b):
    template = make_template(tenant_a.merchant, name="=HYPERLINK(\"x\",\"open\")")
    coupon = coupons.claim_coupon(template, tenant_a.member)
    coupons.redeem_coupon(coupon, bill_amount=D("120.00"), store=tenant_a.store)
    other = make_template(tenant_b.merchant, name="beta only")
    coupons.redeem_coupon(coupons.claim_coupon(other, tenant_b.member), bill_amount=D("200.00"), store=tenant_b.store)
    paid_days_ago(tenant_a.member, 0, "88.00")
    paid_days_ago(tenant_b.member, 0, "999.00")
    return tenant_a


def test_every_report_reads_from_the_replica_and_nothing_from_the_primary(coupon_history):
    for report in reports.all():
        with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica, \
                CaptureQueriesContext(connections["default"]) as primary:
            compute(report, today_scope(coupon_history.merchant))
        assert replica.captured_queries, report.code
        assert primary.captured_queries == [], report.code


def test_the_dashboard_reads_from_the_replica(coupon_history):
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica, \
            CaptureQueriesContext(connections["default"]) as primary:
        build_dashboard(merchant=coupon_history.merchant, store_ids=(), money=True)
    assert replica.captured_queries and primary.captured_queries == []


def test_reports_and_the_dashboard_run_a_fixed_number_of_statements(tenant_a):
    def statements():
        counts = {}
        for report in reports.all():
            with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
                compute(report, today_scope(tenant_a.merchant, days_back=30))
            counts[report.code] = len(replica.captured_queries)
        with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
            build_dashboard(merchant=tenant_a.merchant, store_ids=(), money=True)
        counts["dashboard"] = len(replica.captured_queries)
        return counts

    def history(rounds):
        for n in rounds:
            template = make_template(tenant_a.merchant, name=f"coupon {n}")
            # Each round one more template with a claim channel: the coupons report groups by both.
            channel = ClaimChannel.objects.create(merchant=tenant_a.merchant, template=template, name="poster")
            for member, through in zip(make_members(tenant_a.merchant, 2, start=10 * n), (None, channel), strict=True):
                coupons.redeem_coupon(coupons.claim_coupon(template, member, channel=through),
                                      bill_amount=D("150.00"), store=tenant_a.store)
                paid_days_ago(member, n, "60.00")

    history([0])
    before = statements()
    history([1, 2, 3])
    assert statements() == before


def test_an_owner_reads_the_coupon_report_of_their_merchant_only(client, coupon_history, in_english):
    staff_client(client, coupon_history.owner)
    page = client.get(reverse("reports:report", args=["coupons"])).content.decode()
    assert "HYPERLINK" in page and "beta only" not in page and 'id="report-chart"' in page


def test_another_merchants_staff_get_nothing_of_ours(client, coupon_history, tenant_b, in_english):
    staff_client(client, tenant_b.owner)
    page = client.get(reverse("reports:report", args=["coupons"])).content.decode()
    assert "beta only" in page and "HYPERLINK" not in page
    exported = client.get(reverse("reports:report", args=["coupons"]) + "?export=csv&start=2000-01-01&end=2000-01-01")
    assert exported.status_code == 200
    body = b"".join(exported.streaming_content).decode()
    assert "HYPERLINK" not in body
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert "¥999.00" in dashboard and "¥88.00" not in dashboard


def test_a_cashier_gets_403_on_every_report_and_finds_none_listed(client, coupon_history):
    staff_client(client, coupon_history.cashier)
    for report in reports.all():
        assert client.get(reverse("reports:report", args=[report.code])).status_code == 403, report.code
        assert client.get(reverse("reports:report", args=[report.code]) + "?export=xlsx").status_code == 403
    assert client.get(reverse("reports:list")).status_code == 403
    assert 'id="reports-link"' not in client.get(reverse("admin:index")).content.decode()


def test_a_cashiers_dashboard_is_their_store_with_counts_and_no_money(client, coupon_history, in_english):
    coupon_history.cashier.store = coupon_history.other_store
    coupon_history.cashier.save()
    paid_days_ago(coupon_history.member, 0, "77.00")
    staff_client(client, coupon_history.cashier)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="dashboard"' in page and "payments" in page
    assert "¥" not in page and "takings" not in page and "money taken off bills" not in page
    assert 'id="dashboard-store"' not in page


def test_an_owner_filters_the_dashboard_by_store(client, coupon_history, in_english):
    paid_days_ago(coupon_history.member, 0, "33.00")  # the main store (the merchant's first)
    staff_client(client, coupon_history.owner)
    everything = client.get(reverse("admin:index")).content.decode()
    second = client.get(reverse("admin:index") + f"?store={coupon_history.other_store.pk}").content.decode()
    assert "¥121.00" in everything and "¥121.00" not in second and 'id="trend-0"' in everything


def test_the_operator_sees_the_platform_and_every_merchant(client, coupon_history, operator, in_english):
    client.force_login(operator)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="platform-merchants"' in page and coupon_history.merchant.name in page and "Merchant beta" in page
    assert 'id="platform-liability"' in page
    report = client.get(reverse("reports:report", args=["coupons"])).content.decode()
    assert "beta only" in report and "HYPERLINK" in report


def test_the_export_is_the_whole_filtered_result_with_its_columns_and_totals(client, coupon_history, in_english):
    staff_client(client, coupon_history.owner)
    scope = today_scope(coupon_history.merchant)
    query = f"?start={scope.start}&end={scope.end}&stores={coupon_history.store.pk}"
    response = client.get(reverse("reports:report", args=["coupons"]) + query + "&export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0][:6] == ["coupon template", "claim channel", "claim page views", "issued", "issued: members",
                           "claimed"]
    assert rows[0][-3:] == ["money taken off bills", "bills", "bills' value"]
    assert rows[1][0] == "'=HYPERLINK(\"x\",\"open\")"  # escaped, never a live formula
    assert rows[1][1] == "no channel (own link, sends, gifts)"
    assert rows[1][3] == "1" and rows[1][-3:] == ["10.00", "1", "120.00"]
    assert rows[-1][0] == "total" and len(rows) == 3
    workbook = client.get(reverse("reports:report", args=["coupons"]) + query + "&export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
    values = list(sheet.values)
    assert values[0][0] == "coupon template" and values[1][0] == "'=HYPERLINK(\"x\",\"open\")"
    assert len(values) == 3


def test_a_bad_range_is_refused_with_its_message_and_reads_nothing(client, coupon_history, in_english):
    staff_client(client, coupon_history.owner)
    with CaptureQueriesContext(connections[REPLICA_ALIAS]) as replica:
        page = client.get(reverse("reports:report", args=["coupons"]) + "?start=2026-02-01&end=2026-01-01")
    assert page.status_code == 200 and "The end comes before the start." in page.content.decode()
    assert replica.captured_queries == []
    long = client.get(reverse("reports:report", args=["coupons"]) + "?start=2024-01-01&end=2026-01-01")
    assert "Choose at most 366 days." in long.content.decode()


def test_an_unknown_report_is_a_404(client, coupon_history):
    staff_client(client, coupon_history.owner)
    assert client.get(reverse("reports:report", args=["no-such"])).status_code == 404
