"""The card itself: the one lock helper, the points and experience ledgers, earning and taking back.

Every change locks the member's card row (select_for_update, pk order) and writes an append-only entry
in the same transaction; points live in expiry buckets spent first-expiring-first.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership import errors
from cards.membership.models import (
    ExperienceEntry,
    ExperienceReason,
    MembershipCard,
    MembershipProgram,
    PaymentEarning,
    PointsBucket,
    PointsEntry,
    PointsReason,
    RefundTakeBack,
)
from cards.membership.services.levels import (
    level_for,
    levels_of,
    points_expiry_date,
    program_for,
    upgrade_if_reached,
)
from cards.membership.services.pricing import MAX_POINTS, experience_for_payment, points_for_payment
from loyalty.errors import DomainError
from loyalty.money import ZERO, parse_amount
from merchants.models import Member


@dataclass(frozen=True)
class Earned:
    points: int
    experience: int


@dataclass(frozen=True)
class Shortfall:
    """Points a refund should have taken back but the member had already spent."""

    points: int


def _whole(value, *, code: str, field: str) -> int:
    """A positive whole number of points or experience, or a DomainError (never rounded)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > MAX_POINTS:
        raise DomainError(code, _("Enter a whole number greater than zero."), field=field)
    return value


def _open_card(member: Member) -> MembershipCard:
    """Open the member's card at the entry level with the programme's opening points, exactly once."""
    program = program_for(member.merchant_id)
    now = timezone.now()
    entry_level = level_for(levels_of(program), 0)
    try:
        with transaction.atomic():
            card = MembershipCard.objects.create(merchant_id=member.merchant_id, member=member, level=entry_level,
                                                 level_since=now if entry_level else None, created_at=now)
            if program is not None and program.opening_points:
                # The new row is invisible to everybody else until commit: as good as locked.
                _credit(card, program, program.opening_points, PointsReason.OPENING, now=now,
                        reference=f"opening:{member.pk}")
    except IntegrityError:
        return MembershipCard.objects.get(member=member)
    return card


def card_for(member: Member) -> MembershipCard:
    """The member's card, opened (entry level, opening points) on first use."""
    card = MembershipCard.objects.filter(member=member).first()
    return card if card is not None else _open_card(member)


def cards_for_update(*members: Member) -> list[MembershipCard]:
    """Lock the members' cards for the rest of the transaction, in pk order: the one lock every change takes."""
    wanted = {member.pk for member in members}

    def lock() -> list[MembershipCard]:
        return list(MembershipCard.objects.select_for_update().filter(member_id__in=wanted).order_by("pk"))

    cards = lock()
    if len(cards) < len(wanted):
        opened = {card.member_id for card in cards}
        for member in members:
            if member.pk not in opened:
                card_for(member)
        cards = lock()
    return cards


def _card_for_update(member: Member) -> MembershipCard:
    return cards_for_update(member)[0]


def _record(card: MembershipCard, delta: int, reason: str, *, bucket: PointsBucket | None = None,
            reference: str = "", note: str = "", store=None, staff=None, terminal=None,
            now: datetime.datetime | None = None) -> PointsEntry:
    """Move a locked card's points and write the ledger entry, in the caller's transaction."""
    card.points += delta
    card.save(update_fields=["points"])
    return PointsEntry.objects.create(
        merchant_id=card.merchant_id, card=card, delta=delta, balance_after=card.points, reason=reason,
        note=note[:200], reference=reference[:64], bucket=bucket, store=store, staff=staff, terminal=terminal,
        created_at=now or timezone.now())


def _credit(card: MembershipCard, program: MembershipProgram | None, points: int, reason: str, *,
            now: datetime.datetime, **who) -> PointsEntry:
    """Add points to the bucket of their expiry day (one bucket per expiry day)."""
    expires_on = points_expiry_date(program, timezone.localdate(now))
    bucket = PointsBucket.objects.filter(card=card, expires_on=expires_on).first()
    if bucket is None:
        bucket = PointsBucket.objects.create(merchant_id=card.merchant_id, card=card, expires_on=expires_on,
                                             earned=points, remaining=points, created_at=now)
    else:
        PointsBucket.objects.filter(pk=bucket.pk).update(earned=F("earned") + points,
                                                         remaining=F("remaining") + points)
    return _record(card, points, reason, bucket=bucket, now=now, **who)


