"""The wallet's part of `manage.py audit_ledgers`: balances equal their ledger, and what members are owed."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, Sum

from loyalty.ledgers import BalanceCheck, LedgerReport, Source, audit_balances
from loyalty.money import quantize
from wallet.models import CashbackLot, Pocket, Recharge, Wallet, WalletEntry


def audit_wallets(merchant_id: int | None = None) -> LedgerReport:
    """Every pocket equals the sum of its entries, and the recharges and cashback lots it is made of."""
    report = LedgerReport(name="wallet")
    entries = WalletEntry.objects.all()

    def sources(pocket: str, lots: Source) -> tuple[Source, ...]:
        return (Source("ledger", entries.filter(pocket=pocket), "wallet_id", "delta"), lots)

    totals = audit_balances(report, Wallet.objects.all(), [
        BalanceCheck(Pocket.PRINCIPAL, sources(Pocket.PRINCIPAL, Source(
            "unspent sources", Recharge.objects.all(), "wallet_id", "principal_left"))),
        BalanceCheck(Pocket.BONUS, sources(Pocket.BONUS, Source(
            "unspent sources", Recharge.objects.all(), "wallet_id", "bonus_left"))),
        BalanceCheck(Pocket.CASHBACK, sources(Pocket.CASHBACK, Source(
            "unspent sources", CashbackLot.objects.all(), "wallet_id", "remaining"))),
    ], label="wallet", merchant_id=merchant_id)
    principal, bonus = totals[Pocket.PRINCIPAL], totals[Pocket.BONUS]
    report.liabilities = {"stored value principal": principal, "stored value bonus": bonus,
                          "stored value total": principal + bonus}
    report.liabilities.update(_owed_per_store(Q(merchant_id=merchant_id) if merchant_id is not None else Q()))
    return report


def _owed_per_store(scope: Q) -> dict[str, Decimal]:
    """Stored value owed, per merchant and store where it was recharged (online recharges have no store)."""
    rows = (Recharge.objects.filter(scope).filter(Q(principal_left__gt=0) | Q(bonus_left__gt=0))
            .values("merchant__slug", "store__name")
            .annotate(principal=Sum("principal_left"), bonus=Sum("bonus_left"))
            .order_by("merchant__slug", "store__name"))
    return {f"stored value owed {row['merchant__slug']} / {row['store__name'] or 'online'}":
            quantize(row["principal"] + row["bonus"]) for row in rows}
