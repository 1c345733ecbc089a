"""Mass sends (投放): one template to a segment of members, in set-based batches with a checkpoint.

Each batch is one transaction over a range of member ids: lock the job and the template, insert the
coupons with one `INSERT ... SELECT` that makes the codes in the database (Postgres) or one bulk
insert (other databases), move the counters and the checkpoint, write the members' messages. A
killed worker loses at most its open transaction; the next run starts after the checkpoint, and the
unique constraint (mass send, member) makes issuing anybody twice impossible.
"""

from __future__ import annotations

import csv
import datetime
import io
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from coupons import codes, errors
from coupons.models import Coupon, CouponIssuance, CouponTemplate
from coupons.services.lifecycle import templates_for_update
from coupons.services.rules import validity_for
from loyalty.errors import DomainError
from loyalty.models import OutboxMessage
from merchants.models import Member
from merchants.services import normalize_phone

BATCH_SIZE = 25000
MESSAGE_TASK_BATCH = 500
Segment = CouponIssuance.Segment


def parse_phone_list(content: str | bytes) -> list[str]:
    """Phones from an uploaded CSV: the first column of each row; headers and bad lines are skipped."""
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig", errors="replace")
    phones = []
    for row in csv.reader(io.StringIO(content)):
        if not row:
            continue
        try:
            phones.append(normalize_phone(row[0]))
        except DomainError:
            continue
    return sorted(set(phones))


def validate_segment(template: CouponTemplate, *, segment: str, level=None,
                     joined_from: datetime.date | None = None, joined_until: datetime.date | None = None,
                     inactive_days: int | None = None, tag=None, phones: list[str] | None = None) -> None:
    """Refuse a segment that is incomplete or names another merchant's level or tag."""
    merchant_id = template.merchant_id
    problem = None
    if segment not in Segment.values:
        problem = _("Choose a segment.")
    elif segment == Segment.LEVEL and (level is None or level.merchant_id != merchant_id):
        problem = _("Choose one of your levels.")
    elif segment == Segment.TAG and (tag is None or tag.merchant_id != merchant_id):
        problem = _("Choose one of your tags.")
    elif segment == Segment.JOINED_BETWEEN and (not joined_from or not joined_until or joined_until < joined_from):
        problem = _("Give the first and last day of joining.")
    elif segment == Segment.INACTIVE and not inactive_days:
        problem = _("Give the number of days.")
    elif segment == Segment.PHONES and not phones:
        problem = _("The list holds no valid phone number.")
    if problem:
        raise DomainError(errors.SEGMENT_INVALID, problem, field="segment")


def create_issuance(template: CouponTemplate, *, segment: str = Segment.ALL, created_by=None,
                    notify_members: bool = True, level=None, joined_from: datetime.date | None = None,
                    joined_until: datetime.date | None = None, inactive_days: int | None = None, tag=None,
                    phones: list[str] | None = None, start: bool = True) -> CouponIssuance:
    """Plan a mass send and start its job once the caller's transaction commits."""
    validate_segment(template, segment=segment, level=level, joined_from=joined_from, joined_until=joined_until,
                     inactive_days=inactive_days, tag=tag, phones=phones)
    issuance = CouponIssuance.objects.create(
        merchant_id=template.merchant_id, template=template, segment=segment, level=level, joined_from=joined_from,
        joined_until=joined_until, inactive_days=inactive_days, tag=tag, phones=list(phones or []),
        notify_members=notify_members, created_by=created_by)
    if start:
        _start_later(issuance)
    return issuance


def _start_later(issuance: CouponIssuance) -> None:
    from coupons.tasks import run_issuance_task

    transaction.on_commit(lambda: run_issuance_task.delay(issuance.pk))


