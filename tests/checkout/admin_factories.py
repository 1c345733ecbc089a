"""One row of a tenant per checkout admin model, for the tenant-isolation tests."""

from decimal import Decimal

from checkout import services
from checkout.models import Payment, Refund, RewardGrant, RewardRule, WebhookDelivery
from tests.benefit_helpers import reward_rule


def _payment(t) -> Payment:
    bill = services.Bill(store=t.store, amount=Decimal("60.00"), member=t.member, payer_phone=t.member.phone)
    return services.pay(bill, channel="cash")


def _refund(t) -> Refund:
    return services.refund_payment(_payment(t), "10.00")


def _rule(t) -> RewardRule:
    return reward_rule(merchant=t.merchant, name="A reward", min_paid=Decimal("50.00"), points=5)


def _grant(t) -> RewardGrant:
    _rule(t)
    return RewardGrant.objects.get(payment=_payment(t))


def _delivery(t) -> WebhookDelivery:
    return WebhookDelivery.objects.create(merchant=t.merchant, trade_no="A-TRADE-1", payment=_payment(t))


FACTORIES = {
    "checkout.checkoutsettings": lambda t: services.checkout_settings(t.merchant),
    "checkout.payment": _payment,
    "checkout.refund": _refund,
    "checkout.rewardrule": _rule,
    "checkout.rewardgrant": _grant,
    "checkout.webhookdelivery": _delivery,
}
