"""Getting coupons: stock, per-member limits, audiences, join gifts, template states."""

import datetime

import pytest
from django.utils import timezone

from coupons import services
from coupons.models import Coupon, CouponTemplate
from loyalty.errors import DomainError
from merchants.services import join_member
from tests.coupons.helpers import make_members, make_template


def _code_of(call):
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


def test_stock_runs_out_and_counts_every_coupon(tenant_a):
    template = make_template(tenant_a.merchant, stock=2)
    members = make_members(tenant_a.merchant, 3)
    services.claim_coupon(template, members[0])
    services.claim_coupon(template, members[1])
    assert _code_of(lambda: services.claim_coupon(template, members[2])) == "coupon_out_of_stock"
    template.refresh_from_db()
    assert template.issued_count == 2 == Coupon.objects.filter(template=template).count()


def test_per_member_limit(tenant_a):
    template = make_template(tenant_a.merchant, per_member_limit=2)
    services.claim_coupon(template, tenant_a.member)
    services.claim_coupon(template, tenant_a.member)
    assert _code_of(lambda: services.claim_coupon(template, tenant_a.member)) == "coupon_claim_limit"


def test_stock_can_be_raised_but_not_below_what_was_issued(tenant_a):
    template = make_template(tenant_a.merchant, stock=3)
    for member in make_members(tenant_a.merchant, 2):
        services.claim_coupon(template, member)
    assert _code_of(lambda: services.set_template_stock(template, 1)) == "coupon_stock_below_issued"
    assert services.set_template_stock(template, 2).stock == 2
    assert services.set_template_stock(template, 500).stock == 500


def test_paused_and_ended_templates_give_nothing(tenant_a):
    template = make_template(tenant_a.merchant)
    services.set_template_status(template, CouponTemplate.Status.PAUSED)
    assert _code_of(lambda: services.claim_coupon(template, tenant_a.member)) == "coupon_template_not_claimable"
    services.set_template_status(template, CouponTemplate.Status.ENDED)
    assert _code_of(lambda: services.set_template_status(template, CouponTemplate.Status.ACTIVE)) == \
        "coupon_template_not_claimable"


def test_new_members_only(tenant_a):
    template = make_template(tenant_a.merchant, audience=CouponTemplate.Audience.NEW_MEMBERS, new_member_days=7)
    services.claim_coupon(template, tenant_a.member)
    veteran = join_member(tenant_a.merchant, "13712345678")
    veteran.joined_at = timezone.now() - datetime.timedelta(days=8)
    veteran.save()
    assert _code_of(lambda: services.claim_coupon(template, veteran)) == "coupon_audience_refused"


def test_certain_levels_only(tenant_a):
    from cards.membership.models import Level, MembershipCard, MembershipProgram

    program = MembershipProgram.objects.create(merchant=tenant_a.merchant, card_name="Card")
    gold = Level.objects.create(merchant=tenant_a.merchant, program=program, name="Gold", rank=2)
    template = make_template(tenant_a.merchant, audience=CouponTemplate.Audience.LEVELS)
    template.levels.set([gold])
    assert _code_of(lambda: services.claim_coupon(template, tenant_a.member)) == "coupon_audience_refused"
    MembershipCard.objects.update_or_create(member=tenant_a.member, defaults={
        "merchant": tenant_a.merchant, "level": gold})
    tenant_a.member.refresh_from_db()
    assert services.claim_coupon(template, tenant_a.member).state == Coupon.State.AVAILABLE


def test_another_merchants_member_gets_nothing(tenant_a, tenant_b):
    template = make_template(tenant_a.merchant)
    assert _code_of(lambda: services.claim_coupon(template, tenant_b.member)) == "coupon_wrong_merchant"


def test_join_gift_arrives_with_the_membership(tenant_a):
    make_template(tenant_a.merchant, name="Welcome", give_on_joining=True)
    make_template(tenant_a.merchant, name="Not a gift")
    sold_out = make_template(tenant_a.merchant, name="Sold out gift", give_on_joining=True, stock=0)
    member = join_member(tenant_a.merchant, "13755555555")
    assert [c.template.name for c in Coupon.objects.filter(member=member)] == ["Welcome"]
    assert Coupon.objects.get(member=member).source == Coupon.Source.JOIN_GIFT
    assert sold_out.coupons.count() == 0


def test_coupon_past_its_end_is_expired_by_the_sweep(tenant_a):
    coupon = services.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    assert services.expire_coupons(now=coupon.valid_until + datetime.timedelta(seconds=1)) == 1
    coupon.refresh_from_db()
    assert coupon.state == Coupon.State.EXPIRED


def test_points_exchange_spends_points_and_gives_the_coupon(tenant_a):
    from cards.membership import services as membership

    template = make_template(tenant_a.merchant, points_price=100)
    assert _code_of(lambda: services.exchange_points_for_coupon(template, tenant_a.member)) == "points_insufficient"
    assert not Coupon.objects.filter(template=template).exists()
    template.refresh_from_db()
    assert template.issued_count == 0
    membership.grant_points(tenant_a.member, 150, reason="adjustment")
    coupon = services.exchange_points_for_coupon(template, tenant_a.member)
    assert coupon.source == Coupon.Source.POINTS and coupon.member == tenant_a.member
    assert membership.card_for(tenant_a.member).points == 50


def test_hidden_coupons_are_not_exchanged_for_points(tenant_a):
    template = make_template(tenant_a.merchant, points_price=10, audience=CouponTemplate.Audience.HIDDEN)
    assert _code_of(lambda: services.exchange_points_for_coupon(template, tenant_a.member)) == "coupon_not_for_points"


def test_deleting_a_member_through_django_takes_their_coupons_along(tenant_a):
    """The database does not check the coupon's member key (mass sends would pay for it per row): Django does."""
    member = make_members(tenant_a.merchant, 1)[0]
    coupon = services.claim_coupon(make_template(tenant_a.merchant), member)
    member.delete()
    assert not Coupon.objects.filter(pk=coupon.pk).exists()