def segment_members(issuance: CouponIssuance):
    """The members a mass send is for, as a queryset (its SQL is embedded in the batch insert)."""
    members = Member.objects.filter(merchant_id=issuance.merchant_id, status=Member.Status.ACTIVE)
    segment = issuance.segment
    tz = timezone.get_current_timezone()
    if segment == Segment.LEVEL:
        members = members.filter(membership_card__level_id=issuance.level_id)
    elif segment == Segment.JOINED_BETWEEN:
        start = datetime.datetime.combine(issuance.joined_from, datetime.time.min, tzinfo=tz)
        end = datetime.datetime.combine(issuance.joined_until + datetime.timedelta(days=1), datetime.time.min,
                                        tzinfo=tz)
        members = members.filter(joined_at__gte=start, joined_at__lt=end)
    elif segment == Segment.BIRTHDAY_MONTH:
        # "This month" is the month the send was created in, so a resumed job targets the same people.
        members = members.filter(birthday__month=timezone.localtime(issuance.created_at).month)
    elif segment == Segment.INACTIVE:
        cutoff = issuance.created_at - datetime.timedelta(days=issuance.inactive_days or 0)
        members = members.filter(Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True, joined_at__lt=cutoff))
    elif segment == Segment.TAG:
        members = members.filter(tags=issuance.tag_id)
    elif segment == Segment.PHONES:
        members = members.filter(phone__in=issuance.phones)
    return members


@transaction.atomic
def cancel_issuance(issuance: CouponIssuance) -> bool:
    """Stop a mass send after the batch under way; what was issued stays issued."""
    now = timezone.now()
    changed = CouponIssuance.objects.filter(
        pk=issuance.pk, status__in=[CouponIssuance.Status.PENDING, CouponIssuance.Status.RUNNING],
    ).update(status=CouponIssuance.Status.CANCELLED, finished_at=now, updated_at=now,
             stopped_reason=_("cancelled by staff"))
    return bool(changed)


def resume_issuance(issuance: CouponIssuance) -> None:
    """Start the job again after a worker died: it continues after its checkpoint."""
    if issuance.status not in (CouponIssuance.Status.PENDING, CouponIssuance.Status.RUNNING):
        raise DomainError(errors.ISSUANCE_NOT_RUNNABLE, _("This mass send has finished."), field="status",
                          status_code=409)
    _start_later(issuance)


def run_issuance(issuance_id: int, *, batch_size: int = BATCH_SIZE, throttle_seconds: float = 0.0,
                 max_batches: int | None = None) -> CouponIssuance:
    """Work through the segment batch by batch until done, cancelled, out of stock or `max_batches` run.

    Safe to call any number of times, also concurrently: each batch locks the job row and starts at
    the checkpoint it finds there.
    """
    now = timezone.now()
    issuance = CouponIssuance.objects.get(pk=issuance_id)
    if issuance.status == CouponIssuance.Status.PENDING:
        total = segment_members(issuance).count()
        CouponIssuance.objects.filter(pk=issuance_id, status=CouponIssuance.Status.PENDING).update(
            status=CouponIssuance.Status.RUNNING, total=total, started_at=now, updated_at=now)
    batches = 0
    while max_batches is None or batches < max_batches:
        if _run_batch(issuance_id, batch_size):
            break
        batches += 1
        if throttle_seconds:
            time.sleep(throttle_seconds)
    return CouponIssuance.objects.get(pk=issuance_id)


def _finish(issuance: CouponIssuance, reason: str = "") -> None:
    now = timezone.now()
    CouponIssuance.objects.filter(pk=issuance.pk).update(status=CouponIssuance.Status.COMPLETED, finished_at=now,
                                                         updated_at=now, stopped_reason=reason)


