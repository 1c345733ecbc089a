"""The campaign list's uplift: measured once (kept on the campaign) while the windows are open and for good once
they closed, shown in the list without a statement per row, and exported with the other figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Delivery, Occurrence
from campaigns.services.occurrences import run_occurrence, start_occurrence
from campaigns.services.uplift import measure_open_campaigns, measure_uplift, uplift_text
from checkout.models import Payment
from tests.campaigns.helpers import bulk_members, make_campaign
from tests.conftest import staff_client

REPLICA = pytest.mark.django_db(databases=["default", "replica"], transaction=True)


def _run_with_payments(t, **fields) -> Campaign:
    """100 members, half held out; 20 treated members paid 50.00 in their window: revenue uplift 20 × 50 / 50."""
    bulk_members(t.merchant, 99)
    campaign = make_campaign(t.merchant, holdout_percent=50, sms=None, **fields)
    occurrence = run_occurrence(start_occurrence(campaign, key="once", start=False).pk)
    treated = Delivery.objects.filter(occurrence=occurrence, outcome="treated").select_related("member")[:20]
    for delivery in treated:
        at = delivery.created_at + datetime.timedelta(hours=1)
        Payment.objects.create(merchant=t.merchant, store=t.store, member=delivery.member, bill_amount=Decimal("50"),
                               amount_due=Decimal("50"), status=Payment.Status.PAID, created_at=at, paid_at=at)
    return campaign


@REPLICA
def test_measuring_keeps_the_revenue_uplift_with_its_interval_on_the_campaign(tenant_a, in_english):
    campaign = _run_with_payments(tenant_a)
    result = measure_uplift(campaign)
    kept = Campaign.objects.get(pk=campaign.pk)
    treated, held = result.treated, result.held_out
    assert kept.uplift_revenue == (Decimal("1000") / treated).quantize(Decimal("0.01"))
    assert (kept.uplift_revenue_low, kept.uplift_revenue_high) == (
        Decimal(str(result.revenue.low)).quantize(Decimal("0.01")),
        Decimal(str(result.revenue.high)).quantize(Decimal("0.01")))
    assert kept.uplift_too_small is (min(treated, held) < 30)
    assert kept.uplift_measured_at is not None
    assert uplift_text(kept) == ("too small to tell" if kept.uplift_too_small else
                                 f"{kept.uplift_revenue} per member (95 % CI {kept.uplift_revenue_low} to "
                                 f"{kept.uplift_revenue_high})")


def test_an_unmeasured_or_too_small_campaign_says_so(tenant_a, in_english):
    campaign = make_campaign(tenant_a.merchant)
    assert uplift_text(campaign) == "not measured yet"
    campaign.uplift_measured_at, campaign.uplift_too_small = timezone.now(), True
    assert uplift_text(campaign) == "too small to tell"
    campaign.uplift_too_small = False
    campaign.uplift_revenue, campaign.uplift_revenue_low, campaign.uplift_revenue_high = (
        Decimal("3.20"), Decimal("-0.45"), Decimal("6.85"))
    assert uplift_text(campaign) == "3.20 per member (95 % CI -0.45 to 6.85)"


@REPLICA
def test_the_daily_measurement_follows_open_windows_and_stops_once_they_closed(tenant_a):
    now = timezone.now()
    open_window = make_campaign(tenant_a.merchant, name="open", attribution_days=14)
    closed_measured = make_campaign(tenant_a.merchant, name="closed, measured after", attribution_days=14)
    closed_early = make_campaign(tenant_a.merchant, name="closed, measured before", attribution_days=14)
    make_campaign(tenant_a.merchant, name="never ran")
    for campaign, days_ago in ((open_window, 3), (closed_measured, 30), (closed_early, 30)):
        Occurrence.objects.create(merchant=tenant_a.merchant, campaign=campaign, key="once",
                                  due_at=now - datetime.timedelta(days=days_ago))
    Campaign.objects.filter(pk=closed_measured.pk).update(uplift_measured_at=now - datetime.timedelta(days=10))
    Campaign.objects.filter(pk=closed_early.pk).update(uplift_measured_at=now - datetime.timedelta(days=20))
    assert measure_open_campaigns(now=now) == 2
    measured = dict(Campaign.objects.values_list("name", "uplift_measured_at"))
    assert measured["open"] == now and measured["closed, measured before"] == now
    assert measured["closed, measured after"] == now - datetime.timedelta(days=10)
    assert measured["never ran"] is None
    # The next day: the closed one measured yesterday, after its windows closed, is final; the open one moves on.
    assert measure_open_campaigns(now=now + datetime.timedelta(days=1)) == 1


def test_the_list_shows_the_kept_uplift_without_a_statement_per_row(client, tenant_a, in_english):
    campaign = make_campaign(tenant_a.merchant, name="Wake-up")
    Campaign.objects.filter(pk=campaign.pk).update(uplift_measured_at=timezone.now(), uplift_revenue=Decimal("3.20"),
                                                   uplift_revenue_low=Decimal("1.10"),
                                                   uplift_revenue_high=Decimal("5.30"))
    campaign.refresh_from_db()
    with CaptureQueriesContext(connection) as statements:
        shown = site._registry[Campaign].figure_uplift(campaign)
    assert len(statements) == 0
    assert "3.20 per member (95 % CI 1.10 to 5.30)" in shown
    staff_client(client, tenant_a.owner)
    listing = client.get(reverse("admin:campaigns_campaign_changelist"))
    assert "3.20 per member (95 % CI 1.10 to 5.30)" in listing.content.decode()


def test_the_list_exports_its_figures_with_formulas_escaped(client, tenant_a, in_english):
    campaign = make_campaign(tenant_a.merchant, name="=HYPERLINK(\"http://evil\")")
    Campaign.objects.filter(pk=campaign.pk).update(uplift_measured_at=timezone.now(), uplift_too_small=True)
    staff_client(client, tenant_a.owner)
    exported = client.post(reverse("admin:campaigns_campaign_changelist"),
                           {"action": "export_csv", "_selected_action": [campaign.pk]})
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.split(",")[:7] == ["name", "status", "trigger", "holdout (%)", "sent", "held out", "delivered"]
    assert "revenue uplift per member" in header
    assert row.startswith("\"'=HYPERLINK(\"\"http://evil\"\")\",active,") and "too small to tell" in row
    staff_client(client, tenant_a.cashier)
    listing = client.get(reverse("admin:campaigns_campaign_changelist"))
    assert listing.context["action_form"] is None   # a cashier is offered no action, no export among them
    refused = client.post(reverse("admin:campaigns_campaign_changelist"),
                          {"action": "export_csv", "_selected_action": [campaign.pk]})
    assert refused.status_code == 200 and refused.get("Content-Type", "").startswith("text/html")


def test_the_per_day_figures_export_to_excel(client, tenant_a):
    campaign = make_campaign(tenant_a.merchant)
    staff_client(client, tenant_a.owner)
    workbook = client.get(reverse("admin:campaigns_campaign_days_xlsx", args=[campaign.pk]))
    assert workbook.status_code == 200 and workbook["Content-Type"].startswith("application/vnd.openxmlformats")
    staff_client(client, tenant_a.cashier)
    assert client.get(reverse("admin:campaigns_campaign_days_xlsx", args=[campaign.pk])).status_code == 403
