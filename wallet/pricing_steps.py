"""The wallet's pricing step: the balance-tier discount (储值折上折), the more stored value the deeper.

Which tier applies is decided once per bill by `balance_tier_for`, on the wallet `load()` has read (locked
for a payment) and the merchant's cached tiers; pricing is then arithmetic on what is left of the bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.money import format_percent
from loyalty.pricing import Adjustment, LoadedBill, PricingInput, PricingStep, capped
from wallet.models import BalanceTier
from wallet.services.marketing import balance_tier_discount, balance_tier_for

BALANCE_TIER = "balance_tier"


def balance_tier_step(remaining: Decimal, tier: BalanceTier | None) -> Adjustment | None:
    """Holding at least the tier's stored value, the member pays the tier's percentage of what is left."""
    if tier is None:
        return None
    return capped(BALANCE_TIER, balance_tier_discount(tier, remaining), remaining,
                  _("Stored value ≥ %(balance)s: pay %(percent)s%%") % {
                      "balance": tier.min_balance, "percent": format_percent(tier.discount_percent)})


@dataclass(frozen=True)
class TierFacts:
    tier: BalanceTier
    stacks: bool = True


class BalanceTierStep(PricingStep[TierFacts]):
    code = BALANCE_TIER
    label = gettext_lazy("balance-tier discount")
    order = 20

    def facts(self, loaded: LoadedBill) -> TierFacts | None:
        member = loaded.bill.member
        if member is None or loaded.wallet is None:
            return None
        settings = loaded.config.wallet
        tier, _why = balance_tier_for(member, loaded.bill.amount, at=loaded.bill.at, settings=settings,
                                      wallet=loaded.wallet, tiers=loaded.config.balance_tiers)
        if tier is None:
            return None
        return TierFacts(tier, stacks=settings.balance_tier_stacks)

    def price(self, remaining: Decimal, given: PricingInput) -> Adjustment | None:
        return balance_tier_step(remaining, given.facts[BALANCE_TIER].tier)
