"""The checkout app's events (loyalty.events): the merchant's checkout settings and reward rules changed."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from checkout.models import CheckoutSettings, Payment, Refund, RewardRule
from loyalty.events import Changes, EventKind, record_event
from loyalty.models import Event

CHECKOUT_SETTINGS_CHANGED = EventKind("checkout_settings.changed", _("checkout settings changed"))
REWARD_RULE_CHANGED = EventKind("reward_rule.changed", _("reward rule changed"))

PAYMENT_MADE = EventKind("payment.made", _("payment made"))
PAYMENT_REFUNDED = EventKind("payment.refunded", _("payment refunded"))

KINDS = [PAYMENT_MADE, PAYMENT_REFUNDED, CHECKOUT_SETTINGS_CHANGED, REWARD_RULE_CHANGED]


def checkout_settings_changed(settings: CheckoutSettings, *, staff: AbstractBaseUser | None,
                              changes: Changes) -> Event:
    """How bills are priced changed (stacking, random reduction): every quote after it prices differently."""
    return record_event(CHECKOUT_SETTINGS_CHANGED, settings, staff=staff, data=changes.as_data())


def reward_rule_changed(rule: RewardRule, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """A rule of what members get after paying was added, edited (its lines too) or deleted."""
    return record_event(REWARD_RULE_CHANGED, rule, staff=staff, data=changes.as_data())


def payment_made(payment: Payment, *, new_subject: bool = False) -> Event:
    """A bill was paid in full (at once, or when the gateway confirmed the rest)."""
    return record_event(PAYMENT_MADE, payment, terminal=payment.terminal, member=payment.member,
                        new_subject=new_subject,
                        data={"number": payment.number, "store": payment.store_id, "bill_amount": payment.bill_amount,
                              "discount_total": payment.discount_total, "amount_due": payment.amount_due,
                              "channel": payment.channel, "points_used": payment.points_used,
                              "coupon": payment.coupon_id})


def payment_refunded(payment: Payment, refund: Refund) -> Event:
    """Part or all of a payment was given back; the event is the payment's, so it orders after `payment.made`."""
    return record_event(PAYMENT_REFUNDED, payment, staff=refund.staff, terminal=refund.terminal,
                        member=payment.member,
                        data={"number": payment.number, "refund": refund.number, "amount": refund.amount,
                              "full": refund.is_full, "refunded_amount": payment.refunded_amount,
                              "reason": refund.reason})
