"""The membership part of `manage.py audit_ledgers`: points, experience and spend equal their ledgers."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum

from cards.membership.models import ExperienceEntry, MembershipCard, PointsBucket, PointsEntry
from loyalty.ledgers import LedgerReport
from loyalty.money import ZERO, quantize


def audit_points(merchant_id: int | None = None) -> LedgerReport:
    """Every card's points equal the sum of its entries and of its buckets; experience and spend theirs."""
    report = LedgerReport(name="membership points")
    scope = Q(merchant_id=merchant_id) if merchant_id is not None else Q()
    points = defaultdict(int)
    for row in PointsEntry.objects.filter(scope).values("card_id").annotate(total=Sum("delta")):
        points[row["card_id"]] = row["total"]
    buckets = defaultdict(int)
    for row in PointsBucket.objects.filter(scope).values("card_id").annotate(total=Sum("remaining")):
        buckets[row["card_id"]] = row["total"]
    progress = defaultdict(lambda: (0, ZERO))
    for row in (ExperienceEntry.objects.filter(scope).values("card_id")
                .annotate(experience=Sum("delta"), spend=Sum("spend"))):
        # Rounded to the cent: SQLite adds decimals as floats, and 0.1 + 0.2 is not 0.3 there.
        progress[row["card_id"]] = (row["experience"], quantize(row["spend"] or ZERO))
    outstanding = 0
    for card in (MembershipCard.objects.filter(scope).only("pk", "points", "experience", "total_spend")
                 .iterator(chunk_size=2000)):
        report.accounts_checked += 1
        outstanding += card.points
        if card.points != points[card.pk]:
            report.problems.append(f"card {card.pk} points: balance {card.points} != ledger {points[card.pk]}")
        if card.points != buckets[card.pk]:
            report.problems.append(f"card {card.pk} points: balance {card.points} "
                                   f"!= expiry buckets {buckets[card.pk]}")
        experience, spend = progress[card.pk]
        if card.experience != experience:
            report.problems.append(f"card {card.pk} experience: balance {card.experience} != ledger {experience}")
        if card.total_spend != spend:
            report.problems.append(f"card {card.pk} spend: total {card.total_spend} != ledger {spend}")
    report.liabilities = {"points outstanding": Decimal(outstanding)}
    return report
