"""The card itself: the one lock helper, the points and experience ledgers, earning and taking back.

Every change locks the member's card row (select_for_update, pk order) and writes an append-only entry
in the same transaction; points live in expiry buckets spent first-expiring-first.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership import errors
from cards.membership.models import (
    ExperienceEntry,
    ExperienceReason,
    Level,
    MembershipCard,
    MembershipProgram,
    PaymentEarning,
    PointsBucket,
    PointsEntry,
    PointsReason,
    RefundTakeBack,
)
from cards.membership.services.levels import (
    LEVEL_FIELDS,
    level_for,
    levels_of,
    points_expiry_date,
    program_for,
    upgrade_if_reached,
)
from cards.membership.services.pricing import MAX_POINTS, experience_for_payment, points_for_payment
from loyalty import writes
from loyalty.compiled import CompiledRead
from loyalty.errors import DomainError
from loyalty.ledgers import (
    MemberAccount,
    Move,
    draw_lots,
    lock_rows,
    locking,
    lots_covering,
    move_lots,
    post_entries,
    take_back,
)
from loyalty.money import ZERO, parse_amount
from merchants.models import Member


@dataclass(frozen=True)
class Earned:
    points: int
    experience: int


@dataclass
class _HeldWrites:
    """A spend and an earning on one locked card, written together (checkout's `pay`): the card's buckets are
    read once, its points entries go in one INSERT and the card itself in one UPDATE."""

    buckets: list[PointsBucket]
    entries: list[PointsEntry] = dataclasses.field(default_factory=list)
    card_fields: list[str] = dataclasses.field(default_factory=list)
    bucket_moves: dict[int, dict[str, int]] = dataclasses.field(default_factory=dict)  # one UPDATE: move_lots


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


# A payment locks its member's card: compiled once (loyalty.compiled).
_one_card_locked = CompiledRead(lambda member_id: locking(MembershipCard.objects.filter(member_id=member_id)), int)


def cards_for_update(*members: Member) -> list[MembershipCard]:
    """Lock the members' cards for the rest of the transaction, in pk order: the one lock every change takes."""
    wanted = {member.pk for member in members}

    def lock() -> list[MembershipCard]:
        if len(wanted) == 1:
            return _one_card_locked(members[0].pk)
        return lock_rows(MembershipCard.objects.filter(member_id__in=wanted))

    cards = lock()
    if len(cards) < len(wanted):
        opened = {card.member_id for card in cards}
        for member in members:
            if member.pk not in opened:
                card_for(member)
        cards = lock()
    return cards


class CardAccount(MemberAccount):
    """The card in the one lock order of a member's accounts (loyalty.ledgers.member_accounts): after the wallet."""

    code = "card"
    order = 20

    def lock(self, member: Member) -> MembershipCard:
        return cards_for_update(member)[0]

    def read(self, member: Member) -> MembershipCard | None:
        return MembershipCard.objects.filter(member=member).first()


def _card_for_update(member: Member) -> MembershipCard:
    return cards_for_update(member)[0]


def _record(card: MembershipCard, delta: int, reason: str, *, bucket: PointsBucket | None = None,
            reference: str = "", note: str = "", store=None, staff=None, terminal=None,
            now: datetime.datetime | None = None) -> PointsEntry:
    """Move a locked card's points and write the ledger entry, in the caller's transaction."""
    [entry] = post_entries(card, PointsEntry, [Move("points", delta, {
        "card": card, "reason": reason, "note": note[:200], "reference": reference[:64], "bucket": bucket,
        "store": store, "staff": staff, "terminal": terminal, "created_at": now or timezone.now()})], money=False)
    return entry


def _fill_bucket(card: MembershipCard, program: MembershipProgram | None, points: int, *,
                 now: datetime.datetime, known: list[PointsBucket] | None = None,
                 moves: dict[int, dict[str, int]] | None = None) -> PointsBucket:
    """Put points in the bucket of their expiry day (one bucket per expiry day), opening it if need be.

    `known` are buckets of the card already read in this transaction: the day's bucket is looked for there first.
    With `moves` (a payment's other bucket changes), an existing bucket's filling is added there, to be written
    with them in one UPDATE.
    """
    expires_on = points_expiry_date(program, timezone.localdate(now))
    bucket = next((bucket for bucket in known or () if bucket.expires_on == expires_on), None)
    if bucket is None:
        bucket = PointsBucket.objects.filter(card=card, expires_on=expires_on).first()
    if bucket is None:
        return PointsBucket.objects.create(merchant_id=card.merchant_id, card=card, expires_on=expires_on,
                                           earned=points, remaining=points, created_at=now)
    if moves is not None:
        _add_moves(moves, bucket.pk, earned=points, remaining=points)
        return bucket
    PointsBucket.objects.filter(pk=bucket.pk).update(earned=F("earned") + points, remaining=F("remaining") + points)
    return bucket


def _add_moves(moves: dict[int, dict[str, int]], pk: int, **deltas: int) -> None:
    row = moves.setdefault(pk, {})
    for name, delta in deltas.items():
        row[name] = row.get(name, 0) + delta


def _credit(card: MembershipCard, program: MembershipProgram | None, points: int, reason: str, *,
            now: datetime.datetime, **who) -> PointsEntry:
    """Add points to the bucket of their expiry day and write the entry."""
    bucket = _fill_bucket(card, program, points, now=now)
    return _record(card, points, reason, bucket=bucket, now=now, **who)


FIRST_EXPIRING_FIRST = (F("expires_on").asc(nulls_last=True), "pk")


def _draw(card: MembershipCard, points: int, today: datetime.date, *, newest_first: bool = False) -> None:
    """Take `points` from a locked card's live buckets, first-expiring first (or last, to undo an earning):
    one read of the buckets it reaches (of the first `points` in that order, every bucket holding a point at
    least; of all of them only if those fall short), one UPDATE of them all."""
    first = min(points, MAX_PREFIX) + PAST_DAY_ALLOWANCE
    drawn, points = draw_lots(_draw_reach[newest_first](card.pk, points, today, first), points)
    if points:
        raise DomainError(errors.POINTS_INSUFFICIENT, _("Not enough points."), field="points", status_code=409)
    moves: dict[int, dict[str, int]] = {}
    _save_draw(drawn, moves)
    move_lots(PointsBucket, moves, money=False)


def _live_reach(card_id: int, points: int, today: datetime.date, first: int, *, newest_first: bool):
    order = [F("expires_on").desc(nulls_first=True), "-pk"] if newest_first else list(FIRST_EXPIRING_FIRST)
    live = (PointsBucket.objects.filter(card_id=card_id, remaining__gt=0)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today)))
    return lots_covering(live.only("pk", "remaining", "expires_on"), points, order=order, read=False, first=first)


