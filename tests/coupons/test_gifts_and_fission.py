"""Sharing: gifts move once and come back after 24 hours; fission unlocks at exactly N distinct friends."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from coupons import services
from coupons.models import Coupon
from loyalty.errors import DomainError
from tests.coupons.helpers import make_members, make_template


def _code_of(call):
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


def test_a_gift_moves_once_and_the_sender_loses_it(tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant, giftable=True), tenant_a.member)
    friend, other = make_members(tenant_a.merchant, 2)
    services.start_gift(coupon, tenant_a.member)
    assert _code_of(lambda: services.coupon_discount(coupon, bill_amount=Decimal("100"), store=tenant_a.store)) \
        == "coupon_not_usable"
    received = services.accept_gift(coupon.gift_token, friend)
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.GIFTED and received.member == friend
    assert received.code != coupon.code and received.valid_until == coupon.valid_until
    assert _code_of(lambda: services.accept_gift(coupon.gift_token or "gone", other)) == "coupon_gift_not_available"
    # A received gift cannot be passed on again.
    assert _code_of(lambda: services.start_gift(received, friend)) == "coupon_not_giftable"


def test_an_unclaimed_gift_comes_back_after_24_hours(tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant, giftable=True), tenant_a.member)
    services.start_gift(coupon, tenant_a.member)
    token = coupon.gift_token
    assert services.return_unclaimed_gifts(now=timezone.now() + datetime.timedelta(hours=23)) == 0
    assert services.return_unclaimed_gifts(now=timezone.now() + datetime.timedelta(hours=24, minutes=1)) == 1
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.AVAILABLE and coupon.gift_token is None
    friend = make_members(tenant_a.merchant, 1)[0]
    assert _code_of(lambda: services.accept_gift(token, friend)) == "coupon_gift_not_available"


def test_a_gift_not_taken_in_24_hours_cannot_be_accepted_even_before_the_sweep(tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant, giftable=True), tenant_a.member)
    services.start_gift(coupon, tenant_a.member)
    Coupon.objects.filter(pk=coupon.pk).update(gift_started_at=timezone.now() - datetime.timedelta(hours=25))
    friend = make_members(tenant_a.merchant, 1)[0]
    assert _code_of(lambda: services.accept_gift(coupon.gift_token, friend)) == "coupon_gift_not_available"


def test_only_giftable_coupons_can_be_gifted_and_not_to_oneself(tenant_a):
    plain = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    assert _code_of(lambda: services.start_gift(plain, tenant_a.member)) == "coupon_not_giftable"
    giftable = services.claim_coupon(make_template(tenant_a.merchant, name="g", giftable=True), tenant_a.member)
    services.start_gift(giftable, tenant_a.member)
    assert _code_of(lambda: services.accept_gift(giftable.gift_token, tenant_a.member)) == "coupon_gift_to_self"


def _fission(tenant, friends_needed=3):
    friend_template = make_template(tenant.merchant, name="Friend's 5 off", amount_off=Decimal("5.00"),
                                    minimum_bill=None, stock=None)
    template = make_template(tenant.merchant, name="Sharer's 30 off", amount_off=Decimal("30.00"),
                             fission_friends=friends_needed, friend_template=friend_template)
    return services.claim_coupon(template, tenant.member)


def test_fission_unlocks_at_exactly_n_distinct_friends(tenant_a):
    sharer = _fission(tenant_a, friends_needed=3)
    assert sharer.state == Coupon.State.LOCKED and sharer.share_token
    assert _code_of(lambda: services.coupon_discount(sharer, bill_amount=Decimal("200"), store=tenant_a.store)) \
        == "coupon_locked"
    first, second, third = make_members(tenant_a.merchant, 3)
    got = services.claim_through_share(sharer.share_token, first)
    assert got.member == first and got.state == Coupon.State.AVAILABLE and got.template.name == "Friend's 5 off"
    # The same friend twice does not count.
    assert _code_of(lambda: services.claim_through_share(sharer.share_token, first)) == \
        "coupon_fission_already_helped"
    services.claim_through_share(sharer.share_token, second)
    sharer.refresh_from_db()
    assert sharer.state == Coupon.State.LOCKED and services.friends_helped(sharer) == 2
    services.claim_through_share(sharer.share_token, third)
    sharer.refresh_from_db()
    assert sharer.state == Coupon.State.AVAILABLE
    assert services.coupon_discount(sharer, bill_amount=Decimal("200"), store=tenant_a.store)[0] == Decimal("30.00")


def test_the_sharer_cannot_help_themselves(tenant_a):
    sharer = _fission(tenant_a)
    assert _code_of(lambda: services.claim_through_share(sharer.share_token, tenant_a.member)) == \
        "coupon_fission_own_link"


def test_a_share_link_of_another_merchant_is_unknown(tenant_a, tenant_b):
    sharer = _fission(tenant_a)
    assert _code_of(lambda: services.claim_through_share(sharer.share_token, tenant_b.member)) == \
        "coupon_fission_not_available"
