"""Reactions to signals of lower apps (DESIGN.md: dependencies point one way)."""

from django.dispatch import receiver

from cards.membership.models import Level, MembershipProgram
from checkout.models import CheckoutSettings, RewardRule, RewardRuleBenefit
from checkout.services import credit_held_rewards
from checkout.services.config import config_key
from loyalty.config_cache import forget_on_change
from merchants.models import Store
from merchants.signals import member_joined
from wallet.models import BalanceTier, CashbackRule, RedPacketCampaign, WalletSettings


@receiver(member_joined, dispatch_uid="checkout.held_rewards")
def credit_rewards_held_for_the_new_member(sender, member, **kwargs):
    # Inside the joining transaction: rewards held for this phone are credited exactly when the membership exists.
    credit_held_rewards(member)


def _merchant_config(row):
    return [config_key(row.merchant_id)]


# Every row `merchant_config` reads forgets its merchant's entry when it changes.
for model in (CheckoutSettings, WalletSettings, MembershipProgram, Level, BalanceTier, CashbackRule,
              RedPacketCampaign, RewardRuleBenefit):
    forget_on_change(model, _merchant_config)
forget_on_change(RewardRule, _merchant_config, m2m_fields=("stores", "levels"))
# A deleted store or level leaves reward rules by cascade, which sends no m2m_changed (a level already forgets).
forget_on_change(Store, _merchant_config)