# A refund's take-back (newest first) and a plain draw read their buckets compiled once (loyalty.compiled).
_draw_reach = {newest_first: CompiledRead(
    lambda card_id, points, today, first, newest_first=newest_first: _live_reach(
        card_id, points, today, first, newest_first=newest_first), int, int, datetime.date, int)
    for newest_first in (False, True)}


def _save_draw(drawn: list[tuple[PointsBucket, int]], moves: dict[int, dict[str, int]]) -> None:
    """Note what a draw took from each bucket, relative to the row (the caller writes `moves` in one UPDATE)."""
    for bucket, take in drawn:
        row = moves.setdefault(bucket.pk, {})
        row["remaining"] = row.get("remaining", 0) - take


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


def _buckets_to_spend(card: MembershipCard, points: int, today: datetime.date, *,
                      earn_day: datetime.date | None | bool = False) -> list[PointsBucket]:
    """The card's buckets a spend of `points` needs, first-expiring first, in one read however many it holds:
    those past their day (the spend expires them first), the live ones the spend reaches and, for a payment
    that also earns, the bucket of the earning's expiry day (`earn_day`: None for points that never expire).

    Only the first buckets are summed (`lots_covering(first=)`): every bucket holds a point at least, so
    `points` of them and a few past their day are enough but for a card with more buckets past their day."""
    if points <= 0:
        return list(_spend_reach(card.pk, points, today, earn_day))
    first = min(points, MAX_PREFIX) + PAST_DAY_ALLOWANCE
    if earn_day is False or earn_day is None:
        return _spend_reach_compiled[earn_day](card.pk, points, today, first)
    return _spend_reach_compiled["day"](card.pk, points, today, first, earn_day)


# Buckets summed before a spend reads every bucket of the card: a spend of more points than this still reads its
# buckets in one statement, the first ones and then all.
MAX_PREFIX = 2_000
PAST_DAY_ALLOWANCE = 16


def _spend_reach(card_id: int, points: int, today: datetime.date,
                 earn_day: datetime.date | None | bool = False, *, first: int | None = None):
    due = Q(expires_on__lt=today)
    also = due
    beyond = None
    if earn_day is not False:
        beyond = Q(expires_on__isnull=True) if earn_day is None else Q(expires_on=earn_day)
        also |= beyond
    spendable = Case(When(due, then=Value(0)), default=F("remaining"), output_field=IntegerField())
    return lots_covering(PointsBucket.objects.filter(card_id=card_id, remaining__gt=0), points,
                         order=list(FIRST_EXPIRING_FIRST), value=spendable, also=also, read=False,
                         first=first, beyond=beyond)


