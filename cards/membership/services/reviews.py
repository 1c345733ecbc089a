"""Level reviews (会员等级复评), run by celery beat and `manage.py recompute_levels`: idempotent.

With "levels never drop" a review only lifts cards that reached a threshold (say, after the merchant
lowered one). With "re-evaluated every N days" each card whose period ended gets the level its last N
days earned, up or down, and a new period starts; members are warned a few days before a drop.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership.models import ExperienceEntry, MembershipCard, MembershipProgram
from cards.membership.services.levels import level_for, levels_of, window_start
from loyalty.messaging import queue_messages
from loyalty.models import OutboxMessage


def _window_amounts(program: MembershipProgram, since) -> dict[int, Decimal | int]:
    """What each card earned towards levels after `since` (a moment, or an expression per card), in one query."""
    field = "spend" if program.level_basis == MembershipProgram.LevelBasis.SPEND else "delta"
    rows = (ExperienceEntry.objects.filter(merchant_id=program.merchant_id, created_at__gt=since)
            .values("card_id").annotate(total=Sum(field)))
    return defaultdict(int, {row["card_id"]: row["total"] or 0 for row in rows})


def _lift_to_reached_levels(program: MembershipProgram, levels, now: datetime.datetime) -> int:
    """Never-drop programmes: one UPDATE per level, best first, for cards whose cumulative total reached it."""
    field = "total_spend" if program.level_basis == MembershipProgram.LevelBasis.SPEND else "experience"
    lifted = 0
    for level in sorted(levels, key=lambda level: level.rank, reverse=True):
        lifted += (MembershipCard.objects.filter(merchant_id=program.merchant_id, **{f"{field}__gte": level.threshold})
                   .filter(Q(level__isnull=True) | Q(level__rank__lt=level.rank))
                   .update(level=level, level_since=now, drop_warned_at=None))
    return lifted


def _review_due_cards(program: MembershipProgram, levels, now: datetime.datetime) -> int:
    """Re-evaluated programmes: each card whose period ended gets its last N days' level; a new period starts."""
    cutoff = window_start(program, now)
    amounts = _window_amounts(program, cutoff)
    due = MembershipCard.objects.filter(merchant_id=program.merchant_id).filter(
        Q(level_since__isnull=True) | Q(level_since__lte=cutoff))
    targets = defaultdict(list)
    changed = 0
    for card_id, level_id in due.values_list("pk", "level_id").iterator(chunk_size=2000):
        target = level_for(levels, amounts[card_id])
        targets[target].append(card_id)
        changed += level_id != (target.pk if target else None)
    for target, card_ids in targets.items():
        for start in range(0, len(card_ids), 2000):
            # A card a payment lifted meanwhile has a fresh level_since and is left alone.
            (MembershipCard.objects.filter(pk__in=card_ids[start:start + 2000])
             .filter(Q(level_since__isnull=True) | Q(level_since__lte=cutoff))
             .update(level=target, level_since=now, drop_warned_at=None))
    return changed


def recompute_levels(now: datetime.datetime | None = None) -> int:
    """Review every programme's cards; returns how many cards changed level."""
    now = now or timezone.now()
    changed = 0
    for program in MembershipProgram.objects.all():
        levels = levels_of(program)
        if not levels:
            continue
        if program.retention == MembershipProgram.Retention.NEVER_DROP:
            changed += _lift_to_reached_levels(program, levels, now)
        else:
            changed += _review_due_cards(program, levels, now)
    return changed


def warn_level_drops(now: datetime.datetime | None = None) -> int:
    """Tell members whose level would drop at their coming review what keeps it; once per period."""
    now = now or timezone.now()
    sent = 0
    programs = MembershipProgram.objects.filter(retention=MembershipProgram.Retention.REEVALUATE).exclude(
        drop_warning_days=0).select_related("merchant")
    for program in programs:
        levels = levels_of(program)
        if not levels:
            continue
        period = datetime.timedelta(days=program.retention_days)
        warn_from = now - period + datetime.timedelta(days=program.drop_warning_days)
        cards = (MembershipCard.objects.filter(merchant_id=program.merchant_id, level__isnull=False,
                                               level_since__lte=warn_from, level_since__gt=now - period)
                 .filter(Q(drop_warned_at__isnull=True) | Q(drop_warned_at__lt=F("level_since")))
                 .select_related("level", "member"))
        # What will count at each card's review: what it earned since its period began.
        amounts = _window_amounts(program, F("card__level_since"))
        messages, warned = [], []
        for card in cards:
            target = level_for(levels, amounts[card.pk])
            if target is not None and target.rank >= card.level.rank:
                continue
            body = _("[%(merchant)s] Your %(level)s level will be reviewed on %(date)s and will drop to "
                     "%(lower)s unless you reach %(threshold)s by then.") % {
                "merchant": program.merchant.name, "level": card.level.name,
                "date": timezone.localdate(card.level_since + period), "lower": target.name if target else "—",
                "threshold": card.level.threshold}
            messages.append(OutboxMessage(merchant_id=program.merchant_id, recipient=card.member.phone, body=body,
                                          kind=OutboxMessage.Kind.NOTICE))
            warned.append(card.pk)
        with transaction.atomic():
            sent += queue_messages(messages)
            MembershipCard.objects.filter(pk__in=warned).update(drop_warned_at=now)
    return sent

