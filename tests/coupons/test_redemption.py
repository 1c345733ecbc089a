"""Redemption (核销): once, recorded, reversible within the limit by those allowed."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from coupons import services
from coupons.models import Coupon, CouponRedemption
from loyalty.errors import DomainError
from tests.coupons.helpers import make_template


def _coupon(tenant, **fields):
    return services.claim_coupon(make_template(tenant.merchant, **fields), tenant.member)


def test_redeeming_marks_used_and_records_who_where_and_the_payment(tenant_a):
    coupon = _coupon(tenant_a)
    redemption = services.redeem_coupon(coupon, bill_amount=Decimal("150.00"), store=tenant_a.store,
                                        terminal=tenant_a.terminal, staff=tenant_a.cashier.user,
                                        payment_reference="PAY-1")
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.USED and coupon.used_at is not None
    assert (redemption.discount, redemption.store, redemption.terminal, redemption.staff,
            redemption.payment_reference) == (Decimal("10.00"), tenant_a.store, tenant_a.terminal,
                                               tenant_a.cashier.user, "PAY-1")


def test_a_second_redemption_is_refused_and_changes_nothing(tenant_a):
    coupon = _coupon(tenant_a)
    services.redeem_coupon(coupon, bill_amount=Decimal("150.00"), store=tenant_a.store)
    with pytest.raises(DomainError) as refused:
        services.redeem_coupon(coupon, bill_amount=Decimal("150.00"), store=tenant_a.store)
    assert refused.value.code == "coupon_used"
    assert CouponRedemption.objects.filter(coupon=coupon).count() == 1


def test_a_refused_redemption_changes_nothing(tenant_a):
    coupon = _coupon(tenant_a)
    with pytest.raises(DomainError):
        services.redeem_coupon(coupon, bill_amount=Decimal("50.00"), store=tenant_a.store)
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.AVAILABLE and not CouponRedemption.objects.exists()


def test_reversal_within_the_limit_gives_the_coupon_back(tenant_a):
    coupon = _coupon(tenant_a)
    services.redeem_coupon(coupon, bill_amount=Decimal("150.00"), store=tenant_a.store)
    redemption = services.reverse_redemption(coupon, staff=tenant_a.manager.user, reason="refund")
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.AVAILABLE and redemption.reversed_at is not None
    assert redemption.reversal_reason == "refund" and redemption.reversed_by == tenant_a.manager.user
    # It can be used again, and the reversed use stays on record.
    services.redeem_coupon(coupon, bill_amount=Decimal("150.00"), store=tenant_a.store)
    assert CouponRedemption.objects.filter(coupon=coupon).count() == 2


def test_reversal_after_the_limit_is_refused(tenant_a):
    coupon = _coupon(tenant_a)
    redemption = services.redeem_coupon(coupon, bill_amount=Decimal("150.00"), store=tenant_a.store)
    CouponRedemption.objects.filter(pk=redemption.pk).update(redeemed_at=timezone.now() - datetime.timedelta(days=2))
    with pytest.raises(DomainError) as refused:
        services.reverse_redemption(coupon, reason="late")
    assert refused.value.code == "coupon_reversal_too_late"


def test_a_reversed_coupon_past_its_end_comes_back_expired(tenant_a):
    coupon = _coupon(tenant_a)
    services.redeem_coupon(coupon, bill_amount=Decimal("150.00"), store=tenant_a.store)
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now() - datetime.timedelta(minutes=1))
    coupon.refresh_from_db()
    services.reverse_redemption(coupon, reason="refund")
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.EXPIRED


def test_reversing_an_unused_coupon_is_refused(tenant_a):
    with pytest.raises(DomainError) as refused:
        services.reverse_redemption(_coupon(tenant_a), reason="?")
    assert refused.value.code == "coupon_not_redeemed"


def test_state_machine_refuses_moves_it_does_not_allow(tenant_a):
    from coupons import states

    coupon = _coupon(tenant_a)
    states.move(coupon, Coupon.State.VOID)
    with pytest.raises(DomainError) as refused:
        states.move(coupon, Coupon.State.AVAILABLE)
    assert refused.value.code == "coupon_state_change"
    assert not states.can_move(Coupon.State.GIFTED, Coupon.State.AVAILABLE)