def _live_buckets(card: MembershipCard, today: datetime.date):
    return (PointsBucket.objects.filter(card=card, remaining__gt=0)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today)))


def _draw(card: MembershipCard, points: int, today: datetime.date, *, newest_first: bool = False) -> None:
    """Take `points` from a locked card's live buckets, first-expiring first (or last, to undo an earning)."""
    order = ([F("expires_on").desc(nulls_first=True), "-pk"] if newest_first
             else [F("expires_on").asc(nulls_last=True), "pk"])
    for bucket in _live_buckets(card, today).order_by(*order):
        if points <= 0:
            break
        take = min(bucket.remaining, points)
        PointsBucket.objects.filter(pk=bucket.pk).update(remaining=F("remaining") - take)
        points -= take
    if points:
        raise DomainError(errors.POINTS_INSUFFICIENT, _("Not enough points."), field="points", status_code=409)


def expire_due_buckets(card: MembershipCard, now: datetime.datetime) -> int:
    """Expire what is left of a locked card's buckets past their day; returns the points expired."""
    today = timezone.localdate(now)
    expired = 0
    for bucket in PointsBucket.objects.filter(card=card, remaining__gt=0, expires_on__lt=today).order_by(
            "expires_on", "pk"):
        PointsBucket.objects.filter(pk=bucket.pk).update(remaining=0, expired=F("expired") + bucket.remaining)
        _record(card, -bucket.remaining, PointsReason.EXPIRED, bucket=bucket, reference=f"bucket:{bucket.pk}",
                note=str(bucket.expires_on), now=now)
        expired += bucket.remaining
    return expired


def grant_points(member: Member, points: int, *, reason: str, reference: str = "", staff=None, terminal=None,
                 store=None, note: str = "") -> PointsEntry:
    """Give a member points (earned, a gift, returned by a refund): they go in the bucket of their expiry day.

    Old buckets past their day are left to the spend or the hourly sweep: earning never needs them.
    """
    points = _whole(points, code=errors.POINTS_INVALID, field="points")
    now = timezone.now()
    with transaction.atomic():
        card = _card_for_update(member)
        return _credit(card, program_for(member.merchant_id), points, reason, now=now, reference=reference,
                       note=note, staff=staff, terminal=terminal, store=store)


def spend_points(member: Member, points: int, *, reason: str, reference: str = "", staff=None, terminal=None,
                 store=None, note: str = "") -> PointsEntry:
    """Use a member's points (a bill, a coupon): first earned, first spent; refused if short."""
    points = _whole(points, code=errors.POINTS_INVALID, field="points")
    now = timezone.now()
    with transaction.atomic():
        card = _card_for_update(member)
        expire_due_buckets(card, now)
        if card.points < points:
            raise DomainError(errors.POINTS_INSUFFICIENT,
                              _("Not enough points: %(points)d needed, %(available)d available.") % {
                                  "points": points, "available": card.points}, field="points", status_code=409)
        _draw(card, points, timezone.localdate(now))
        return _record(card, -points, reason, reference=reference, note=note, staff=staff, terminal=terminal,
                       store=store, now=now)


def _add_experience(card: MembershipCard, experience: int, spend: Decimal, reason: str, *,
                    now: datetime.datetime, **who) -> ExperienceEntry:
    card.experience += experience
    card.total_spend += spend
    card.save(update_fields=["experience", "total_spend"])
    return ExperienceEntry.objects.create(
        merchant_id=card.merchant_id, card=card, delta=experience, balance_after=card.experience, spend=spend,
        reason=reason, created_at=now, **who)


def grant_experience(member: Member, experience: int, *, reason: str, reference: str = "", staff=None,
                     terminal=None, store=None) -> ExperienceEntry:
    """Give a member experience (levels only); the level goes up at once when a threshold is crossed."""
    experience = _whole(experience, code=errors.EXPERIENCE_INVALID, field="experience")
    now = timezone.now()
    with transaction.atomic():
        card = _card_for_update(member)
        entry = _add_experience(card, experience, ZERO, reason, now=now, reference=reference[:64], staff=staff,
                                terminal=terminal, store=store)
        upgrade_if_reached(card, program_for(member.merchant_id), now)
        return entry


