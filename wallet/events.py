"""The wallet's events (loyalty.events): its settings, offers and rules changed. Balances are in the ledger."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from loyalty.events import Changes, EventKind, record_event
from loyalty.models import Event
from wallet.models import BalanceTier, CashbackRule, Recharge, RechargeOffer, RedPacketCampaign, WalletSettings

WALLET_SETTINGS_CHANGED = EventKind("wallet_settings.changed", _("stored value settings changed"))
RECHARGE_OFFER_CHANGED = EventKind("recharge_offer.changed", _("recharge offer changed"))
BALANCE_TIER_CHANGED = EventKind("balance_tier.changed", _("balance tier changed"))
CASHBACK_RULE_CHANGED = EventKind("cashback_rule.changed", _("cashback rule changed"))
RED_PACKET_CAMPAIGN_CHANGED = EventKind("red_packet_campaign.changed", _("red packet campaign changed"))
RECHARGE_PAID = EventKind("recharge.paid", _("stored value recharged"))

KINDS = [WALLET_SETTINGS_CHANGED, RECHARGE_OFFER_CHANGED, BALANCE_TIER_CHANGED, CASHBACK_RULE_CHANGED,
         RED_PACKET_CAMPAIGN_CHANGED, RECHARGE_PAID]


def wallet_settings_changed(settings: WalletSettings, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """Stored value switched on or off, or how it is drawn and capped changed."""
    return record_event(WALLET_SETTINGS_CHANGED, settings, staff=staff, data=changes.as_data())


def recharge_offer_changed(offer: RechargeOffer, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """A recharge offer (and the coupons it gives) was added, edited or deleted."""
    return record_event(RECHARGE_OFFER_CHANGED, offer, staff=staff, data=changes.as_data())


def balance_tier_changed(tier: BalanceTier, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    return record_event(BALANCE_TIER_CHANGED, tier, staff=staff, data=changes.as_data())


def cashback_rule_changed(rule: CashbackRule, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    return record_event(CASHBACK_RULE_CHANGED, rule, staff=staff, data=changes.as_data())


def red_packet_campaign_changed(campaign: RedPacketCampaign, *, staff: AbstractBaseUser | None,
                                changes: Changes) -> Event:
    return record_event(RED_PACKET_CAMPAIGN_CHANGED, campaign, staff=staff, data=changes.as_data())


def recharge_paid(recharge: Recharge) -> Event:
    """A recharge was paid (at the counter or confirmed by the gateway) and its value credited."""
    return record_event(RECHARGE_PAID, recharge, staff=recharge.staff, terminal=recharge.terminal,
                        member_id=recharge.member_id,
                        data={"amount": recharge.amount, "bonus": recharge.bonus_now, "channel": recharge.channel,
                              "store": recharge.store_id, "offer": recharge.offer_id})
