"""Mass sends (投放): a coupon template and/or benefit lines to a segment, in set-based batches with a checkpoint.

Each batch is one transaction over a range of member ids: lock the job and the template, read the
batch's member ids, draw their codes from `secrets`, insert the coupons with one COPY (Postgres) or
one bulk insert (other databases), give each member the send's benefit lines through the benefits
registry (the code path of reward rules and join gifts), move the counters and the checkpoint, write
the members' messages. A killed worker loses at most its open transaction; the next run starts after
the checkpoint, and the unique constraints (template, mass send, member) on coupons and (mass send,
member) on deliveries make giving anybody anything twice impossible.
"""

from __future__ import annotations

import csv
import datetime
import io
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from coupons import codes, errors
from coupons.models import Coupon, CouponIssuance, CouponIssuanceBenefit, CouponTemplate, MassSendDelivery
from coupons.services.lifecycle import templates_for_update
from coupons.services.rules import validity_for
from loyalty import benefits
from loyalty.benefits import LineWithTarget, Occasion
from loyalty.errors import DomainError
from loyalty.models import OutboxMessage
from loyalty.segments import Clause, validate_clauses
from merchants.models import Member, Merchant
from merchants.models import Segment as SavedSegment
from merchants.services import members_in_segment, members_matching, normalize_phone
from merchants.services.marketing import (
    accepting_marketing,
    opt_out_token,
    opt_out_url_parts,
    quiet_hours_end,
    reserve_messages,
    write_marketing_messages,
)

BATCH_SIZE = 25000
# Draws of fresh codes for a batch before giving up (one clash is already a one-in-a-trillion event).
CODE_DRAWS = 5
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


def quick_clauses(segment: str, *, level_id: int | None = None, joined_from: datetime.date | None = None,
                  joined_until: datetime.date | None = None, inactive_days: int | None = None,
                  tag_id: int | None = None, phones: list[str] | None = None) -> list[tuple[str, dict]]:
    """A quick segment of the mass-send form as the one segment-filter clause it stands for.

    The codes are those of the registered filters (coupons may not import checkout, whose filter says
    what "inactive" means: no payment in N days); "all" is no clause at all.
    """
    def iso(day: datetime.date | None) -> str | None:
        return day.isoformat() if day else None

    def text(pk: int | None) -> str | None:
        return str(pk) if pk is not None else None

    clause = {
        Segment.LEVEL: ("level", {"level": text(level_id)}),
        Segment.JOINED_BETWEEN: ("joined_between", {"joined_from": iso(joined_from),
                                                    "joined_until": iso(joined_until)}),
        Segment.BIRTHDAY_MONTH: ("birthday_month", {}),
        Segment.INACTIVE: ("inactive", {"days": inactive_days}),
        Segment.TAG: ("tag", {"tag": text(tag_id)}),
        Segment.PHONES: ("phones", {"phones": list(phones or [])}),
    }.get(segment)
    return [clause] if clause else []


def validate_segment(owner, *, segment: str, level=None,
                     joined_from: datetime.date | None = None, joined_until: datetime.date | None = None,
                     inactive_days: int | None = None, tag=None, phones: list[str] | None = None,
                     saved_segment: SavedSegment | None = None) -> None:
    """Refuse a segment that is incomplete or names another merchant's level, tag or saved segment.

    `owner` is the send's merchant, or anything of it (its coupon template).
    """
    merchant_id = getattr(owner, "merchant_id", None) or owner.pk
    if segment not in Segment.values:
        raise DomainError(errors.SEGMENT_INVALID, _("Choose a segment."), field="segment")
    if segment == Segment.SAVED:
        if saved_segment is None or saved_segment.merchant_id != merchant_id:
            raise DomainError(errors.SEGMENT_INVALID, _("Choose one of your saved segments."), field="saved_segment")
        return
    clauses = quick_clauses(segment, level_id=level.pk if level else None, joined_from=joined_from,
                            joined_until=joined_until, inactive_days=inactive_days, tag_id=tag.pk if tag else None,
                            phones=phones)
    try:
        validate_clauses(clauses, merchant_id=merchant_id)
    except DomainError as refused:
        raise DomainError(errors.SEGMENT_INVALID, refused.message, field="segment") from refused