def adjust_points(member: Member, delta: int, *, reason_text: str, staff) -> PointsEntry:
    """A manual correction by staff (加减积分): the reason is required and kept on the entry."""
    reason_text = (reason_text or "").strip()
    if not reason_text:
        raise DomainError(errors.ADJUSTMENT_REASON_REQUIRED, _("Say why the points are adjusted."),
                          field="reason_text")
    if isinstance(delta, str) and delta.strip().lstrip("+-").isdigit():
        delta = int(delta.strip())
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_POINTS:
        raise DomainError(errors.POINTS_INVALID, _("Enter a whole number of points, not zero."), field="delta")
    change = grant_points if delta > 0 else spend_points
    return change(member, abs(delta), reason=PointsReason.ADJUSTMENT, reference="adjustment", staff=staff,
                  note=reason_text)


def earn_for_payment(member: Member, *, paid_amount, reference: str, store=None, terminal=None) -> Earned:
    """What a payment earns (points × the level multiplier, experience, spend), once per payment reference.

    The level goes up at once when the payment crosses a threshold.
    """
    if not reference:
        raise DomainError(errors.REFERENCE_REQUIRED, _("A payment reference is required."), field="reference")
    paid = parse_amount(paid_amount, field="paid_amount", allow_zero=True)
    now = timezone.now()
    with transaction.atomic():
        card = _card_for_update(member)
        done = PaymentEarning.objects.filter(card=card, reference=reference).first()
        if done is not None:
            return Earned(done.points, done.experience)
        program = program_for(member.merchant_id)
        levels = levels_of(program)
        level = next((level for level in levels if level.pk == card.level_id), None)
        if level is not None:
            card.level = level  # the one already loaded: no query for it
        points = points_for_payment(program, level, paid)
        experience = experience_for_payment(program, paid)
        PaymentEarning.objects.create(merchant_id=card.merchant_id, card=card, reference=reference,
                                      paid_amount=paid, points=points, experience=experience, created_at=now)
        who = {"reference": reference, "store": store, "terminal": terminal}
        if points:
            _credit(card, program, points, PointsReason.PAYMENT, now=now, **who)
        if experience or paid:
            _add_experience(card, experience, paid, ExperienceReason.PAYMENT, now=now, **who)
        upgrade_if_reached(card, program, now, levels=levels)
        return Earned(points, experience)


def take_back_for_refund(member: Member, *, points: int, experience: int, spend, reference: str, store=None,
                         terminal=None) -> Shortfall:
    """Take back what a refunded payment earned, once per refund reference.

    Points the member already spent cannot be taken: they are recorded as the shortfall, and the
    balance never goes below zero. The level is left alone (a re-evaluation may lower it).
    """
    if not reference:
        raise DomainError(errors.REFERENCE_REQUIRED, _("A refund reference is required."), field="reference")
    for value, field in ((points, "points"), (experience, "experience")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > MAX_POINTS:
            raise DomainError(errors.POINTS_INVALID, _("Enter a whole number of points."), field=field)
    spend = parse_amount(spend, field="spend", allow_zero=True)
    now = timezone.now()
    with transaction.atomic():
        card = _card_for_update(member)
        done = RefundTakeBack.objects.filter(card=card, reference=reference).first()
        if done is not None:
            return Shortfall(done.shortfall)
        expire_due_buckets(card, now)
        taken = min(points, card.points)
        who = {"reference": reference, "store": store, "terminal": terminal}
        if taken:
            _draw(card, taken, timezone.localdate(now), newest_first=True)
            _record(card, -taken, PointsReason.REFUND_TAKEN_BACK, now=now, **who)
        experience_taken = min(experience, card.experience)
        spend_taken = min(spend, card.total_spend)
        if experience_taken or spend_taken:
            _add_experience(card, -experience_taken, -spend_taken, ExperienceReason.REFUND_TAKEN_BACK, now=now,
                            **who)
        RefundTakeBack.objects.create(merchant_id=card.merchant_id, card=card, reference=reference, points=taken,
                                      experience=experience_taken, spend=spend_taken, shortfall=points - taken,
                                      created_at=now)
        return Shortfall(points - taken)
