"""The registry `audit_ledgers` walks: each app that keeps balances registers an auditor for them.

An auditor is a callable `(merchant_id: int | None) -> LedgerReport`; it proves that every balance
it owns equals the sum of its ledger entries and reports what the merchant owes (liabilities).
Apps register in their AppConfig.ready(), so this module knows no business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class LedgerReport:
    name: str
    accounts_checked: int = 0
    problems: list[str] = field(default_factory=list)
    # e.g. {"stored value principal": Decimal("1200.00")}, per merchant where a merchant was given
    liabilities: dict[str, Decimal] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.problems


_AUDITORS: dict[str, Callable[[int | None], LedgerReport]] = {}


def register_auditor(name: str, auditor: Callable[[int | None], LedgerReport]) -> None:
    _AUDITORS[name] = auditor


def audit_all(merchant_id: int | None = None) -> list[LedgerReport]:
    return [auditor(merchant_id) for _name, auditor in sorted(_AUDITORS.items())]
