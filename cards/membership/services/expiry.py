"""Points expiry (积分过期), run by celery beat and `manage.py expire_points`: safe to run any number of times."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership.models import MembershipCard, MembershipProgram, PointsBucket
from cards.membership.services.ledger import expire_due_buckets
from loyalty.messaging import queue_messages
from loyalty.models import OutboxMessage


def expire_points(now: datetime.datetime | None = None) -> int:
    """Expire every bucket past its day, card by card under the card's lock; returns the points expired."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    card_ids = (PointsBucket.objects.filter(remaining__gt=0, expires_on__lt=today)
                .values_list("card_id", flat=True).distinct().order_by("card_id"))
    expired = 0
    for card_id in list(card_ids):
        with transaction.atomic():
            card = MembershipCard.objects.select_for_update().get(pk=card_id)
            expired += expire_due_buckets(card, now)
    return expired


def warn_expiring_points(now: datetime.datetime | None = None) -> int:
    """Tell members, one message each, which of their points expire within the programme's warning days.

    Each bucket is warned about once; the messages go out in batches through the outbox.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    programs = MembershipProgram.objects.exclude(points_expiry=MembershipProgram.PointsExpiry.NEVER).exclude(
        expiry_warning_days=0).select_related("merchant")
    for program in programs:
        last_day = today + datetime.timedelta(days=program.expiry_warning_days)
        with transaction.atomic():
            buckets = list(PointsBucket.objects.select_for_update(of=("self",))
                           .filter(merchant_id=program.merchant_id, remaining__gt=0, warned_at__isnull=True,
                                   expires_on__gte=today, expires_on__lte=last_day)
                           .select_related("card__member").order_by("card_id", "expires_on"))
            if not buckets:
                continue
            per_card = defaultdict(list)
            for bucket in buckets:
                per_card[bucket.card_id].append(bucket)
            messages = []
            for card_buckets in per_card.values():
                member = card_buckets[0].card.member
                points = sum(bucket.remaining for bucket in card_buckets)
                body = _("[%(merchant)s] %(points)d of your points expire on %(date)s. Use them before then.") % {
                    "merchant": program.merchant.name, "points": points, "date": card_buckets[0].expires_on}
                messages.append(OutboxMessage(merchant_id=program.merchant_id, recipient=member.phone, body=body,
                                              kind=OutboxMessage.Kind.NOTICE))
            sent += queue_messages(messages)
            PointsBucket.objects.filter(pk__in=[bucket.pk for bucket in buckets]).update(warned_at=now)
    return sent
