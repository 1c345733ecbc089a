"""The campaigns' typed events: offered to webhook subscribers, written in the change's transaction."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from campaigns import events
from campaigns.models import Occurrence
from loyalty.models import Event
from tests.campaigns.helpers import make_campaign
from tests.webhooks.helpers import deliveries, subscribe
from webhooks.services import subscribable_kinds


def test_the_campaign_kinds_are_offered_to_subscribers():
    offered = {code for code, _label in subscribable_kinds()}
    assert {"campaign.claimed", "campaign_run.completed"} <= offered


def test_a_completed_run_is_one_event_with_its_counts_for_subscribers(tenant_a):
    endpoint, _secret = subscribe(tenant_a.merchant, "https://hooks.example.com/a", "campaign_run.completed")
    campaign = make_campaign(tenant_a.merchant)
    due = datetime.datetime(2026, 12, 1, 10, tzinfo=tenant_a.merchant.zone)
    run = Occurrence.objects.create(merchant=tenant_a.merchant, campaign=campaign, key="2026-12-01", due_at=due,
                                    status=Occurrence.Status.COMPLETED, eligible=120, treated=100, held_out=12,
                                    capped=8, messaged=100, finished_at=timezone.now())
    with transaction.atomic():
        events.campaign_run_completed(run)
    [event] = Event.objects.filter(kind="campaign_run.completed")
    assert (event.object_id, event.sequence) == (campaign.pk, 1)
    assert event.data == {"run": run.pk, "key": "2026-12-01", "due_at": due.isoformat(), "eligible": 120,
                          "treated": 100, "held_out": 12, "capped": 8, "messaged": 100}
    assert [d.kind for d in deliveries(endpoint)] == ["campaign_run.completed"]



def test_a_run_writes_its_completion_once_whatever_the_reruns(tenant_a):
    from campaigns.services.occurrences import run_occurrence, start_occurrence
    from tests.campaigns.helpers import bulk_members
    from tests.coupons.helpers import make_template

    bulk_members(tenant_a.merchant, 12)
    campaign = make_campaign(tenant_a.merchant, coupon_template=make_template(tenant_a.merchant, stock=None))
    run = start_occurrence(campaign, key="once", start=False)
    run_occurrence(run.pk, batch_size=5, max_batches=1)        # the worker dies after one batch: not finished yet
    assert not Event.objects.filter(kind="campaign_run.completed").exists()
    run_occurrence(run.pk, batch_size=5)
    run_occurrence(run.pk, batch_size=5)                       # handed out again after it finished
    [event] = Event.objects.filter(kind="campaign_run.completed")
    done = Occurrence.objects.get(pk=run.pk)
    assert event.data["run"] == run.pk
    assert (event.data["eligible"], event.data["treated"], event.data["messaged"]) == (
        done.eligible, done.treated, done.messaged) == (13, 13, 13)
