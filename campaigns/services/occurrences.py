"""Running a campaign: find the occurrences due, then plan, give and message each one in set-based batches.

An occurrence goes through three phases, each in batches of members by id with a checkpoint on the
occurrence row, each batch one transaction holding that row's lock:

1. **planning**: the eligible members (segment, trigger, consent, limits) get a `Delivery` row: held out by
   their bucket (hash of campaign and member into 0–9999, stable across runs), capped when the channel's
   frequency cap is reached (reserved atomically), else treated. The unique (campaign, occurrence, member)
   key makes a second row impossible, whatever retries, restarts and overlapping runs do.
2. **giving**: one mass send (`coupons.services.issuance`) over the occurrence's treated members, at mass-send
   speed, with its own batches, progress, cancel and resume.
3. **messaging**: each treated member with a channel gets the channel's text in the outbox (`not_before` the
   end of quiet hours when the batch falls inside them).

A worker killed anywhere loses at most its open batch; running the occurrence again continues after the
checkpoint of the phase it was in.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import errors
from campaigns.models import Campaign, Channel, Delivery, Occurrence, Outcome
from campaigns.services import messages
from campaigns.triggers import Due, triggers
from coupons.models import CouponIssuance, CouponIssuanceBenefit
from coupons.services.issuance import cancel_issuance, create_issuance, run_issuance
from loyalty.errors import DomainError
from loyalty.models import OutboxMessage
from merchants.services import create_segment, members_in_segment
from merchants.services.marketing import accepting_marketing, quiet_hours_end, reserve_messages
from merchants.services.segments import merchant_members

BATCH_SIZE = 25000
MESSAGE_TASK_BATCH = 500
BUCKETS = 10000


def bucket(campaign_id: int, member_id: int) -> int:
    """The member's holdout bucket in this campaign (0–9999): md5, so it is the same on every run and machine."""
    return int(hashlib.md5(f"{campaign_id}:{member_id}".encode()).hexdigest()[:8], 16) % BUCKETS


def due_of(occurrence: Occurrence) -> Due:
    return Due(key=occurrence.key, at=timezone.localtime(occurrence.due_at, occurrence.campaign.merchant.zone))


def eligible_members(occurrence: Occurrence) -> QuerySet:
    """Who the occurrence is for: the segment at the due time, the trigger's members, accepting marketing,
    under the campaign's limit of times per member. Holdout is drawn from these (after consent), not before."""
    campaign = occurrence.campaign
    if campaign.segment_id:
        members = members_in_segment(campaign.segment, at=occurrence.due_at)
    else:
        members = merchant_members(campaign.merchant_id)
    trigger = triggers.get(campaign.trigger)
    members = accepting_marketing(members).filter(trigger.condition(campaign, due_of(occurrence)))
    if campaign.times_per_member:
        earlier = (Delivery.objects.filter(campaign=campaign, member=OuterRef("pk"), outcome=Outcome.TREATED)
                   .exclude(occurrence=occurrence).order_by().values("member").annotate(n=Count("pk")).values("n"))
        members = members.annotate(times=Coalesce(Subquery(earlier), Value(0))).filter(
            times__lt=campaign.times_per_member)
    return members


@transaction.atomic
def schedule_due(*, now: datetime.datetime | None = None) -> list[Occurrence]:
    """Create the occurrences due now of every active campaign (once per key) and start them after commit."""
    now = now or timezone.now()
    created = []
    for campaign in Campaign.objects.filter(status=Campaign.Status.ACTIVE).select_related("merchant"):
        due = triggers.get(campaign.trigger).due(campaign, now=now)
        if due is None:
            continue
        occurrence, new = Occurrence.objects.get_or_create(
            campaign=campaign, key=due.key, defaults={"merchant_id": campaign.merchant_id, "due_at": due.at})
        if new:
            created.append(occurrence)
            _start_later(occurrence)
    return created


def _start_later(occurrence: Occurrence) -> None:
    from campaigns.tasks import run_occurrence_task

    transaction.on_commit(lambda: run_occurrence_task.delay(occurrence.pk))


