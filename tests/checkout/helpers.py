"""Builders for checkout tests: a merchant with levels, stored value, coupons and reward rules."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from cards.membership import services as membership
from cards.membership.models import Level, MembershipCard
from checkout.services import checkout_settings
from coupons.models import Coupon
from coupons.services import issue_coupon
from loyalty.ledgers import audit_all
from tests.coupons.helpers import make_template
from tests.membership.helpers import make_program
from tests.wallet.helpers import enable_stored_value
from wallet import services as wallet
from wallet.models import RechargeOffer

D = Decimal
QUOTE = reverse("api:checkout-quote")
PAYMENTS = reverse("api:checkout-payments")


def refunds_url(payment_id) -> str:
    return reverse("api:checkout-refund", args=[payment_id])


def program_with_levels(merchant, **settings):
    """Silver (entry, 100%), Gold (95%) and Diamond (90%); 1 point per yuan; 100 points take 1.00 off."""
    program = make_program(merchant, **settings)
    Level.objects.filter(program=program, rank=2).update(discount_percent=D("95"))
    Level.objects.filter(program=program, rank=3).update(discount_percent=D("90"))
    return program


def set_level(member, rank: int):
    card = membership.card_for(member)
    level = Level.objects.get(merchant_id=member.merchant_id, rank=rank)
    MembershipCard.objects.filter(pk=card.pk).update(level=level)
    return level


def give_points(member, points: int):
    membership.grant_points(member, points, reason="gift", reference="test-gift")


def fund_wallet(member, amount: str, *, bonus_offer: tuple[str, str] | None = None, **settings):
    enable_stored_value(member.merchant, **settings)
    if bonus_offer:
        RechargeOffer.objects.get_or_create(
            merchant=member.merchant, name="offer", pay_amount=D(bonus_offer[0]),
            defaults={"bonus_value": D(bonus_offer[1])})
    return wallet.recharge(member, amount)


def coupon_for(member, **template_fields) -> Coupon:
    template = make_template(member.merchant, **template_fields)
    return issue_coupon(template, member, source=Coupon.Source.STAFF)


def configure(merchant, **fields):
    settings = checkout_settings(merchant)
    for name, value in fields.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def assert_ledgers_clean(merchant=None):
    for report in audit_all(merchant.pk if merchant else None):
        assert report.clean, (report.name, report.problems)


def body(amount: str, member=None, **extra) -> dict:
    data = {"amount": amount, **extra}
    if member is not None:
        data["member"] = {"phone": member.phone}
    return data
