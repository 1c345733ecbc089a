"""The wallet's part of `manage.py audit_ledgers`: balances equal their ledger, and what members are owed."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, Sum

from loyalty.ledgers import LedgerReport
from loyalty.money import ZERO, quantize
from wallet.models import CashbackLot, Pocket, Recharge, Wallet, WalletEntry


def audit_wallets(merchant_id: int | None = None) -> LedgerReport:
    """Every pocket equals the sum of its entries, and the recharges and cashback lots it is made of."""
    report = LedgerReport(name="wallet")
    scope = Q(merchant_id=merchant_id) if merchant_id is not None else Q()
    sums = defaultdict(lambda: ZERO)
    for row in WalletEntry.objects.filter(scope).values("wallet_id", "pocket").annotate(total=Sum("delta")):
        sums[(row["wallet_id"], row["pocket"])] = row["total"]
    parts = defaultdict(lambda: ZERO)
    for row in (Recharge.objects.filter(scope).values("wallet_id")
                .annotate(principal=Sum("principal_left"), bonus=Sum("bonus_left"))):
        parts[(row["wallet_id"], Pocket.PRINCIPAL)] = row["principal"]
        parts[(row["wallet_id"], Pocket.BONUS)] = row["bonus"]
    for row in CashbackLot.objects.filter(scope).values("wallet_id").annotate(total=Sum("remaining")):
        parts[(row["wallet_id"], Pocket.CASHBACK)] = row["total"]
    principal = bonus = ZERO
    for wallet in Wallet.objects.filter(scope).only("pk", "principal", "bonus", "cashback").iterator(chunk_size=2000):
        report.accounts_checked += 1
        principal += wallet.principal
        bonus += wallet.bonus
        for pocket in (Pocket.PRINCIPAL, Pocket.BONUS, Pocket.CASHBACK):
            balance = getattr(wallet, pocket)
            if balance != sums[(wallet.pk, pocket)]:
                report.problems.append(f"wallet {wallet.pk} {pocket}: balance {balance} "
                                       f"!= ledger {sums[(wallet.pk, pocket)]}")
            if balance != parts[(wallet.pk, pocket)]:
                report.problems.append(f"wallet {wallet.pk} {pocket}: balance {balance} "
                                       f"!= unspent sources {parts[(wallet.pk, pocket)]}")
    report.liabilities = {"stored value principal": principal, "stored value bonus": bonus,
                          "stored value total": principal + bonus}
    report.liabilities.update(_owed_per_store(scope))
    return report


def _owed_per_store(scope: Q) -> dict[str, Decimal]:
    """Stored value owed, per merchant and store where it was recharged (online recharges have no store)."""
    rows = (Recharge.objects.filter(scope).filter(Q(principal_left__gt=0) | Q(bonus_left__gt=0))
            .values("merchant__slug", "store__name")
            .annotate(principal=Sum("principal_left"), bonus=Sum("bonus_left"))
            .order_by("merchant__slug", "store__name"))
    return {f"stored value owed {row['merchant__slug']} / {row['store__name'] or 'online'}":
            quantize(row["principal"] + row["bonus"]) for row in rows}
