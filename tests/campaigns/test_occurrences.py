"""Running a campaign occurrence: exactly once per member, holdout, consent, caps, quiet hours, channels."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from campaigns.models import Channel, ChannelCondition, Delivery, Occurrence, Outcome
from campaigns.services import occurrences
from campaigns.services.occurrences import bucket, run_occurrence, start_occurrence
from coupons.models import Coupon
from loyalty.models import OutboxMessage
from merchants.models import FrequencyCap, MarketingConsentChange, MarketingSettings, Member
from merchants.services.marketing import set_marketing_consent
from tests.campaigns.helpers import bulk_members, make_campaign
from tests.coupons.helpers import make_template


def _run(campaign, key="once", **kwargs):
    occurrence = start_occurrence(campaign, key=key, start=False)
    return run_occurrence(occurrence.pk, **kwargs)


def test_an_occurrence_gives_each_member_the_coupon_and_one_sms(tenant_a):
    template = make_template(tenant_a.merchant, stock=None)
    bulk_members(tenant_a.merchant, 30)
    campaign = make_campaign(tenant_a.merchant, coupon_template=template)
    done = _run(campaign, batch_size=7)
    assert done.status == Occurrence.Status.COMPLETED
    assert (done.eligible, done.treated, done.held_out, done.messaged) == (31, 31, 0, 31)
    assert Coupon.objects.filter(template=template).count() == 31
    sms = OutboxMessage.objects.filter(merchant=tenant_a.merchant, kind=OutboxMessage.Kind.MARKETING)
    assert sms.count() == 31
    text = sms.get(member=tenant_a.member).body
    assert "alpha member" in text and template.name in text and "/s/" in text and "/u/" in text


def test_a_run_interrupted_and_run_again_gives_nobody_anything_twice(tenant_a):
    template = make_template(tenant_a.merchant, stock=None)
    bulk_members(tenant_a.merchant, 40)
    campaign = make_campaign(tenant_a.merchant, coupon_template=template, holdout_percent=10)
    occurrence = start_occurrence(campaign, key="once", start=False)
    first = run_occurrence(occurrence.pk, batch_size=10, max_batches=2)   # the worker dies after two batches
    assert first.status == Occurrence.Status.PLANNING and first.eligible == 20
    run_occurrence(occurrence.pk, batch_size=10)                            # the broker hands the task out again
    run_occurrence(occurrence.pk, batch_size=10)                            # and once more, for good measure
    done = Occurrence.objects.get(pk=occurrence.pk)
    assert done.status == Occurrence.Status.COMPLETED and done.eligible == 41
    assert Delivery.objects.filter(occurrence=occurrence).count() == 41
    treated = Delivery.objects.filter(occurrence=occurrence, outcome=Outcome.TREATED).count()
    assert Coupon.objects.filter(template=template).count() == treated == done.treated
    assert OutboxMessage.objects.filter(merchant=tenant_a.merchant, kind="marketing").count() == treated


def test_a_batch_that_fails_half_way_rolls_back_whole_and_the_rerun_completes(tenant_a, monkeypatch):
    bulk_members(tenant_a.merchant, 25)
    campaign = make_campaign(tenant_a.merchant)
    occurrence = start_occurrence(campaign, key="once", start=False)
    real, calls = occurrences._write_deliveries, []

    def dies_on_second_batch(*args, **kwargs):
        calls.append(1)
        real(*args, **kwargs)
        if len(calls) == 2:
            raise RuntimeError("worker killed")

    monkeypatch.setattr(occurrences, "_write_deliveries", dies_on_second_batch)
    with pytest.raises(RuntimeError):
        run_occurrence(occurrence.pk, batch_size=10)
    assert Delivery.objects.filter(occurrence=occurrence).count() == 10   # the second batch left nothing
    monkeypatch.setattr(occurrences, "_write_deliveries", real)
    run_occurrence(occurrence.pk, batch_size=10)
    assert Delivery.objects.filter(occurrence=occurrence).count() == 26
    assert OutboxMessage.objects.filter(merchant=tenant_a.merchant, kind="marketing").count() == 26


def test_the_same_occurrence_key_is_one_occurrence(tenant_a):
    campaign = make_campaign(tenant_a.merchant)
    assert start_occurrence(campaign, key="2026-12-01", start=False) == start_occurrence(
        campaign, key="2026-12-01", start=False)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_give_each_member_the_occurrence_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs Postgres row locks")
    from tests.conftest import make_tenant

    tenant = make_tenant("overlap")
    template = make_template(tenant.merchant, stock=None)
    bulk_members(tenant.merchant, 300)
    campaign = make_campaign(tenant.merchant, coupon_template=template, holdout_percent=10)
    occurrence = start_occurrence(campaign, key="once", start=False)
    failures = []

    def worker():
        try:
            run_occurrence(occurrence.pk, batch_size=37)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    done = Occurrence.objects.get(pk=occurrence.pk)
    assert done.status == Occurrence.Status.COMPLETED
    assert Delivery.objects.filter(occurrence=occurrence).count() == 301 == done.eligible
    treated = Delivery.objects.filter(occurrence=occurrence, outcome=Outcome.TREATED).count()
    assert Coupon.objects.filter(template=template).count() == treated
    assert OutboxMessage.objects.filter(merchant=tenant.merchant, kind="marketing").count() == treated


def test_holdout_share_is_within_tolerance_and_stable_across_runs(tenant_a):
    ids = bulk_members(tenant_a.merchant, 5000)
    campaign = make_campaign(tenant_a.merchant, holdout_percent=10, sms=None)
    done = _run(campaign, batch_size=2000)
    assert done.eligible == 5001
    assert abs(done.held_out / done.eligible - 0.10) <= 0.015
    held = set(Delivery.objects.filter(occurrence=done, outcome=Outcome.HELD_OUT).values_list("member_id", flat=True))
    again = _run(campaign, key="again", batch_size=999)
    assert set(Delivery.objects.filter(occurrence=again, outcome=Outcome.HELD_OUT)
               .values_list("member_id", flat=True)) == held
    assert held == {pk for pk in [*ids, tenant_a.member.pk] if bucket(campaign.pk, pk) < 1000}


def test_holdout_is_drawn_after_consent_and_held_out_members_get_nothing(tenant_a):
    template = make_template(tenant_a.merchant, stock=None)
    ids = bulk_members(tenant_a.merchant, 200)
    for member in Member.objects.filter(pk__in=ids[:50]):
        set_marketing_consent(member, accepts=False, how=MarketingConsentChange.How.PAGE)
    campaign = make_campaign(tenant_a.merchant, coupon_template=template, holdout_percent=20)
    done = _run(campaign)
    assert done.eligible == 151   # the 50 who opted out are not drawn at all
    held = Delivery.objects.filter(occurrence=done, outcome=Outcome.HELD_OUT).values_list("member_id", flat=True)
    assert held and not Coupon.objects.filter(member_id__in=list(held)).exists()
    assert not OutboxMessage.objects.filter(member_id__in=list(held)).exists()
    assert not OutboxMessage.objects.filter(member_id__in=ids[:50]).exists()


def test_a_cap_of_two_a_week_blocks_the_third_send_from_any_campaign(tenant_a):
    FrequencyCap.objects.create(merchant=tenant_a.merchant, channel=Channel.SMS, limit=2, period="week")
    member = tenant_a.member
    first, second, third = (make_campaign(tenant_a.merchant, name=name) for name in ("one", "two", "three"))
    outcomes = [Delivery.objects.get(occurrence=_run(campaign), member=member).outcome
                for campaign in (first, second, third)]
    assert outcomes == [Outcome.TREATED, Outcome.TREATED, Outcome.CAPPED]
    assert OutboxMessage.objects.filter(member=member, kind="marketing").count() == 2


def test_held_out_members_are_not_counted_against_caps(tenant_a):
    FrequencyCap.objects.create(merchant=tenant_a.merchant, channel=Channel.SMS, limit=1, period="day")
    held = make_campaign(tenant_a.merchant, name="all held", holdout_percent=50)
    # A bucket below 5000 for this member and campaign is held out; find one campaign that holds the member.
    while bucket(held.pk, tenant_a.member.pk) >= 5000:
        held = make_campaign(tenant_a.merchant, name="all held", holdout_percent=50)
    assert Delivery.objects.get(occurrence=_run(held), member=tenant_a.member).outcome == Outcome.HELD_OUT
    sent = make_campaign(tenant_a.merchant, name="sent")
    assert Delivery.objects.get(occurrence=_run(sent), member=tenant_a.member).outcome == Outcome.TREATED


def test_a_message_due_in_quiet_hours_waits_for_their_end(tenant_a, settings):
    MarketingSettings.objects.create(merchant=tenant_a.merchant, quiet_from=datetime.time(21),
                                     quiet_until=datetime.time(9))
    campaign = make_campaign(tenant_a.merchant)
    late = datetime.datetime(2026, 12, 1, 22, 30, tzinfo=tenant_a.merchant.zone)
    from campaigns.services import occurrences as engine

    original = engine.timezone.now
    engine.timezone.now = lambda: late
    try:
        _run(campaign)
    finally:
        engine.timezone.now = original
    message = OutboxMessage.objects.get(member=tenant_a.member, kind="marketing")
    assert message.not_before == datetime.datetime(2026, 12, 2, 9, 0, tzinfo=tenant_a.merchant.zone)


def test_channel_rules_choose_the_first_that_the_member_meets(tenant_a):
    follower = Member.objects.create(merchant=tenant_a.merchant, phone="13500000001", wechat_openid="o-1",
                                     follows_official_account=True)
    alipay = Member.objects.create(merchant=tenant_a.merchant, phone="13500000002", alipay_user_id="2088")
    unfollowed = Member.objects.create(merchant=tenant_a.merchant, phone="13500000003", wechat_openid="o-3")
    campaign = make_campaign(tenant_a.merchant, inbox="Hello {name}", rules=[
        (ChannelCondition.FOLLOWS_OFFICIAL_ACCOUNT, Channel.WECHAT_TEMPLATE),
        (ChannelCondition.HAS_ALIPAY_ID, Channel.ALIPAY),   # no Alipay text: the rule is skipped
        (ChannelCondition.HAS_PHONE, Channel.SMS)])
    from campaigns.models import CampaignMessage

    CampaignMessage.objects.create(merchant=tenant_a.merchant, campaign=campaign, channel=Channel.WECHAT_TEMPLATE,
                                   title="For you", body="Hello {name}")
    done = _run(campaign)
    channels = dict(Delivery.objects.filter(occurrence=done).values_list("member_id", "channel"))
    assert channels == {follower.pk: Channel.WECHAT_TEMPLATE, alipay.pk: Channel.SMS, unfollowed.pk: Channel.SMS,
                        tenant_a.member.pk: Channel.SMS}
    wechat = OutboxMessage.objects.get(member=follower)
    assert (wechat.channel, wechat.recipient, wechat.title) == (Channel.WECHAT_TEMPLATE, "o-1", "For you")


def test_schedule_due_creates_each_occurrence_once_and_starts_it(tenant_a, django_capture_on_commit_callbacks):
    campaign = make_campaign(tenant_a.merchant)
    with django_capture_on_commit_callbacks(execute=True):
        assert [o.campaign for o in occurrences.schedule_due()] == [campaign]
    assert occurrences.schedule_due() == []
    assert Occurrence.objects.get(campaign=campaign).status == Occurrence.Status.COMPLETED   # eager Celery ran it


def test_a_one_off_campaign_is_not_due_before_its_time(tenant_a):
    make_campaign(tenant_a.merchant, send_at=timezone.now() + datetime.timedelta(hours=1))
    assert occurrences.schedule_due() == []


@pytest.mark.parametrize("sends", [("send", "campaign", "campaign"), ("campaign", "send", "campaign"),
                                   ("campaign", "campaign", "send")])
def test_a_cap_of_two_a_week_blocks_the_third_marketing_send_whether_campaign_or_mass_send(tenant_a, sends):
    from coupons.services import create_issuance, run_issuance
    from loyalty.messaging import queue_message

    FrequencyCap.objects.create(merchant=tenant_a.merchant, channel=Channel.SMS, limit=2, period="week")
    member = tenant_a.member
    queue_message(tenant_a.merchant, member.phone, "Your code is 123456", member=member)   # transactional: exempt
    outcomes = []
    for position, kind in enumerate(sends):
        template = make_template(tenant_a.merchant, name=f"send {position}", stock=None)
        if kind == "campaign":
            occurrence = _run(make_campaign(tenant_a.merchant, name=f"campaign {position}", coupon_template=template))
            outcomes.append(Delivery.objects.get(occurrence=occurrence, member=member).outcome)
        else:
            run_issuance(create_issuance(template, start=False).pk)
            outcomes.append("texted" if OutboxMessage.objects.filter(
                member=member, kind="marketing", body__contains=template.name).exists() else "not texted")
        assert Coupon.objects.filter(template=template, member=member).exists() == (position < 2 or kind == "send")
    assert outcomes == [Outcome.TREATED if kind == "campaign" else "texted" for kind in sends[:2]] + [
        Outcome.CAPPED if sends[2] == "campaign" else "not texted"]
    assert OutboxMessage.objects.filter(member=member, kind="marketing").count() == 2
    assert OutboxMessage.objects.filter(member=member, kind=OutboxMessage.Kind.NOTICE).count() == 1


def test_each_batch_records_gives_and_texts_its_members_and_the_runs_mass_send_counts_them(tenant_a):
    """One pass: a batch done is done whole (a run stopped after it has given and texted its members)."""
    template = make_template(tenant_a.merchant, stock=None)
    bulk_members(tenant_a.merchant, 20)
    campaign = make_campaign(tenant_a.merchant, coupon_template=template)
    occurrence = run_occurrence(start_occurrence(campaign, key="once", start=False).pk, batch_size=8, max_batches=1)
    assert (occurrence.eligible, occurrence.treated, occurrence.messaged) == (8, 8, 8)
    assert Coupon.objects.filter(template=template).count() == 8
    assert OutboxMessage.objects.filter(merchant=tenant_a.merchant, kind="marketing").count() == 8
    assert occurrence.issuance.processed == 8 and occurrence.issuance.status == "running"
    done = run_occurrence(occurrence.pk, batch_size=8)
    assert done.issuance.status == "completed" and done.issuance.total == done.issuance.processed == 21
    assert occurrences.progress(occurrence) == 38 and occurrences.progress(done) == 100