def empty_send_message() -> str:
    return _("Choose a coupon template or add at least one benefit to give.")


def validate_lines(merchant_id: int, lines: list[CouponIssuanceBenefit]) -> None:
    """Refuse a line of an unknown kind, or one this merchant may not give (another merchant's card)."""
    for line in lines:
        benefits.kind_of(line.kind)
    for line, target in benefits.with_targets(lines):
        line.benefit.validate(merchant_id=merchant_id, quantity=line.quantity, amount=line.amount, target=target)


@transaction.atomic
def create_issuance(template: CouponTemplate | None = None, *, merchant: Merchant | None = None,
                    lines: list[CouponIssuanceBenefit] | None = None, segment: str = Segment.ALL, created_by=None,
                    notify_members: bool = True, level=None, joined_from: datetime.date | None = None,
                    joined_until: datetime.date | None = None, inactive_days: int | None = None, tag=None,
                    phones: list[str] | None = None, saved_segment: SavedSegment | None = None,
                    start: bool = True) -> CouponIssuance:
    """Plan a mass send of `template`, of benefit `lines` (unsaved `CouponIssuanceBenefit`s), or of both,
    and start its job once the caller's transaction commits. A send of neither is refused."""
    lines = list(lines or [])
    merchant_id = template.merchant_id if template is not None else getattr(merchant, "pk", None)
    if template is None and not lines or merchant_id is None:
        raise DomainError(errors.ISSUANCE_EMPTY, empty_send_message(), field="template")
    if merchant is not None and merchant.pk != merchant_id:
        raise DomainError(errors.COUPON_WRONG_MERCHANT, _("That template belongs to another merchant."),
                          field="template")
    if saved_segment is not None and segment == Segment.ALL:
        segment = Segment.SAVED
    if segment != Segment.SAVED:
        saved_segment = None
    validate_segment(template or merchant, segment=segment, level=level, joined_from=joined_from,
                     joined_until=joined_until, inactive_days=inactive_days, tag=tag, phones=phones,
                     saved_segment=saved_segment)
    validate_lines(merchant_id, lines)
    issuance = CouponIssuance.objects.create(
        merchant_id=merchant_id, template=template, segment=segment, saved_segment=saved_segment,
        level=level, joined_from=joined_from, joined_until=joined_until, inactive_days=inactive_days, tag=tag,
        phones=list(phones or []), notify_members=notify_members, created_by=created_by, has_benefits=bool(lines))
    for position, line in enumerate(lines):
        line.pk, line.merchant_id, line.issuance = None, merchant_id, issuance
        line.position = line.position or position
    CouponIssuanceBenefit.objects.bulk_create(lines)
    if start:
        _start_later(issuance)
    return issuance


def _start_later(issuance: CouponIssuance) -> None:
    from coupons.tasks import run_issuance_task

    transaction.on_commit(lambda: run_issuance_task.delay(issuance.pk))


def segment_members(issuance: CouponIssuance):
    """The members a mass send is for, as a queryset (its SQL is embedded in the batch insert).

    Every segment goes through the segment filters, evaluated at the time the send was created: "this
    month" and "N days" mean the same people when a killed job resumes days later.
    """
    at = issuance.created_at
    if issuance.segment == Segment.SAVED:
        return members_in_segment(issuance.saved_segment, at=at)
    # The parameters were validated when the send was planned; they are only put in their stored form.
    clauses = [Clause(code, params) for code, params in quick_clauses(
        issuance.segment, level_id=issuance.level_id, joined_from=issuance.joined_from,
        joined_until=issuance.joined_until, inactive_days=issuance.inactive_days, tag_id=issuance.tag_id,
        phones=issuance.phones)]
    return members_matching(issuance.merchant_id, clauses, at=at)


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
    """Give the next range of members the send; return True when the job has nothing more to do."""
    issuance = CouponIssuance.objects.select_for_update().get(pk=issuance_id)
    if issuance.status != CouponIssuance.Status.RUNNING:
        return True
    template = templates_for_update(issuance.template)[0] if issuance.template_id else None
    ids = _member_ids(segment_members(issuance).filter(pk__gt=issuance.last_member_id).order_by("pk")
                      .values_list("pk")[:batch_size])
    if not ids:
        _finish(issuance)
        return True
    return _give(issuance, template, ids).stopped