@transaction.atomic
def _run_batch(issuance_id: int, batch_size: int) -> bool:
    """Issue to the next range of members; return True when the job has nothing more to do."""
    issuance = CouponIssuance.objects.select_for_update().get(pk=issuance_id)
    if issuance.status != CouponIssuance.Status.RUNNING:
        return True
    [template] = templates_for_update(issuance.template)
    ids = list(segment_members(issuance).filter(pk__gt=issuance.last_member_id).order_by("pk")
               .values_list("pk", flat=True)[:batch_size])
    if not ids:
        _finish(issuance)
        return True
    if template.status != CouponTemplate.Status.ACTIVE:
        _finish(issuance, _("the coupon template is not active"))
        return True
    remaining = template.remaining
    if remaining == 0:
        _finish(issuance, _("the stock ran out"))
        return True
    low, high = issuance.last_member_id, ids[-1]
    valid_from, valid_until = validity_for(template, issuance.started_at or timezone.now())
    if valid_until <= timezone.now():
        _finish(issuance, _("the coupon's validity has ended"))
        return True
    insert = _insert_postgres if connection.vendor == "postgresql" else _insert_generic
    issued = insert(issuance, template, low, high, remaining, valid_from, valid_until)
    now = timezone.now()
    if issued:
        CouponTemplate.objects.filter(pk=template.pk).update(issued_count=F("issued_count") + issued)
    CouponIssuance.objects.filter(pk=issuance.pk).update(
        processed=F("processed") + len(ids), issued=F("issued") + issued, last_member_id=high, updated_at=now)
    if issued and issuance.notify_members:
        _queue_arrival_messages(issuance, template, low, high, valid_until)
    return False


def _candidates(issuance: CouponIssuance, template: CouponTemplate, low: int, high: int):
    """Members of the range who have no coupon from this send and are under the per-member limit."""
    members = segment_members(issuance).filter(pk__gt=low, pk__lte=high).exclude(coupons__issuance=issuance)
    if template.per_member_limit:
        members = members.annotate(held=Count("coupons", filter=Q(coupons__template=template) &
                                                   ~Q(coupons__source=Coupon.Source.GIFT))
                                   ).filter(held__lt=template.per_member_limit)
    return members


def _insert_postgres(issuance, template, low, high, remaining, valid_from, valid_until) -> int:
    """One INSERT ... SELECT per pass; codes are 60 bits from pgcrypto's CSPRNG, encoded in the database.

    The random number is drawn in the materialised candidates CTE, once per row, so the encoding
    function (pure SQL) is inlined instead of being called per row, which is three times faster.

    ON CONFLICT DO NOTHING absorbs a code clash (about 1 in 2**40 per coupon at a million coupons);
    the members it skipped are picked up by the next pass over the same range.
    """
    segment_sql, segment_params = (segment_members(issuance).filter(pk__gt=low, pk__lte=high).order_by()
                                   .values("pk").query.sql_with_params())
    limit_sql, limit_params = "", []
    # When every coupon of the template so far came from this send (both counters are read under
    # their row locks), nobody in a range not yet done can hold one, and the check per member is skipped.
    if template.per_member_limit and template.issued_count != issuance.issued:
        limit_sql = ("AND (SELECT count(*) FROM coupons_coupon h WHERE h.template_id = %s AND h.member_id = m.id "
                     "AND h.source <> %s) < %s")
        limit_params = [template.pk, Coupon.Source.GIFT, template.per_member_limit]
    fission = template.is_fission
    state = Coupon.State.LOCKED if fission else Coupon.State.AVAILABLE
    with connection.cursor() as cursor:
        # The planner's estimates for this statement are large enough to switch JIT compilation on,
        # which costs more per batch (a third of a second) than it could ever save here.
        cursor.execute("SET LOCAL jit = off")
    total = 0
    for attempt in range(5):
        room = None if remaining is None else remaining - total
        if room == 0:
            break
        # Only a second pass over the range can meet coupons of this send (the first pass's).
        done_sql = ("AND NOT EXISTS (SELECT 1 FROM coupons_coupon c WHERE c.issuance_id = %s AND c.member_id = m.id)"
                    if attempt else "")
        sql = f"""
            WITH candidates AS (
                SELECT m.id, {codes.POSTGRES_RANDOM_60_BITS} AS v FROM merchants_member m
                WHERE m.id > %s AND m.id <= %s AND m.id IN ({segment_sql})
                  {done_sql}
                  {limit_sql}
                ORDER BY m.id {"LIMIT %s" if room is not None else ""}
            ), inserted AS (
                INSERT INTO coupons_coupon (merchant_id, template_id, member_id, code, state, source, issuance_id,
                                            issued_at, valid_from, valid_until, share_token)
                SELECT %s, %s, id, coupons_encode_code(v), %s, %s, %s, %s, %s, %s,
                       CASE WHEN %s THEN translate(encode(gen_random_bytes(12), 'base64'), '+/', '-_') END
                FROM candidates
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM candidates), (SELECT count(*) FROM inserted)
        """
        params = [low, high, *segment_params, *([issuance.pk] if attempt else []), *limit_params,
                  *([room] if room is not None else []),
                  issuance.merchant_id, template.pk, state, Coupon.Source.MASS_SEND, issuance.pk, timezone.now(),
                  valid_from, valid_until, fission]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            wanted, inserted = cursor.fetchone()
        total += inserted
        if inserted == wanted:
            break
    return total