# Every payment that uses points reads them (loyalty.compiled): one compiled read for each kind of earning day
# (none, points that never expire, a day).
_spend_reach_compiled = {
    False: CompiledRead(lambda card_id, points, today, first: _spend_reach(card_id, points, today, first=first),
                        int, int, datetime.date, int),
    None: CompiledRead(lambda card_id, points, today, first: _spend_reach(card_id, points, today, None, first=first),
                       int, int, datetime.date, int),
    "day": CompiledRead(lambda card_id, points, today, first, earn_day: _spend_reach(
        card_id, points, today, earn_day, first=first), int, int, datetime.date, int, datetime.date),
}


def _spend(card: MembershipCard, points: int, reason: str, *, now: datetime.datetime, reference: str = "",
           note: str = "", held: _HeldWrites | None = None, **who) -> PointsEntry:
    """Expire a locked card's buckets past their day, then take `points` first-expiring first.

    One read of the buckets, one UPDATE per bucket touched, one of the card and one INSERT of every entry
    (the expiries, then the spend). Everything is worked out before anything is written: a refusal changes
    nothing, not even the caller's card. With `held`, the card and the entries are left to the caller.
    """
    today = timezone.localdate(now)
    buckets = held.buckets if held is not None else _buckets_to_spend(card, points, today)
    due = [bucket for bucket in buckets if bucket.expires_on is not None and bucket.expires_on < today]
    available = card.points - sum(bucket.remaining for bucket in due)
    if available < points:
        raise DomainError(errors.POINTS_INSUFFICIENT,
                          _("Not enough points: %(points)d needed, %(available)d available.") % {
                              "points": points, "available": available}, field="points", status_code=409)
    drawn, left = draw_lots(buckets[len(due):], points)
    if left:
        raise DomainError(errors.POINTS_INSUFFICIENT, _("Not enough points."), field="points", status_code=409)
    entries = []
    balance = card.points
    moves = held.bucket_moves if held is not None else {}
    for bucket in due:
        _add_moves(moves, bucket.pk, remaining=-bucket.remaining, expired=bucket.remaining)
        balance -= bucket.remaining
        entries.append(PointsEntry(merchant_id=card.merchant_id, card=card, delta=-bucket.remaining,
                                   balance_after=balance, reason=PointsReason.EXPIRED, note=str(bucket.expires_on),
                                   reference=f"bucket:{bucket.pk}", bucket=bucket, created_at=now))
    _save_draw(drawn, moves)
    balance -= points
    spent = PointsEntry(merchant_id=card.merchant_id, card=card, delta=-points, balance_after=balance,
                        reason=reason, note=note[:200], reference=reference[:64], created_at=now, **who)
    card.points = balance
    if held is not None:
        held.card_fields.append("points")
        held.entries += [*entries, spent]
        return spent
    move_lots(PointsBucket, moves, money=False)
    writes.update(card, ["points"])
    writes.insert([*entries, spent])
    return spent


def spend_points(member: Member, points: int, *, reason: str, reference: str = "", staff=None, terminal=None,
                 store=None, note: str = "", locked: MembershipCard | None = None) -> PointsEntry:
    """Use a member's points (a bill, a coupon): first earned, first spent; refused if short.

    A caller that already holds the card's lock in its own transaction (checkout's `pay`) passes it as
    `locked`: it is not locked or read again, and a refusal aborts the caller's transaction (no savepoint).
    """
    points = _whole(points, code=errors.POINTS_INVALID, field="points")
    now = timezone.now()
    with transaction.atomic(savepoint=locked is None):
        card = locked if locked is not None else _card_for_update(member)
        return _spend(card, points, reason, now=now, reference=reference, note=note, staff=staff,
                      terminal=terminal, store=store)


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