@dataclass(frozen=True)
class Given:
    """What one batch gave: the members who got the coupon, those who got something of the lines, and whether
    the send stopped (its coupon can no longer be given, or it is no longer running)."""

    coupons: list[int]
    lines: list[int]
    stopped: bool


def open_issuance(issuance: CouponIssuance, *, total: int) -> None:
    """Start a send whose caller chooses each batch's members itself (`give_to_members`)."""
    now = timezone.now()
    CouponIssuance.objects.filter(pk=issuance.pk, status=CouponIssuance.Status.PENDING).update(
        status=CouponIssuance.Status.RUNNING, total=total, started_at=now, updated_at=now)


def give_to_members(issuance_id: int, member_ids: list[int]) -> Given:
    """One batch of a send to members the caller chose, in the caller's transaction (it must hold one).

    A campaign run picks its members, records their deliveries, gives and texts them in one transaction a batch:
    the send is the same engine (its locks, codes, limits, stock, benefit lines, counters and checkpoint), only
    fed the batch instead of reading its segment. `member_ids` ascending and above the send's checkpoint.
    """
    issuance = CouponIssuance.objects.select_for_update().get(pk=issuance_id)
    if issuance.status != CouponIssuance.Status.RUNNING:
        return Given([], [], stopped=True)
    template = templates_for_update(issuance.template)[0] if issuance.template_id else None
    if not member_ids:
        return Given([], [], stopped=False)
    return _give(issuance, template, member_ids)


def finish_issuance(issuance_id: int) -> None:
    """The caller has no more members for the send: it is complete (its total is what it processed)."""
    now = timezone.now()
    CouponIssuance.objects.filter(pk=issuance_id, status=CouponIssuance.Status.RUNNING).update(
        status=CouponIssuance.Status.COMPLETED, total=F("processed"), finished_at=now, updated_at=now)


def _give(issuance: CouponIssuance, template: CouponTemplate | None, ids: list[int]) -> Given:
    """Give the batch `ids` the send, under the job's and template's locks; move the counters and the checkpoint.

    A send with a coupon stops when its coupon can no longer be given (not active, out of stock, validity
    ended), lines or not; every member a batch processes gets the lines, also one the coupon skipped (at its
    limit, or past the stock in the batch where it ran out).
    """
    given, valid_until = [], None
    if template is not None:
        if template.status != CouponTemplate.Status.ACTIVE:
            _finish(issuance, _("the coupon template is not active"))
            return Given([], [], stopped=True)
        remaining = template.remaining
        if remaining == 0:
            _finish(issuance, _("the stock ran out"))
            return Given([], [], stopped=True)
        valid_from, valid_until = validity_for(template, issuance.started_at or timezone.now())
        if valid_until <= timezone.now():
            _finish(issuance, _("the coupon's validity has ended"))
            return Given([], [], stopped=True)
        given = _insert_batch(issuance, template, ids, remaining, valid_from, valid_until)
    high = ids[-1]
    issued = len(given)
    lines = _lines(issuance) if issuance.has_benefits else []
    delivered = _give_lines(issuance, lines, ids) if lines else []
    now = timezone.now()
    if issued:
        CouponTemplate.objects.filter(pk=template.pk).update(issued_count=F("issued_count") + issued)
    counters = {"processed": F("processed") + len(ids), "issued": F("issued") + issued, "last_member_id": high,
                "updated_at": now}
    if delivered:
        counters["benefits_given"] = F("benefits_given") + len(delivered)
    CouponIssuance.objects.filter(pk=issuance.pk).update(**counters)
    if issuance.notify_members and not lines and given:
        _queue_arrival_messages(issuance, arrival_message(issuance, template, valid_until), given)
    elif issuance.notify_members and delivered:
        with_coupon = set(given)
        both = [member_id for member_id in delivered if member_id in with_coupon]
        only_lines = [member_id for member_id in delivered if member_id not in with_coupon]
        if both:
            _queue_arrival_messages(issuance, arrival_message(issuance, template, valid_until, lines), both)
        if only_lines:
            _queue_arrival_messages(issuance, arrival_message(issuance, None, None, lines), only_lines)
    return Given(given, delivered, stopped=False)