def start_occurrence(campaign: Campaign, *, key: str, at: datetime.datetime | None = None,
                     start: bool = True) -> Occurrence:
    """An occurrence made by hand ("run now" in the admin, the benchmark, the demo); once per key."""
    if campaign.status != Campaign.Status.ACTIVE:
        raise DomainError(errors.CAMPAIGN_NOT_RUNNABLE, _("Only an active campaign runs."), field="status",
                          status_code=409)
    with transaction.atomic():
        occurrence, new = Occurrence.objects.get_or_create(
            campaign=campaign, key=key, defaults={"merchant_id": campaign.merchant_id, "due_at": at or timezone.now()})
        if new and start:
            _start_later(occurrence)
    return occurrence


def run_occurrence(occurrence_id: int, *, batch_size: int = BATCH_SIZE, max_batches: int | None = None,
                   throttle_seconds: float = 0.0) -> Occurrence:
    """Work through the occurrence's phases until done, cancelled or `max_batches` batches have run.

    Safe to call any number of times, also concurrently: every batch locks the occurrence and starts at its
    checkpoint; the mass send of the giving phase does the same with its own row.
    """
    batches = 0
    while max_batches is None or batches < max_batches:
        occurrence = Occurrence.objects.get(pk=occurrence_id)
        if occurrence.status == Occurrence.Status.PLANNING:
            _plan_batch(occurrence_id, batch_size)
        elif occurrence.status == Occurrence.Status.GIVING:
            remaining = None if max_batches is None else max_batches - batches
            issuance = run_issuance(occurrence.issuance_id, batch_size=batch_size, max_batches=remaining)
            if issuance.status in (CouponIssuance.Status.PENDING, CouponIssuance.Status.RUNNING):
                break  # stopped by max_batches: resume later
            _after_giving(occurrence_id, issuance)
        elif occurrence.status == Occurrence.Status.MESSAGING:
            _message_batch(occurrence_id, batch_size)
        else:
            break
        batches += 1
        if throttle_seconds:
            time.sleep(throttle_seconds)
    return Occurrence.objects.get(pk=occurrence_id)


def _locked(occurrence_id: int) -> Occurrence:
    return (Occurrence.objects.select_for_update(of=("self",))
            .select_related("campaign__merchant", "campaign__coupon_template").get(pk=occurrence_id))


@transaction.atomic
def _plan_batch(occurrence_id: int, batch_size: int) -> None:
    occurrence = _locked(occurrence_id)
    if occurrence.status != Occurrence.Status.PLANNING:
        return
    campaign = occurrence.campaign
    rows = list(messages.with_channel(eligible_members(occurrence), campaign)
                .filter(pk__gt=occurrence.last_member_id).order_by("pk").values_list("pk", "send_channel")[:batch_size])
    if not rows:
        _after_planning(occurrence)
        return
    threshold = campaign.holdout_threshold
    outcomes: list[tuple[int, str, str, int]] = []
    wanting: dict[str, list[int]] = defaultdict(list)
    for member_id, channel in rows:
        drawn = bucket(campaign.pk, member_id)
        if drawn < threshold:
            outcomes.append((member_id, Outcome.HELD_OUT, "", drawn))
        else:
            outcomes.append((member_id, Outcome.TREATED, channel, drawn))
            if channel:
                wanting[channel].append(member_id)
    now = timezone.now()
    passed = {channel: set(reserve_messages(campaign.merchant, channel=channel, member_ids=ids, at=now))
              for channel, ids in wanting.items()}
    outcomes = [(member_id, Outcome.CAPPED, channel, drawn)
                if outcome == Outcome.TREATED and channel and member_id not in passed[channel]
                else (member_id, outcome, channel, drawn) for member_id, outcome, channel, drawn in outcomes]
    _write_deliveries(occurrence, outcomes, now)
    counts = defaultdict(int)
    for _member, outcome, _channel, _bucket in outcomes:
        counts[outcome] += 1
    Occurrence.objects.filter(pk=occurrence.pk).update(
        last_member_id=rows[-1][0], eligible=F("eligible") + len(rows),
        treated=F("treated") + counts[Outcome.TREATED],
        held_out=F("held_out") + counts[Outcome.HELD_OUT], capped=F("capped") + counts[Outcome.CAPPED])


