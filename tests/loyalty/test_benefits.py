"""The benefits registry: lines given under their own references, taken back in proportion and never twice."""

from decimal import Decimal

import pytest

from loyalty.benefits import (
    BENEFIT_KIND_UNKNOWN,
    BENEFIT_TARGET_FOREIGN,
    Given,
    Occasion,
    benefits,
    give_lines,
    kind_of,
    share_of,
    take_back,
)
from loyalty.errors import DomainError
from merchants.models import JoinGift
from tests.stamp_benefit import StampBenefit

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def stamps():
    with benefits.registered(StampBenefit()) as kind:
        yield kind


def _line(t, quantity, position=0):
    gift, _created = JoinGift.objects.get_or_create(merchant=t.merchant)
    return gift.benefits.create(merchant=t.merchant, kind="test_stamp", quantity=quantity, target_id=t.store.pk,
                                position=position)


def test_two_lines_of_one_kind_give_under_references_of_their_own(tenant_a, stamps):
    lines = [(_line(tenant_a, 2), tenant_a.store), (_line(tenant_a, 3, 1), tenant_a.store)]
    given = give_lines(lines, tenant_a.member, occasion=Occasion.REWARD, reference="reward:7")
    assert [record.reference for record in given] == ["reward:7", "reward:7:2"]


def test_a_refund_takes_back_its_share_then_the_rest_and_never_more(tenant_a, stamps):
    [given] = give_lines([(_line(tenant_a, 5), tenant_a.store)], tenant_a.member, occasion=Occasion.REWARD,
                         reference="reward:1")
    half = take_back([given], tenant_a.member, reference="R1", share=D("0.5"))
    rest = take_back(half, tenant_a.member, reference="R2")
    again = take_back(rest, tenant_a.member, reference="R3")
    assert stamps.taken == [("R1:1", 3), ("R2:1", 2)]
    assert (again[0].taken_quantity, again[0].quantity_left, stamps.held[tenant_a.member.pk]) == (5, 0, 0)


def test_the_share_is_rounded_half_up_and_capped_by_what_is_left():
    assert (share_of(5, D("0.5"), 5), share_of(5, D("0.5"), 2), share_of(D("2.50"), D("0.333"), D("2.50"))) == (
        3, 2, D("0.83"))


def test_a_given_record_survives_its_json():
    given = Given(kind="cashback", amount=D("2.50"), reference="reward:3", objects=(4,), codes=("ABC",),
                  taken_amount=D("1.00"))
    assert Given.from_record(given.as_record()) == given


def test_counted_items_stop_at_the_cap_over_all_lines(tenant_a, stamps):
    stamps.counted = True
    lines = [(_line(tenant_a, 4), tenant_a.store), (_line(tenant_a, 4, 1), tenant_a.store)]
    given = give_lines(lines, tenant_a.member, occasion=Occasion.RECHARGE, reference="recharge:1", most_counted=5)
    assert [record.quantity for record in given] == [4, 1]


def test_an_unknown_kind_and_another_merchants_target_are_refused(tenant_a, tenant_b, stamps):
    with pytest.raises(DomainError) as unknown:
        kind_of("no_such_kind")
    with pytest.raises(DomainError) as foreign:
        stamps.validate(merchant_id=tenant_a.merchant.pk, quantity=1, amount=D("0"), target=tenant_b.store)
    assert (unknown.value.code, foreign.value.code, foreign.value.field) == (
        BENEFIT_KIND_UNKNOWN, BENEFIT_TARGET_FOREIGN, "target")


def test_the_platform_registers_points_experience_coupons_and_cashback():
    assert {"points", "experience", "coupon", "cashback"} <= set(benefits.codes())