def _lines(issuance: CouponIssuance) -> list[LineWithTarget]:
    return benefits.with_targets(issuance.benefits.order_by("position", "pk"))


def _give_lines(issuance: CouponIssuance, lines: list[LineWithTarget], member_ids: list[int]) -> list[int]:
    """Give every member of the batch not yet given them the send's lines, and record that they were (a unique
    row per send and member, in the batch's transaction); return the members who got something now.

    The lines go through `loyalty.benefits.give_lines`, as a reward rule's or the join gift's do; coupons
    know no card, and a kind that cannot give one member (a holding limit) gives nothing and the send goes on.
    """
    done = set(MassSendDelivery.objects.filter(issuance=issuance, member_id__in=member_ids)
               .values_list("member_id", flat=True))
    members = Member.objects.filter(pk__in=[pk for pk in member_ids if pk not in done]).order_by("pk")
    deliveries = []
    for member in members:
        given = benefits.give_lines(lines, member, occasion=Occasion.MASS_SEND,
                                    reference=f"send:{issuance.pk}:{member.pk}")
        deliveries.append(MassSendDelivery(merchant_id=issuance.merchant_id, issuance=issuance, member=member,
                                           given=benefits.as_records(given)))
    MassSendDelivery.objects.bulk_create(deliveries)
    return [delivery.member_id for delivery in deliveries
            if any(record["quantity"] or Decimal(record["amount"]) for record in delivery.given)]


def _member_ids(query) -> list[int]:
    """The ids a query selects, read straight from the cursor (the ORM's rows cost more than the query)."""
    return [row[0] for row in _rows(query)]


def _rows(query) -> list[tuple]:
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _under_the_limit(issuance: CouponIssuance, template: CouponTemplate, member_ids: list[int]) -> list[int]:
    """The members of the batch who may get one more coupon of the template (the per-member limit).

    When every coupon of the template so far came from this send (both counters are read under their
    row locks), nobody in a batch not yet done can hold one, and the query is skipped.
    """
    if not template.per_member_limit or template.issued_count == issuance.issued:
        return member_ids
    held = dict(Coupon.objects.filter(template=template, member_id__in=member_ids)
                .exclude(source=Coupon.Source.GIFT).order_by().values("member_id")
                .annotate(n=Count("pk")).values_list("member_id", "n"))
    return [member_id for member_id in member_ids if held.get(member_id, 0) < template.per_member_limit]


def _insert_batch(issuance: CouponIssuance, template: CouponTemplate, member_ids: list[int], remaining: int | None,
                  valid_from: datetime.datetime, valid_until: datetime.datetime) -> list[int]:
    """Give one coupon to each member of the batch under the limit, lowest ids first while stock lasts;
    return the members who got one.

    Codes are drawn in Python from `secrets`, all at once. A code that is already taken (about once
    in 2**40 coupons with a million coupons in the merchant) fails the statement on the unique
    index, and the batch is inserted again in a fresh savepoint with new codes.
    """
    member_ids = _under_the_limit(issuance, template, member_ids)
    if remaining is not None:
        member_ids = member_ids[:remaining]
    if not member_ids:
        return []
    fission = template.is_fission
    rows = {"merchant_id": issuance.merchant_id, "template_id": template.pk, "issuance_id": issuance.pk,
            "state": Coupon.State.LOCKED if fission else Coupon.State.AVAILABLE, "source": Coupon.Source.MASS_SEND,
            "issued_at": timezone.now(), "valid_from": valid_from, "valid_until": valid_until}
    insert = _insert_postgres if connection.vendor == "postgresql" else _insert_generic
    for attempt in range(CODE_DRAWS):
        drawn = codes.new_codes(len(member_ids))
        tokens = [secrets.token_urlsafe(12) for _member in member_ids] if fission else None
        try:
            with transaction.atomic():
                insert(rows, member_ids, drawn, tokens)
            return member_ids
        except IntegrityError:
            if attempt == CODE_DRAWS - 1:
                raise
    return []