def _write_deliveries(occurrence: Occurrence, outcomes: list[tuple[int, str, str, int]],
                      now: datetime.datetime) -> None:
    """Insert the batch's rows; one already there (it cannot be, under the lock) is left as it is."""
    if connection.vendor == "postgresql":
        members, kinds, channels, buckets = (list(column) for column in zip(*outcomes, strict=True))
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO campaigns_delivery (merchant_id, campaign_id, occurrence_id, member_id, outcome, channel,
                                                bucket, created_at)
                SELECT %s, %s, %s, m, o, c, b, %s
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::int[]) AS t(m, o, c, b)
                ON CONFLICT (campaign_id, occurrence_id, member_id) DO NOTHING
            """, [occurrence.merchant_id, occurrence.campaign_id, occurrence.pk, now, members, kinds, channels,
                  buckets])
        return
    Delivery.objects.bulk_create(
        [Delivery(merchant_id=occurrence.merchant_id, campaign_id=occurrence.campaign_id, occurrence=occurrence,
                  member_id=member_id, outcome=outcome, channel=channel, bucket=drawn, created_at=now)
         for member_id, outcome, channel, drawn in outcomes], batch_size=2000, ignore_conflicts=True)


def _after_planning(occurrence: Occurrence) -> None:
    campaign = occurrence.campaign
    lines = [CouponIssuanceBenefit(kind=line.kind, quantity=line.quantity, amount=line.amount,
                                   target_id=line.target_id, position=line.position)
             for line in campaign.benefits.order_by("position", "pk")]
    if (campaign.coupon_template_id is None and not lines) or not occurrence.treated:
        Occurrence.objects.filter(pk=occurrence.pk).update(status=Occurrence.Status.MESSAGING)
        return
    issuance = create_issuance(campaign.coupon_template, merchant=campaign.merchant, lines=lines,
                               saved_segment=sends_segment(campaign), notify_members=False, start=False)
    Occurrence.objects.filter(pk=occurrence.pk).update(status=Occurrence.Status.GIVING, issuance=issuance)


def sends_segment(campaign: Campaign):
    """The campaign's one saved segment for its runs' mass sends (made on its first run)."""
    if campaign.sends_segment_id is None:
        campaign.sends_segment = create_segment(
            campaign.merchant, name=(_("Campaign %(name)s: sent") % {"name": campaign.name})[:80],
            clauses=[("campaign_run", {"campaign": campaign.pk})],
            description=_("Made by the campaign: the members each run's mass send gives the benefits to."))
        Campaign.objects.filter(pk=campaign.pk).update(sends_segment=campaign.sends_segment)
    return campaign.sends_segment


def _after_giving(occurrence_id: int, issuance: CouponIssuance) -> None:
    status = Occurrence.Status.CANCELLED if issuance.status == CouponIssuance.Status.CANCELLED \
        else Occurrence.Status.MESSAGING
    fields = {"status": status}
    if status == Occurrence.Status.CANCELLED:
        fields["finished_at"] = timezone.now()
    Occurrence.objects.filter(pk=occurrence_id, status=Occurrence.Status.GIVING).update(**fields)


def _recipient(channel: str, member_id: int, phone: str, openid: str, alipay_id: str) -> str:
    if channel == Channel.SMS:
        return phone
    if channel in (Channel.WECHAT_TEMPLATE, Channel.WECHAT_SUBSCRIPTION):
        return openid
    if channel == Channel.ALIPAY:
        return alipay_id
    return str(member_id)


@transaction.atomic
def _message_batch(occurrence_id: int, batch_size: int) -> None:
    occurrence = _locked(occurrence_id)
    if occurrence.status != Occurrence.Status.MESSAGING:
        return
    campaign = occurrence.campaign
    rows = list(Delivery.objects.filter(occurrence=occurrence, outcome=Outcome.TREATED,
                                        member_id__gt=occurrence.last_message_member_id)
                .exclude(channel="").order_by("member_id")
                .values_list("member_id", "channel", "member__name", "member__phone", "member__wechat_openid",
                             "member__alipay_user_id")[:batch_size])
    now = timezone.now()
    written = {message.channel: message for message in campaign.messages.select_related("campaign__merchant")}
    if not rows or not written:
        Occurrence.objects.filter(pk=occurrence.pk).update(status=Occurrence.Status.COMPLETED, finished_at=now)
        return
    fixed = messages.constants(campaign, occurrence.due_at)
    texts = {channel: messages.texts_for(message, fixed) for channel, message in written.items()}
    not_before = quiet_hours_end(campaign.merchant, now)
    outbox = []
    for member_id, channel, name, phone, openid, alipay_id in rows:
        if channel not in texts:
            continue
        title, body = texts[channel].for_member(member_id, name)
        outbox.append((member_id, channel, _recipient(channel, member_id, phone, openid, alipay_id), title[:120], body))
    ids = _write_messages(campaign.merchant_id, outbox, link=fixed.link, not_before=not_before, now=now)
    if not_before is None:
        # Held for quiet hours otherwise: the outbox's dispatcher sends them once not_before has passed.
        from loyalty.tasks import deliver_outbox_messages

        for start in range(0, len(ids), MESSAGE_TASK_BATCH):
            batch = ids[start:start + MESSAGE_TASK_BATCH]
            transaction.on_commit(lambda batch=batch: deliver_outbox_messages.delay(batch))
    Occurrence.objects.filter(pk=occurrence.pk).update(last_message_member_id=rows[-1][0],
                                                       messaged=F("messaged") + len(outbox))


def _write_messages(merchant_id: int, outbox: list[tuple[int, str, str, str, str]], *, link: str,
                    not_before: datetime.datetime | None, now: datetime.datetime) -> list[int]:
    """One statement a batch on Postgres (arrays unnested), a bulk insert elsewhere; returns the new ids."""
    if not outbox:
        return []
    if connection.vendor == "postgresql":
        members, channels, recipients, titles, bodies = (list(column) for column in zip(*outbox, strict=True))
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO loyalty_outboxmessage (merchant_id, channel, kind, member_id, recipient, title, body, link,
                                                   not_before, status, attempts, provider_reference, error, created_at)
                SELECT %s, c, %s, m, r, t, b, %s, %s, %s, 0, '', '', %s
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS u(m, c, r, t, b)
                RETURNING id
            """, [merchant_id, OutboxMessage.Kind.MARKETING, link, not_before, OutboxMessage.Status.QUEUED, now,
                  members, channels, recipients, titles, bodies])
            return [row[0] for row in cursor.fetchall()]
    created = OutboxMessage.objects.bulk_create(
        [OutboxMessage(merchant_id=merchant_id, channel=channel, kind=OutboxMessage.Kind.MARKETING, member_id=member_id,
                       recipient=recipient, title=title, body=body, link=link, not_before=not_before)
         for member_id, channel, recipient, title, body in outbox], batch_size=MESSAGE_TASK_BATCH)
    return [message.pk for message in created]


