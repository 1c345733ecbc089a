"""Which level a member holds: thresholds, the amount that counts, and upgrading at once."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from cards.membership import events
from cards.membership.models import ExperienceEntry, Level, MembershipCard, MembershipProgram
from merchants.models import Member

LEVEL_FIELDS = ("level", "level_since", "drop_warned_at")


def program_for(merchant) -> MembershipProgram | None:
    """The merchant's membership programme, or None when it runs none."""
    merchant_id = merchant if isinstance(merchant, int) else merchant.pk
    return MembershipProgram.objects.filter(merchant_id=merchant_id).first()


def join_asks_for_details(merchant) -> bool:
    """Whether joining asks for the member's details (the programme's setting; yes without a programme)."""
    program = program_for(merchant)
    return program is None or program.join_requires_fields


def levels_of(program: MembershipProgram | None) -> list[Level]:
    if program is None:
        return []
    return list(Level.objects.filter(program=program).order_by("rank"))


def level_for(levels: list[Level], amount) -> Level | None:
    """The best level whose threshold `amount` reaches (levels ordered by rank)."""
    reached = None
    for level in levels:
        if level.threshold <= amount:
            reached = level if reached is None or level.rank > reached.rank else reached
    return reached


def next_level(levels: list[Level], current: Level | None) -> Level | None:
    """The next level up from `current`, for the card page's progress bar."""
    higher = [level for level in levels if current is None or level.rank > current.rank]
    return min(higher, key=lambda level: level.rank, default=None)


def window_start(program: MembershipProgram, now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=program.retention_days)


def qualifying_amount(card: MembershipCard, program: MembershipProgram, now: datetime.datetime | None = None):
    """What counts towards a level: cumulative experience or spend, or only the last N days' when re-evaluated."""
    spend = program.level_basis == MembershipProgram.LevelBasis.SPEND
    if program.retention != MembershipProgram.Retention.REEVALUATE:
        return card.total_spend if spend else card.experience
    since = window_start(program, now or timezone.now())
    total = (ExperienceEntry.objects.filter(card=card, created_at__gt=since)
             .aggregate(total=Sum("spend" if spend else "delta"))["total"])
    return total or (Decimal("0.00") if spend else 0)


def upgrade_if_reached(card: MembershipCard, program: MembershipProgram | None,
                       now: datetime.datetime | None = None, *, levels: list[Level] | None = None,
                       save: bool = True) -> bool:
    """Move a locked card up at once when it crossed a threshold; never down (that is the review's job).

    `save=False` only sets the fields (level, level_since, drop_warned_at): the caller saves the card once.
    """
    if program is None:
        return False
    now = now or timezone.now()
    levels = levels if levels is not None else levels_of(program)
    target = level_for(levels, qualifying_amount(card, program, now))
    current = card.level
    if target is None or (current is not None and target.rank <= current.rank):
        return False
    card.level, card.level_since, card.drop_warned_at = target, now, None
    events.member_level_changed(card, before=current, after=target)
    if save:
        card.save(update_fields=LEVEL_FIELDS)
    return True


def current_level(member: Member) -> Level | None:
    """The member's level as the card says now (no lock: for display and quoting)."""
    card = MembershipCard.objects.filter(member=member).select_related("level").first()
    return card.level if card is not None else None


def points_expiry_date(program: MembershipProgram | None, earned_on: datetime.date) -> datetime.date | None:
    """The last day points earned on `earned_on` may be used: the end of the Nth month or year after, or never."""
    if program is None or program.points_expiry == MembershipProgram.PointsExpiry.NEVER:
        return None
    n = program.points_expiry_period
    if program.points_expiry == MembershipProgram.PointsExpiry.YEARS:
        return datetime.date(earned_on.year + n, 12, 31)
    month_index = earned_on.month - 1 + n
    year, month = earned_on.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, calendar.monthrange(year, month)[1])
