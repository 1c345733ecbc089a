"""The checkout app's events (loyalty.events): the merchant's checkout settings and reward rules changed."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from checkout.models import CheckoutSettings, RewardRule
from loyalty.events import Changes, EventKind, record_event
from loyalty.models import Event

CHECKOUT_SETTINGS_CHANGED = EventKind("checkout_settings.changed", _("checkout settings changed"))
REWARD_RULE_CHANGED = EventKind("reward_rule.changed", _("reward rule changed"))

KINDS = [CHECKOUT_SETTINGS_CHANGED, REWARD_RULE_CHANGED]


def checkout_settings_changed(settings: CheckoutSettings, *, staff: AbstractBaseUser | None,
                              changes: Changes) -> Event:
    """How bills are priced changed (stacking, random reduction): every quote after it prices differently."""
    return record_event(CHECKOUT_SETTINGS_CHANGED, settings, staff=staff, data=changes.as_data())


def reward_rule_changed(rule: RewardRule, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """A rule of what members get after paying was added, edited (its lines too) or deleted."""
    return record_event(REWARD_RULE_CHANGED, rule, staff=staff, data=changes.as_data())
