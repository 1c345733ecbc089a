"""Running a campaign: find the occurrences due, then send each one in set-based batches, the mass send's way.

An occurrence is one pass over its eligible members (segment, trigger, consent, limits) by id, in batches with a
checkpoint on the occurrence row; each batch is one transaction holding that row's lock and does everything for
its members: read them with their channel (one SQL, the channel rules a CASE), draw the holdout (hash of campaign
and member into 0–9999, stable across runs), reserve the caps of the treated (one upsert a channel), write every
member's `Delivery` (one statement), give the treated the benefits through the run's mass send
(`coupons.services.issuance.give_to_members`: the mass-send engine fed the batch, with its codes, limits, stock and
counters) and write their texts to the outbox (one statement, `not_before` the end of quiet hours inside them).
Nothing is read twice and nothing waits for a later pass.

The unique (campaign, occurrence, member) key of `Delivery`, the mass send's unique coupon per member and the lock
make a second gift or text impossible, whatever retries, restarts and overlapping runs do: a worker killed anywhere
loses at most its open batch, and running the occurrence again continues after the checkpoint.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import time
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import errors, events
from campaigns.models import Campaign, Channel, Delivery, Occurrence, Outcome
from campaigns.services import messages
from campaigns.triggers import Due, triggers
from coupons.models import CouponIssuance, CouponIssuanceBenefit
from coupons.services.issuance import (
    cancel_issuance,
    create_issuance,
    finish_issuance,
    give_to_members,
    open_issuance,
)
from loyalty.errors import DomainError
from merchants.services import create_segment, members_in_segment
from merchants.services.marketing import (
    accepting_marketing,
    quiet_hours_end,
    reserve_messages,
    write_marketing_messages,
)
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
    """Send the occurrence batch by batch until done, cancelled or `max_batches` batches have run.

    Safe to call any number of times, also concurrently: every batch locks the occurrence and starts at its
    checkpoint.
    """
    batches = 0
    while max_batches is None or batches < max_batches:
        if _send_batch(occurrence_id, batch_size):
            break
        batches += 1
        if throttle_seconds:
            time.sleep(throttle_seconds)
    return Occurrence.objects.get(pk=occurrence_id)


def _locked(occurrence_id: int) -> Occurrence:
    return (Occurrence.objects.select_for_update(of=("self",))
            .select_related("campaign__merchant", "campaign__coupon_template").get(pk=occurrence_id))


@transaction.atomic
def _send_batch(occurrence_id: int, batch_size: int) -> bool:
    """The next range of eligible members, in one transaction: draw, cap, record, give and text them; return True
    when the occurrence has nothing more to do."""
    occurrence = _locked(occurrence_id)
    if occurrence.status != Occurrence.Status.PLANNING:
        return True
    campaign = occurrence.campaign
    if occurrence.issuance_id and CouponIssuance.objects.filter(
            pk=occurrence.issuance_id, status=CouponIssuance.Status.CANCELLED).exists():
        # Staff cancelled the run's mass send in the coupons console: the run stops with it.
        _close(occurrence, Occurrence.Status.CANCELLED)
        return True
    eligible = messages.with_channel(eligible_members(occurrence), campaign)
    rows = _rows(eligible.filter(pk__gt=occurrence.last_member_id).order_by("pk").values_list(
        "pk", "send_channel", "name", "phone", "wechat_openid", "alipay_user_id")[:batch_size])
    if not rows:
        if occurrence.issuance_id:
            finish_issuance(occurrence.issuance_id)
        _close(occurrence, Occurrence.Status.COMPLETED)
        # In the closing transaction, under the run's lock: a rerun finds it completed and writes no second event.
        events.campaign_run_completed(occurrence)
        return True
    threshold = campaign.holdout_threshold
    outcomes: list[tuple[int, str, str, int]] = []
    wanting: dict[str, list[int]] = defaultdict(list)
    for member_id, channel, *_contact in rows:
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
    treated = [member_id for member_id, outcome, _channel, _drawn in outcomes if outcome == Outcome.TREATED]
    if treated:
        _give(occurrence, eligible, treated)
    contacts = {member_id: contact for member_id, _channel, *contact in rows}
    messaged = _message(occurrence, [(member_id, channel, *contacts[member_id])
                                     for member_id, outcome, channel, _drawn in outcomes
                                     if outcome == Outcome.TREATED and channel], now)
    counts = defaultdict(int)
    for _member, outcome, _channel, _bucket in outcomes:
        counts[outcome] += 1
    Occurrence.objects.filter(pk=occurrence.pk).update(
        last_member_id=rows[-1][0], last_message_member_id=rows[-1][0], eligible=F("eligible") + len(rows),
        treated=F("treated") + counts[Outcome.TREATED], held_out=F("held_out") + counts[Outcome.HELD_OUT],
        capped=F("capped") + counts[Outcome.CAPPED], messaged=F("messaged") + messaged)
    return False


def _rows(query) -> list[tuple]:
    """The rows a query selects, read straight from the cursor (the ORM's rows cost more than the query)."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _close(occurrence: Occurrence, status: str) -> None:
    Occurrence.objects.filter(pk=occurrence.pk).update(status=status, finished_at=timezone.now())


def _write_deliveries(occurrence: Occurrence, outcomes: list[tuple[int, str, str, int]],
                      now: datetime.datetime) -> None:
    """Insert the batch's rows: one COPY on Postgres (a page at a time, as the mass send writes its coupons).

    A row already there cannot be, under the lock; if it were, the unique key fails the COPY and with it the whole
    batch (coupons and texts too), so nobody is ever given an occurrence twice. Every value is a number, a
    timestamp or a word from a fixed list, so none needs escaping in COPY's text format.
    """
    if connection.vendor == "postgresql":
        fixed = f"{occurrence.merchant_id}\t{occurrence.campaign_id}\t{occurrence.pk}\t{now.isoformat()}"
        body = "".join(f"{fixed}\t{member_id}\t{outcome}\t{channel}\t{drawn}\n"
                       for member_id, outcome, channel, drawn in outcomes)
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.cursor.copy_expert(
                "COPY campaigns_delivery (merchant_id, campaign_id, occurrence_id, created_at, member_id, outcome, "
                "channel, bucket) FROM STDIN", io.StringIO(body))
        return
    Delivery.objects.bulk_create(
        [Delivery(merchant_id=occurrence.merchant_id, campaign_id=occurrence.campaign_id, occurrence=occurrence,
                  member_id=member_id, outcome=outcome, channel=channel, bucket=drawn, created_at=now)
         for member_id, outcome, channel, drawn in outcomes], batch_size=2000)


def _give(occurrence: Occurrence, eligible: QuerySet, treated: list[int]) -> None:
    """The batch's treated members get the benefits through the run's mass send (made by the first batch)."""
    campaign = occurrence.campaign
    if occurrence.issuance_id is None:
        lines = [CouponIssuanceBenefit(kind=line.kind, quantity=line.quantity, amount=line.amount,
                                       target_id=line.target_id, position=line.position)
                 for line in campaign.benefits.order_by("position", "pk")]
        if campaign.coupon_template_id is None and not lines:
            return
        issuance = create_issuance(campaign.coupon_template, merchant=campaign.merchant, lines=lines,
                                   saved_segment=sends_segment(campaign), notify_members=False, start=False)
        # Its total until it finishes: everyone eligible (the held out and capped among them are never given).
        open_issuance(issuance, total=eligible.count())
        Occurrence.objects.filter(pk=occurrence.pk).update(issuance=issuance)
        occurrence.issuance = issuance
    give_to_members(occurrence.issuance_id, treated)


def sends_segment(campaign: Campaign):
    """The campaign's one saved segment for its runs' mass sends (made on its first run)."""
    if campaign.sends_segment_id is None:
        campaign.sends_segment = create_segment(
            campaign.merchant, name=(_("Campaign %(name)s: sent") % {"name": campaign.name})[:80],
            clauses=[("campaign_run", {"campaign": campaign.pk})],
            description=_("Made by the campaign: the members each run's mass send gives the benefits to."))
        Campaign.objects.filter(pk=campaign.pk).update(sends_segment=campaign.sends_segment)
    return campaign.sends_segment


def _recipient(channel: str, member_id: int, phone: str, openid: str, alipay_id: str) -> str:
    if channel == Channel.SMS:
        return phone
    if channel in (Channel.WECHAT_TEMPLATE, Channel.WECHAT_SUBSCRIPTION):
        return openid
    if channel == Channel.ALIPAY:
        return alipay_id
    return str(member_id)


def _message(occurrence: Occurrence, treated: list[tuple[int, str, str, str, str, str]],
             now: datetime.datetime) -> int:
    """Each treated member with a channel gets the channel's text (the caps were reserved when they were drawn);
    return how many were written."""
    campaign = occurrence.campaign
    written = {message.channel: message for message in campaign.messages.select_related("campaign__merchant")}
    if not treated or not written:
        return 0
    fixed = messages.constants(campaign, occurrence.due_at)
    texts = {channel: messages.texts_for(message, fixed) for channel, message in written.items()}
    outbox = []
    for member_id, channel, name, phone, openid, alipay_id in treated:
        if channel not in texts:
            continue
        title, body = texts[channel].for_member(member_id, name)
        outbox.append((member_id, channel, _recipient(channel, member_id, phone, openid, alipay_id), title[:120], body))
    write_marketing_messages(campaign.merchant_id, outbox, link=fixed.link,
                             not_before=quiet_hours_end(campaign.merchant, now), now=now,
                             task_batch=MESSAGE_TASK_BATCH)
    return len(outbox)


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
    """Percent done: the members sent so far over those eligible when the run's mass send was opened."""
    if occurrence.status in (Occurrence.Status.COMPLETED, Occurrence.Status.CANCELLED):
        return 100
    if occurrence.issuance_id is None:
        return 0
    return min(99, int(100 * occurrence.eligible / max(occurrence.issuance.total, 1)))
