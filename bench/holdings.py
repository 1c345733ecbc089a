"""A member with a long history, made fast with bulk_create: many coupons, cashback lots and points buckets.

The checkout benchmark's `--heavy` run pays for such members, and the tests that pin the statements of quote,
pay, refund and the best-coupon quote build one (`tests/checkout/test_heavy_member.py`). Every balance gets its
one ledger entry for what the lots add up to, so `audit_ledgers` stays clean.
"""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from cards.membership.models import MembershipCard, PointsBucket, PointsEntry, PointsReason
from coupons.models import Coupon, CouponTemplate
from loyalty import codes
from wallet.models import CashbackLot, Pocket, Wallet, WalletEntry


def give_heavy_holdings(member, *, coupons: int = 1000, templates: int = 50, lots: int = 5000,
                        lot_amount: Decimal = Decimal("0.50"), buckets: int = 5000, bucket_points: int = 2,
                        coupon_amount: Decimal = Decimal("1.00")) -> list[str]:
    """Give `member` `coupons` usable coupons spread over `templates` cash templates (no minimum), `lots`
    cashback lots of `lot_amount` and `buckets` points buckets of `bucket_points` (one a day, the soonest
    expiring first). The member's wallet and card must exist. Returns the coupon codes."""

    now = timezone.now()
    merchant_id = member.merchant_id
    made = CouponTemplate.objects.bulk_create([
        CouponTemplate(merchant_id=merchant_id, name=f"history {n}", kind=CouponTemplate.Kind.CASH,
                       amount_off=coupon_amount, validity=CouponTemplate.Validity.FIXED,
                       valid_from=now - datetime.timedelta(days=1), valid_until=now + datetime.timedelta(days=60),
                       per_member_limit=coupons, claim_token=secrets.token_urlsafe(12))
        for n in range(templates)])
    codes_given = codes.new_codes(coupons)
    Coupon.objects.bulk_create([
        Coupon(merchant_id=merchant_id, template=made[n % templates], member=member, code=code,
               state=Coupon.State.AVAILABLE, source=Coupon.Source.STAFF, valid_from=now - datetime.timedelta(days=1),
               valid_until=now + datetime.timedelta(days=60))
        for n, code in enumerate(codes_given)], batch_size=2000)
    for template in made:
        CouponTemplate.objects.filter(pk=template.pk).update(issued_count=coupons // templates)
    wallet = Wallet.objects.get(member=member)
    if lots:
        CashbackLot.objects.bulk_create([
            CashbackLot(merchant_id=merchant_id, wallet=wallet, source=CashbackLot.Source.CASHBACK,
                        reference=f"history-{n}", amount=lot_amount, remaining=lot_amount,
                        expires_at=now + datetime.timedelta(days=30 + n % 300))
            for n in range(lots)], batch_size=2000)
        total = lot_amount * lots
        Wallet.objects.filter(pk=wallet.pk).update(cashback=F("cashback") + total)
        wallet.refresh_from_db(fields=["cashback"])
        WalletEntry.objects.create(merchant_id=merchant_id, wallet=wallet, pocket=Pocket.CASHBACK, delta=total,
                                   balance_after=wallet.cashback, reason=WalletEntry.Reason.CASHBACK,
                                   reference="history")
    card = MembershipCard.objects.get(member=member)
    if buckets:
        today = timezone.localdate()
        PointsBucket.objects.bulk_create([
            PointsBucket(merchant_id=merchant_id, card=card, expires_on=today + datetime.timedelta(days=1 + n),
                         earned=bucket_points, remaining=bucket_points)
            for n in range(buckets)], batch_size=2000)
        total_points = bucket_points * buckets
        MembershipCard.objects.filter(pk=card.pk).update(points=F("points") + total_points)
        card.refresh_from_db(fields=["points"])
        PointsEntry.objects.create(merchant_id=merchant_id, card=card, delta=total_points, balance_after=card.points,
                                   reason=PointsReason.GIFT, reference="history")
    return codes_given
