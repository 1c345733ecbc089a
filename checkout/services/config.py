"""What every quote and payment reads about the merchant: settings, levels, tiers and rules, in one cache entry.

Eight statements a payment when read from Postgres, one cache lookup from here. `checkout.receivers` forgets
a merchant's entry whenever one of these rows is saved or deleted (see loyalty.config_cache).
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass

from cards.membership.models import Level, MembershipProgram
from checkout.models import CheckoutSettings, RewardRule, RewardRuleBenefit
from loyalty.benefits import LineWithTarget, benefits, with_targets
from loyalty.config_cache import cached, forget, shape
from wallet.models import BalanceTier, CashbackRule, RedPacketCampaign, WalletSettings


@dataclass(frozen=True)
class RuleScope:
    """A reward rule with the stores and levels it is limited to (empty: all) and its lines with their targets."""

    rule: object
    store_ids: frozenset[int]
    level_ids: frozenset[int]
    benefits: tuple[LineWithTarget, ...] = ()


@dataclass
class MerchantConfig:
    checkout: object  # CheckoutSettings
    wallet: object  # WalletSettings
    program: object | None  # MembershipProgram
    levels: list  # the programme's levels by rank
    balance_tiers: list  # active ones by min_balance; their dates are checked when used
    cashback_rules: list  # active ones
    reward_rules: list[RuleScope]  # active ones by pk, with their benefit lines and what those give
    first_payment_red_packets: list[tuple]  # (starts_at, ends_at) of active first-payment campaigns

    def level(self, level_id: int | None):
        return next((level for level in self.levels if level.pk == level_id), None)

    def gives_first_payment_red_packets(self, at: datetime.datetime) -> bool:
        return any((start is None or start <= at) and (end is None or end > at)
                   for start, end in self.first_payment_red_packets)


@functools.cache
def _config_shape() -> str:

    # The targets of every registered kind are cached with the lines (a coupon template today).
    targets = sorted({queryset.model for kind in benefits.all() if (queryset := kind.targets(None)) is not None},
                     key=lambda model: model._meta.label)
    return shape(MerchantConfig, RuleScope, CheckoutSettings, WalletSettings, MembershipProgram, Level, BalanceTier,
                 CashbackRule, RewardRule, RewardRuleBenefit, *targets)


def config_key(merchant_id: int) -> str:
    return f"merchant-config:{_config_shape()}:{merchant_id}"


def _load(merchant_id: int) -> MerchantConfig:

    program = MembershipProgram.objects.filter(merchant_id=merchant_id).first()
    levels = list(Level.objects.filter(program=program).order_by("rank")) if program else []
    for level in levels:
        level.program = program
    rules = list(RewardRule.objects.filter(merchant_id=merchant_id, is_active=True)
                 .prefetch_related("stores", "levels", "benefits").order_by("pk"))
    lines = defaultdict(list)
    for line, target in with_targets(line for rule in rules for line in rule.benefits.all()):
        lines[line.rule_id].append((line, target))
    # Read, not created: this runs inside a payment's transaction, and a row it made would stay cached if that
    # rolled back. A merchant who never saved settings gets the defaults.
    return MerchantConfig(
        checkout=CheckoutSettings.objects.filter(merchant_id=merchant_id).first() or CheckoutSettings(
            merchant_id=merchant_id),
        wallet=WalletSettings.objects.filter(merchant_id=merchant_id).first() or WalletSettings(
            merchant_id=merchant_id),
        program=program,
        levels=levels,
        balance_tiers=list(BalanceTier.objects.filter(merchant_id=merchant_id, is_active=True).order_by("min_balance")),
        cashback_rules=list(CashbackRule.objects.filter(merchant_id=merchant_id, is_active=True)),
        reward_rules=[RuleScope(rule, frozenset(s.pk for s in rule.stores.all()),
                                frozenset(lv.pk for lv in rule.levels.all()),
                                tuple(lines[rule.pk]))
                      for rule in rules],
        first_payment_red_packets=list(RedPacketCampaign.objects.filter(
            merchant_id=merchant_id, is_active=True, trigger=RedPacketCampaign.Trigger.FIRST_PAYMENT)
            .values_list("starts_at", "ends_at")),
    )


def merchant_config(merchant_id: int, *, level_id: int | None = None) -> MerchantConfig:
    """The merchant's configuration; read afresh when it lacks `level_id` (a level made a moment ago elsewhere)."""
    config = cached(config_key(merchant_id), lambda: _load(merchant_id))
    if level_id is not None and config.level(level_id) is None:
        forget_merchant_config(merchant_id)
        config = cached(config_key(merchant_id), lambda: _load(merchant_id))
    return config


def forget_merchant_config(merchant_id: int) -> None:
    forget([config_key(merchant_id)])