def _insert_postgres(rows: dict, member_ids: list[int], drawn: list[str], tokens: list[str] | None) -> None:
    """One COPY a batch: Postgres then writes the table a page at a time instead of a row at a time.

    Every value is a number, a timestamp or a word from a fixed alphabet (codes, tokens, choices), so
    none needs escaping in COPY's text format.
    """
    fixed = "\t".join(value.isoformat() if isinstance(value, datetime.datetime) else str(value)
                       for value in rows.values())
    shares = tokens or [r"\N"] * len(member_ids)
    body = "".join(f"{fixed}\t{member_id}\t{code}\t{share}\n"
                   for member_id, code, share in zip(member_ids, drawn, shares, strict=True))
    columns = ", ".join([*rows, "member_id", "code", "share_token"])
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.cursor.copy_expert(f"COPY coupons_coupon ({columns}) FROM STDIN", io.StringIO(body))


def _insert_generic(rows: dict, member_ids: list[int], drawn: list[str], tokens: list[str] | None) -> None:
    """The same batch for other databases (SQLite in development): a bulk insert."""
    Coupon.objects.bulk_create([
        Coupon(member_id=member_id, code=code, share_token=tokens[i] if tokens else None, **rows)
        for i, (member_id, code) in enumerate(zip(member_ids, drawn, strict=True))
    ], batch_size=2000)


def arrival_message(issuance: CouponIssuance, template: CouponTemplate | None,
                    valid_until: datetime.datetime | None, lines: list[LineWithTarget] = ()) -> str:
    """The text a member gets: the coupon, and what each benefit line gave in its kind's own words."""
    # Texts go out in the platform's language (members have no language of their own yet).
    with translation.override(settings.LANGUAGE_CODE):
        signature = issuance.merchant.signature
        if not lines:
            return _("[%(signature)s] A coupon for you: %(name)s, valid until %(date)s. See it on your member "
                     "page.") % {"signature": signature, "name": template.name,
                                 "date": timezone.localtime(valid_until).strftime("%Y-%m-%d")}
        given = benefits.describe_lines(lines)
        if template is not None:
            given.insert(0, _("%(name)s (valid until %(date)s)") % {
                "name": template.name, "date": timezone.localtime(valid_until).strftime("%Y-%m-%d")})
        return _("[%(signature)s] For you: %(given)s. See it on your member page.") % {
            "signature": signature, "given": _(", ").join(given)}


def _queue_arrival_messages(issuance, body: str, member_ids: list[int]) -> None:
    """The notice, a marketing SMS, to each member given something in this batch who accepts marketing and is
    under the merchant's SMS cap (reserved now, in the batch's transaction): written set-based with the member's
    opt-out link, held for quiet hours, delivered by a task per 500.

    Each names its member, so it is also in the member's inbox on the member pages (a copy of what was texted).
    """
    now = timezone.now()
    merchant = issuance.merchant
    phones = dict(_rows(accepting_marketing(Member.objects.filter(pk__in=member_ids)).values_list("pk", "phone")))
    passed = reserve_messages(merchant, channel=OutboxMessage.Channel.SMS, member_ids=list(phones), at=now)
    # The link sits where the marker is, so a translated text places it (and a "%" in a name is only text).
    before, _marker, after = (_("%(text)s Opt out: %(link)s") % {"text": body, "link": "\x00"}).partition("\x00")
    prefix, suffix = opt_out_url_parts()
    rows = [(member_id, OutboxMessage.Channel.SMS, phones[member_id], "",
             f"{before}{prefix}{opt_out_token(member_id)}{suffix}{after}") for member_id in passed]
    write_marketing_messages(issuance.merchant_id, rows, not_before=quiet_hours_end(merchant, now), now=now,
                             task_batch=MESSAGE_TASK_BATCH)
