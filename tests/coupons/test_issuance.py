"""Mass sends (投放): segments, stock and limits, messages, cancelling, and resuming a killed job."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.utils import timezone

from coupons import codes, services
from coupons.models import Coupon, CouponIssuance
from loyalty.errors import DomainError
from loyalty.models import OutboxMessage
from loyalty.segments import SegmentFilter, segment_filters
from merchants.models import Member, MemberTag
from merchants.services import create_segment
from tests.coupons.helpers import make_members, make_template, paid_days_ago


def _send(template, **kwargs):
    """Plan a send and run it in this process (the Celery task runs the same function)."""
    issuance = services.create_issuance(template, start=False, **kwargs)
    return services.run_issuance(issuance.pk, batch_size=kwargs.pop("batch_size", 4))


def test_everyone_gets_one_coupon_and_one_message(tenant_a):
    members = make_members(tenant_a.merchant, 9) + [tenant_a.member]
    template = make_template(tenant_a.merchant, stock=None)
    issuance = _send(template)
    assert (issuance.status, issuance.total, issuance.processed, issuance.issued) == ("completed", 10, 10, 10)
    assert sorted(Coupon.objects.filter(issuance=issuance).values_list("member_id", flat=True)) == \
        sorted(m.pk for m in members)
    template.refresh_from_db()
    assert (template.issued_count, template.claimed_count) == (10, 0)
    texts = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MARKETING)
    assert texts.count() == 10 and all(template.name in t.body for t in texts)
    # Each text names its member, so the member's inbox and a campaign's effect can find it.
    assert sorted(texts.values_list("member_id", "recipient")) == sorted((m.pk, m.phone) for m in members)


def test_a_send_starts_as_a_celery_job_on_commit(tenant_a, django_capture_on_commit_callbacks):
    make_members(tenant_a.merchant, 3)
    with django_capture_on_commit_callbacks(execute=True):
        issuance = services.create_issuance(make_template(tenant_a.merchant), notify_members=False)
    issuance.refresh_from_db()
    assert issuance.status == "completed" and issuance.issued == 4


def test_stock_stops_the_send(tenant_a):
    make_members(tenant_a.merchant, 9)
    template = make_template(tenant_a.merchant, stock=6)
    issuance = _send(template, notify_members=False)
    assert issuance.issued == 6 and issuance.status == "completed" and issuance.stopped_reason
    template.refresh_from_db()
    assert template.issued_count == 6 == Coupon.objects.filter(template=template).count()


def test_members_at_their_limit_are_skipped(tenant_a):
    make_members(tenant_a.merchant, 3)
    template = make_template(tenant_a.merchant, stock=None, per_member_limit=1)
    services.claim_coupon(template, tenant_a.member)
    issuance = _send(template, notify_members=False)
    assert (issuance.processed, issuance.issued) == (4, 3)
    assert Coupon.objects.filter(template=template, member=tenant_a.member).count() == 1


def test_segments(tenant_a):
    members = make_members(tenant_a.merchant, 6)
    now = timezone.now()
    Member.objects.filter(pk=members[0].pk).update(birthday=timezone.localdate().replace(year=1990, day=1))
    # Inactive means no payment in N days (it used to read the last member-page login): members[1] joined
    # 50 days ago and last paid 40 days ago, members[2] joined 100 days ago and never paid.
    Member.objects.filter(pk=members[1].pk).update(joined_at=now - datetime.timedelta(days=50))
    paid_days_ago(members[1], 40)
    Member.objects.filter(pk=members[2].pk).update(joined_at=now - datetime.timedelta(days=100))
    tag = MemberTag.objects.create(merchant=tenant_a.merchant, name="VIP")
    members[3].tags.add(tag)
    template = make_template(tenant_a.merchant, stock=None, per_member_limit=0)

    def got(**segment):
        issuance = _send(template, notify_members=False, **segment)
        return set(Coupon.objects.filter(issuance=issuance).values_list("member_id", flat=True))

    assert got(segment="birthday_month") == {members[0].pk}
    assert got(segment="inactive", inactive_days=30) >= {members[1].pk, members[2].pk}
    assert members[4].pk not in got(segment="inactive", inactive_days=30)
    assert got(segment="tag", tag=tag) == {members[3].pk}
    long_ago = timezone.localtime(now - datetime.timedelta(days=100)).date()
    assert got(segment="joined_between", joined_from=long_ago, joined_until=long_ago) == {members[2].pk}
    assert got(segment="phones", phones=services.parse_phone_list(
        f"phone\n{members[5].phone}\nnot-a-phone\n+86 {members[4].phone}\n")) == {members[4].pk, members[5].pk}


def test_a_member_who_paid_yesterday_but_never_logged_in_is_not_inactive(tenant_a):
    regular, = make_members(tenant_a.merchant, 1)
    Member.objects.filter(pk=regular.pk).update(joined_at=timezone.now() - datetime.timedelta(days=400),
                                                last_seen_at=None)
    paid_days_ago(regular, 1)
    issuance = _send(make_template(tenant_a.merchant, stock=None), notify_members=False, segment="inactive",
                     inactive_days=30)
    assert not Coupon.objects.filter(issuance=issuance, member=regular).exists()


def test_a_member_who_logged_in_yesterday_but_last_paid_60_days_ago_is_inactive(tenant_a):
    lapsed, = make_members(tenant_a.merchant, 1)
    now = timezone.now()
    Member.objects.filter(pk=lapsed.pk).update(joined_at=now - datetime.timedelta(days=400),
                                               last_seen_at=now - datetime.timedelta(days=1))
    paid_days_ago(lapsed, 60)
    issuance = _send(make_template(tenant_a.merchant, stock=None), notify_members=False, segment="inactive",
                     inactive_days=30)
    assert list(Coupon.objects.filter(issuance=issuance).values_list("member_id", flat=True)) == [lapsed.pk]


def test_a_mass_send_to_a_saved_segment_reaches_its_members(tenant_a):
    members = make_members(tenant_a.merchant, 4)
    tag = MemberTag.objects.create(merchant=tenant_a.merchant, name="VIP")
    for member in members[:3]:
        member.tags.add(tag)
    Member.objects.filter(pk=members[0].pk).update(joined_at=timezone.now() - datetime.timedelta(days=90))
    segment = create_segment(tenant_a.merchant, name="new VIPs", clauses=[
        ("tag", {"tag": tag.pk}), ("joined_between", {"joined_from": timezone.localdate(),
                                                      "joined_until": timezone.localdate()})])
    issuance = _send(make_template(tenant_a.merchant, stock=None), notify_members=False, saved_segment=segment)
    assert (issuance.segment, issuance.total) == ("saved", 2)
    assert set(Coupon.objects.filter(issuance=issuance).values_list("member_id", flat=True)) == \
        {members[1].pk, members[2].pk}


def test_a_mass_send_uses_a_segment_filter_registered_by_another_app(tenant_a):
    members = make_members(tenant_a.merchant, 5)

    class NamedBob(SegmentFilter):
        """Test-only: members whose name is Bob; coupons knows nothing of it."""

        code = "test_named_bob"
        label = "named Bob"

        def condition(self, params, *, merchant_id, at):
            return Q(name="Bob")

    Member.objects.filter(pk__in=[members[1].pk, members[3].pk]).update(name="Bob")
    with segment_filters.registered(NamedBob()):
        segment = create_segment(tenant_a.merchant, name="Bobs", clauses=[("test_named_bob", {})])
        issuance = _send(make_template(tenant_a.merchant, stock=None), notify_members=False, saved_segment=segment)
    assert set(Coupon.objects.filter(issuance=issuance).values_list("member_id", flat=True)) == \
        {members[1].pk, members[3].pk}


def test_a_mass_send_to_another_merchants_saved_segment_is_refused(tenant_a, tenant_b):
    segment = create_segment(tenant_b.merchant, name="B's", clauses=[])
    with pytest.raises(DomainError) as refused:
        services.create_issuance(make_template(tenant_a.merchant), saved_segment=segment, start=False)
    assert refused.value.code == "coupon_segment_invalid"


def test_a_segment_with_another_merchants_tag_is_refused(tenant_a, tenant_b):
    tag = MemberTag.objects.create(merchant=tenant_b.merchant, name="B's")
    with pytest.raises(DomainError) as refused:
        services.create_issuance(make_template(tenant_a.merchant), segment="tag", tag=tag, start=False)
    assert refused.value.code == "coupon_segment_invalid"


def test_a_killed_send_resumes_without_issuing_twice_or_missing_anyone(tenant_a):
    members = make_members(tenant_a.merchant, 20) + [tenant_a.member]
    template = make_template(tenant_a.merchant, stock=None)
    issuance = services.create_issuance(template, start=False)
    # The worker dies after two batches of 4: the job stays "running" with its checkpoint.
    stopped = services.run_issuance(issuance.pk, batch_size=4, max_batches=2)
    assert (stopped.status, stopped.issued, stopped.processed) == ("running", 8, 8)
    assert stopped.last_member_id == sorted(m.pk for m in members)[7]
    # A crash inside a batch rolls the batch back with its checkpoint, so the re-run of the same range
    # finds the same members again; the unique constraint would refuse a second coupon anyway.
    resumed = services.run_issuance(issuance.pk, batch_size=5)
    assert (resumed.status, resumed.issued, resumed.processed) == ("completed", 21, 21)
    per_member = Coupon.objects.filter(issuance=issuance).values_list("member_id", flat=True)
    assert sorted(per_member) == sorted(m.pk for m in members)
    assert OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MARKETING).count() == 21
    # Running a finished job again issues nothing.
    assert services.run_issuance(issuance.pk).issued == 21
    assert Coupon.objects.filter(template=template).count() == 21


def test_a_cancelled_send_stops_after_the_batch_under_way(tenant_a):
    make_members(tenant_a.merchant, 11)
    issuance = services.create_issuance(make_template(tenant_a.merchant, stock=None), start=False)
    services.run_issuance(issuance.pk, batch_size=4, max_batches=1)
    assert services.cancel_issuance(issuance)
    done = services.run_issuance(issuance.pk, batch_size=4)
    assert (done.status, done.issued) == ("cancelled", 4)
    with pytest.raises(DomainError):
        services.resume_issuance(done)


def test_progress_shows_rate_and_time_left(tenant_a):
    make_members(tenant_a.merchant, 7)
    issuance = services.create_issuance(make_template(tenant_a.merchant, stock=None), start=False)
    services.run_issuance(issuance.pk, batch_size=4, max_batches=1)
    CouponIssuance.objects.filter(pk=issuance.pk).update(started_at=timezone.now() - datetime.timedelta(seconds=2))
    issuance.refresh_from_db()
    assert issuance.rate_per_second == pytest.approx(2, rel=0.2)
    assert issuance.eta_seconds == pytest.approx(2, rel=0.2)


def test_issue_coupons_command(tenant_a, capsys):
    make_members(tenant_a.merchant, 2)
    template = make_template(tenant_a.merchant, stock=None)
    call_command("issue_coupons", "--template", str(template.pk), "--no-notify", "--batch-size", "2")
    assert "status=completed total=3 processed=3 issued=3" in capsys.readouterr().out
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MARKETING).exists()


def test_issue_coupons_command_sends_to_a_saved_segment_by_name_or_id(tenant_a, capsys):
    members = make_members(tenant_a.merchant, 3)
    segment = create_segment(tenant_a.merchant, name="two phones", clauses=[
        ("phones", {"phones": [members[0].phone, members[2].phone]})])
    template = make_template(tenant_a.merchant, stock=None, per_member_limit=0)
    call_command("issue_coupons", "--template", str(template.pk), "--segment", "two phones", "--no-notify")
    assert "status=completed total=2 processed=2 issued=2" in capsys.readouterr().out
    call_command("issue_coupons", "--template", str(template.pk), "--segment", str(segment.pk), "--no-notify")
    assert "status=completed total=2 processed=2 issued=2" in capsys.readouterr().out
    assert CouponIssuance.objects.filter(saved_segment=segment).count() == 2


def test_issue_coupons_command_refuses_an_unknown_segment(tenant_a):
    template = make_template(tenant_a.merchant, stock=None)
    with pytest.raises(CommandError, match="no segment"):
        call_command("issue_coupons", "--template", str(template.pk), "--segment", "nobody", "--no-notify")


def test_bench_issuance_runs_on_a_small_size(db, capsys):
    call_command("bench_issuance", "--members", "50", "--batch-size", "20")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("issued=50 seconds=") and "raw_seconds=" in line and "ratio=" in line
    assert not Coupon.objects.exists()


def test_a_mass_sent_fission_coupon_arrives_locked_with_its_own_share_link(tenant_a):
    make_members(tenant_a.merchant, 4)
    friend_template = make_template(tenant_a.merchant, name="friend", stock=None)
    template = make_template(tenant_a.merchant, stock=None, fission_friends=2, friend_template=friend_template)
    issuance = _send(template, notify_members=False)
    sent = Coupon.objects.filter(issuance=issuance)
    assert sent.count() == 5 and set(sent.values_list("state", flat=True)) == {Coupon.State.LOCKED}
    tokens = set(sent.values_list("share_token", flat=True))
    assert len(tokens) == 5 and None not in tokens
    first = sent.first()
    friends = make_members(tenant_a.merchant, 2, start=100)
    for friend in friends:
        services.claim_through_share(first.share_token, friend)
    first.refresh_from_db()
    assert first.state == Coupon.State.AVAILABLE



def test_a_batch_whose_code_is_already_taken_is_drawn_again(tenant_a, monkeypatch):
    members = make_members(tenant_a.merchant, 3)
    taken = services.issue_coupon(make_template(tenant_a.merchant, name="older"), members[0], source="staff").code
    draw = codes.new_codes
    clashing = iter([True])

    def first_draw_clashes(count):
        drawn = draw(count)
        return [taken, *drawn[1:]] if next(clashing, False) else drawn

    monkeypatch.setattr(codes, "new_codes", first_draw_clashes)
    issuance = _send(make_template(tenant_a.merchant, stock=None), notify_members=False)
    assert (issuance.status, issuance.issued) == ("completed", 4)
    sent = Coupon.objects.filter(issuance=issuance)
    assert sent.count() == 4 and not sent.filter(code=taken).exists()


def test_arrival_texts_are_delivered_by_a_task_per_batch_not_per_member(tenant_a, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    make_members(tenant_a.merchant, 4)
    monkeypatch.setattr(services.issuance, "MESSAGE_TASK_BATCH", 2)
    issuance = services.create_issuance(make_template(tenant_a.merchant, stock=None), start=False)
    with django_capture_on_commit_callbacks(execute=True) as delivery_tasks:
        services.run_issuance(issuance.pk, batch_size=10)
    assert len(delivery_tasks) == 3
    texts = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MARKETING)
    assert texts.count() == 5 and set(texts.values_list("status", flat=True)) == {OutboxMessage.Status.SENT}


def test_the_arrival_text_carries_each_members_opt_out_link_and_skips_who_opted_out(tenant_a, client):
    from merchants.models import MarketingConsentChange
    from merchants.services.marketing import opt_out_url, set_marketing_consent

    members = make_members(tenant_a.merchant, 3) + [tenant_a.member]
    set_marketing_consent(members[0], accepts=False, how=MarketingConsentChange.How.PAGE)
    issuance = _send(make_template(tenant_a.merchant, stock=None))
    assert issuance.issued == 4   # the coupon is the member's whatever their consent: only the text is marketing
    texts = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MARKETING)
    assert sorted(texts.values_list("member_id", flat=True)) == sorted(m.pk for m in members[1:])
    for text in texts:
        link = opt_out_url(text.member_id)
        assert text.body.endswith(link) and "/u/" in link
        assert client.get(link.removeprefix("http://testserver")).status_code == 200
        assert client.get("/u/" + link.rsplit("/u/", 1)[1].replace("-", "-0")).status_code == 404   # forged


def test_an_opted_out_member_gets_no_arrival_text_from_a_send_with_benefit_lines(tenant_a):
    from coupons.models import CouponIssuanceBenefit
    from merchants.models import MarketingConsentChange
    from merchants.services.marketing import set_marketing_consent

    set_marketing_consent(tenant_a.member, accepts=False, how=MarketingConsentChange.How.STAFF)
    other = make_members(tenant_a.merchant, 1)[0]
    issuance = services.create_issuance(merchant=tenant_a.merchant, start=False, lines=[
        CouponIssuanceBenefit(kind="points", quantity=10)])
    services.run_issuance(issuance.pk)
    assert list(OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MARKETING)
                .values_list("member_id", flat=True)) == [other.pk]


def test_arrival_texts_written_in_quiet_hours_wait_for_their_end(tenant_a, monkeypatch):
    from merchants.models import MarketingSettings

    MarketingSettings.objects.create(merchant=tenant_a.merchant, quiet_from=datetime.time(21),
                                     quiet_until=datetime.time(9))
    template = make_template(tenant_a.merchant, stock=None)
    late = datetime.datetime(2026, 12, 1, 22, 30, tzinfo=tenant_a.merchant.zone)
    monkeypatch.setattr(timezone, "now", lambda: late)
    _send(template)
    text = OutboxMessage.objects.get(member=tenant_a.member, kind=OutboxMessage.Kind.MARKETING)
    assert (text.not_before, text.status) == (datetime.datetime(2026, 12, 2, 9, 0, tzinfo=tenant_a.merchant.zone),
                                              OutboxMessage.Status.QUEUED)
