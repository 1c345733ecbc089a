"""The membership part of `manage.py audit_ledgers`: points, experience and spend equal their ledgers."""

from __future__ import annotations

from decimal import Decimal

from cards.membership.models import ExperienceEntry, MembershipCard, PointsBucket, PointsEntry
from loyalty.ledgers import BalanceCheck, LedgerReport, Source, audit_balances


def audit_points(merchant_id: int | None = None) -> LedgerReport:
    """Every card's points equal the sum of its entries and of its buckets; experience and spend theirs."""
    report = LedgerReport(name="membership points")
    experience = ExperienceEntry.objects.all()
    totals = audit_balances(report, MembershipCard.objects.all(), [
        BalanceCheck("points", (Source("ledger", PointsEntry.objects.all(), "card_id", "delta"),
                                Source("expiry buckets", PointsBucket.objects.all(), "card_id", "remaining"))),
        BalanceCheck("experience", (Source("ledger", experience, "card_id", "delta"),)),
        BalanceCheck("total_spend", (Source("ledger", experience, "card_id", "spend"),)),
    ], label="card", merchant_id=merchant_id)
    report.liabilities = {"points outstanding": Decimal(totals["points"])}
    return report