def _earn(card: MembershipCard, program: MembershipProgram | None, levels: list[Level], paid: Decimal, *,
          reference: str, now: datetime.datetime, held: _HeldWrites | None = None, **who) -> Earned:
    """Record what a payment earns on a locked card: the earning (its unique constraint says "once"), the
    bucket, one UPDATE of the card (points, experience, spend and any new level) and one INSERT per ledger.
    `held` brings a spend's unwritten card fields and entries, written with these."""
    level = next((level for level in levels if level.pk == card.level_id), None)
    if level is not None:
        card.level = level  # the one already loaded: no query for it
    points = points_for_payment(program, level, paid)
    experience = experience_for_payment(program, paid)
    writes.insert([PaymentEarning(merchant_id=card.merchant_id, card=card, reference=reference,
                                  paid_amount=paid, points=points, experience=experience, created_at=now)])
    who = {"reference": reference[:64], "created_at": now, **who}
    changed = list(held.card_fields) if held is not None else []
    entries = held.entries if held is not None else []
    if points:
        bucket = _fill_bucket(card, program, points, now=now, known=held.buckets if held is not None else None,
                              moves=held.bucket_moves if held is not None else None)
        card.points += points
        changed.append("points")
        entries.append(PointsEntry(merchant_id=card.merchant_id, card=card, delta=points, balance_after=card.points,
                                   reason=PointsReason.PAYMENT, bucket=bucket, **who))
    if held is not None:
        move_lots(PointsBucket, held.bucket_moves, money=False)  # the spend's draws and the earning, together
    writes.insert(entries)
    if experience or paid:
        card.experience += experience
        card.total_spend += paid
        changed += ["experience", "total_spend"]
        # Written before the level is weighed: a re-evaluating programme counts it.
        writes.insert([ExperienceEntry(merchant_id=card.merchant_id, card=card, delta=experience,
                                       balance_after=card.experience, spend=paid, reason=ExperienceReason.PAYMENT,
                                       **who)])
    if upgrade_if_reached(card, program, now, levels=levels, save=False):
        changed += LEVEL_FIELDS
    if changed:
        writes.update(card, list(dict.fromkeys(changed)))
    return Earned(points, experience)


def earn_for_payment(member: Member, *, paid_amount, reference: str, store=None, terminal=None,
                     locked: MembershipCard | None = None, program: MembershipProgram | None = ...,
                     levels: list[Level] | None = None) -> Earned:
    """What a payment earns (points × the level multiplier, experience, spend), once per payment reference.

    The level goes up at once when the payment crosses a threshold.
    A caller that already holds the card's lock in its own transaction (checkout's `pay`) passes it as
    `locked`, with the `program` (None when the merchant runs none) and `levels` it loaded: nothing is
    read again and there is no savepoint. The reference must then be new: the unique (card, reference)
    constraint still says "once", by failing the caller's transaction instead of answering the first result.
    """
    if not reference:
        raise DomainError(errors.REFERENCE_REQUIRED, _("A payment reference is required."), field="reference")
    paid = parse_amount(paid_amount, field="paid_amount", allow_zero=True)
    now = timezone.now()
    with transaction.atomic(savepoint=locked is None):
        if locked is not None:
            card = locked
        else:
            card = _card_for_update(member)
            done = PaymentEarning.objects.filter(card=card, reference=reference).first()
            if done is not None:
                return Earned(done.points, done.experience)
        if program is ...:
            program = program_for(member.merchant_id)
        if levels is None:
            levels = levels_of(program)
        return _earn(card, program, levels, paid, reference=reference, now=now, store=store, terminal=terminal)


def spend_and_earn_for_payment(card: MembershipCard, *, points_used: int, spend_reason: str, paid_amount,
                               reference: str, program: MembershipProgram | None, levels: list[Level], store=None,
                               terminal=None) -> tuple[PointsEntry | None, Earned]:
    """A payment that uses points and earns on what was paid, on a card the caller holds locked (checkout's
    `pay`, with the programme and levels it loaded): `spend_points` then `earn_for_payment`, with one read of
    the buckets, one INSERT of the points entries and one UPDATE of the card between them."""
    points_used = _whole(points_used, code=errors.POINTS_INVALID, field="points")
    if not reference:
        raise DomainError(errors.REFERENCE_REQUIRED, _("A payment reference is required."), field="reference")
    paid = parse_amount(paid_amount, field="paid_amount", allow_zero=True)
    now = timezone.now()
    with transaction.atomic(savepoint=False):  # the caller's transaction; all or nothing even without one
        earn_day = points_expiry_date(program, timezone.localdate(now))
        held = _HeldWrites(_buckets_to_spend(card, points_used, timezone.localdate(now), earn_day=earn_day))
        spent = _spend(card, points_used, spend_reason, now=now, reference=reference, held=held, store=store,
                       terminal=terminal)
        earned = _earn(card, program, levels, paid, reference=reference, now=now, held=held, store=store,
                       terminal=terminal)
    return spent, earned


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
        taken = take_back(points, still_held=card.points, spent=points).taken
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
