"""Coupon templates for tests: a valid default of each kind, overridable field by field."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from coupons.models import CouponTemplate
from merchants.models import JoinGift
from merchants.services import join_member


def make_template(merchant, **fields) -> CouponTemplate:
    now = timezone.now()
    values = {
        "name": "10 off 100", "kind": CouponTemplate.Kind.CASH, "amount_off": Decimal("10.00"),
        "minimum_bill": Decimal("100.00"), "validity": CouponTemplate.Validity.FIXED,
        "valid_from": now - datetime.timedelta(days=1), "valid_until": now + datetime.timedelta(days=30),
        "stock": 100, "per_member_limit": 1, "audience": CouponTemplate.Audience.MEMBERS,
    }
    values.update(fields)
    stores = values.pop("stores", None)
    give_on_joining = values.pop("give_on_joining", False)
    template = CouponTemplate(merchant=merchant, **values)
    template.full_clean(exclude=["merchant", "claim_token"])
    template.save()
    if stores:
        template.stores.set(stores)
    if give_on_joining:
        add_to_join_gift(template)
    return template


def add_to_join_gift(template: CouponTemplate, quantity: int = 1) -> None:
    """One of `template` in its merchant's join gift (what "give on joining" was before join gifts had lines)."""
    gift, _created = JoinGift.objects.get_or_create(merchant_id=template.merchant_id)
    gift.benefits.create(merchant_id=template.merchant_id, kind="coupon", quantity=quantity, target_id=template.pk,
                         position=gift.benefits.count())


def make_members(merchant, count: int, *, start: int = 0) -> list:
    return [join_member(merchant, f"137{start + i:08d}") for i in range(count)]


def paid_days_ago(member, days: int, amount: str = "50.00"):
    """A paid counter payment made `days` ago (what "inactive" and the visit filters read)."""
    from checkout.models import Payment

    made = timezone.now() - datetime.timedelta(days=days)
    return Payment.objects.create(merchant=member.merchant, store=member.merchant.stores.first(), member=member,
                                  bill_amount=Decimal(amount), amount_due=Decimal(amount),
                                  status=Payment.Status.PAID, created_at=made, paid_at=made)