@transaction.atomic
def cancel_occurrence(occurrence: Occurrence) -> bool:
    """Stop an occurrence after the batch under way (its mass send too); what was given stays given."""
    locked = _locked(occurrence.pk)
    if locked.status in (Occurrence.Status.COMPLETED, Occurrence.Status.CANCELLED):
        return False
    if locked.issuance_id:
        cancel_issuance(locked.issuance)
    Occurrence.objects.filter(pk=locked.pk).update(status=Occurrence.Status.CANCELLED, finished_at=timezone.now())
    return True


def resume_occurrence(occurrence: Occurrence) -> None:
    """Start the job again after a worker died: it continues after its phase's checkpoint."""
    if occurrence.status in (Occurrence.Status.COMPLETED, Occurrence.Status.CANCELLED):
        raise DomainError(errors.OCCURRENCE_NOT_RUNNABLE, _("This campaign run has finished."), field="status",
                          status_code=409)
    _start_later(occurrence)


def progress(occurrence: Occurrence) -> int:
    """Percent done, over the three phases (planning counts a third, giving and messaging a third each)."""
    if occurrence.status in (Occurrence.Status.COMPLETED, Occurrence.Status.CANCELLED):
        return 100
    if occurrence.status == Occurrence.Status.PLANNING:
        return 0
    if occurrence.status == Occurrence.Status.GIVING and occurrence.issuance_id:
        issuance = occurrence.issuance
        return 33 + int(33 * issuance.processed / max(issuance.total, 1))
    return 66 + int(34 * occurrence.messaged / max(occurrence.treated, 1))