def _insert_generic(issuance, template, low, high, remaining, valid_from, valid_until) -> int:
    """The same batch for databases without pgcrypto: codes from Python's `secrets`, one bulk insert a pass."""
    fission = template.is_fission
    total = 0
    for _pass in range(5):
        room = None if remaining is None else remaining - total
        if room == 0:
            break
        member_ids = list(_candidates(issuance, template, low, high).order_by("pk").values_list("pk", flat=True))
        if room is not None:
            member_ids = member_ids[:room]
        if not member_ids:
            break
        now = timezone.now()
        before = Coupon.objects.filter(issuance=issuance, member_id__gt=low, member_id__lte=high).count()
        Coupon.objects.bulk_create([
            Coupon(merchant_id=issuance.merchant_id, template=template, member_id=member_id, code=codes.new_code(),
                   state=Coupon.State.LOCKED if fission else Coupon.State.AVAILABLE,
                   source=Coupon.Source.MASS_SEND, issuance=issuance, issued_at=now, valid_from=valid_from,
                   valid_until=valid_until, share_token=codes.new_code() if fission else None)
            for member_id in member_ids
        ], batch_size=2000, ignore_conflicts=True)
        inserted = Coupon.objects.filter(issuance=issuance, member_id__gt=low, member_id__lte=high).count() - before
        total += inserted
        if inserted == len(member_ids):
            break
    return total


def arrival_message(issuance: CouponIssuance, template: CouponTemplate, valid_until: datetime.datetime) -> str:
    # Texts go out in the platform's language (members have no language of their own yet).
    with translation.override(settings.LANGUAGE_CODE):
        return _("[%(signature)s] A coupon for you: %(name)s, valid until %(date)s. See it on your member page.") % {
            "signature": issuance.merchant.signature, "name": template.name,
            "date": timezone.localtime(valid_until).strftime("%Y-%m-%d")}


def _queue_arrival_messages(issuance, template, low, high, valid_until) -> None:
    """One SMS per member who got a coupon in this batch: written set-based, delivered in batches of tasks."""
    body = arrival_message(issuance, template, valid_until)
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO loyalty_outboxmessage (merchant_id, channel, kind, recipient, body, status, attempts,
                                                   provider_reference, error, created_at)
                SELECT %s, %s, %s, m.phone, %s, %s, 0, '', '', %s
                FROM coupons_coupon c JOIN merchants_member m ON m.id = c.member_id
                WHERE c.issuance_id = %s AND c.member_id > %s AND c.member_id <= %s
                RETURNING id
            """, [issuance.merchant_id, OutboxMessage.Channel.SMS, OutboxMessage.Kind.MARKETING, body,
                  OutboxMessage.Status.QUEUED, now, issuance.pk, low, high])
            ids = [row[0] for row in cursor.fetchall()]
        from loyalty.tasks import deliver_outbox_messages

        for start in range(0, len(ids), MESSAGE_TASK_BATCH):
            batch = ids[start:start + MESSAGE_TASK_BATCH]
            transaction.on_commit(lambda batch=batch: deliver_outbox_messages.delay(batch))
        return
    from loyalty.messaging import queue_messages

    phones = (Coupon.objects.filter(issuance=issuance, member_id__gt=low, member_id__lte=high)
              .values_list("member__phone", flat=True))
    queue_messages((OutboxMessage(merchant_id=issuance.merchant_id, recipient=phone, body=body,
                                  kind=OutboxMessage.Kind.MARKETING) for phone in phones),
                   batch_size=MESSAGE_TASK_BATCH)
