"""Recharge offers give benefit lines of any registered kind and a refund of the recharge takes them back once."""

from decimal import Decimal

import pytest

from cards.membership.services import card_for, spend_points
from loyalty.benefits import benefits
from tests.benefit_helpers import recharge_offer
from tests.stamp_benefit import StampBenefit
from tests.wallet.helpers import assert_audit_clean, enable_stored_value
from wallet import services
from wallet.models import Recharge

D = Decimal


@pytest.fixture
def stamps(tenant_a):
    enable_stored_value(tenant_a.merchant)
    with benefits.registered(StampBenefit()) as kind:
        yield kind


def _stamp_offer(t, **fields):
    offer = recharge_offer(merchant=t.merchant, name="100 + stamps", pay_amount=D("100.00"), **fields)
    offer.benefits.create(merchant=t.merchant, kind="test_stamp", quantity=2, target_id=t.store.pk, position=5)
    return offer


def test_a_recharge_gives_a_kind_the_wallet_never_heard_of_and_its_refund_takes_it_back_once(tenant_a, stamps):
    _stamp_offer(tenant_a)
    recharge = services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    assert stamps.given == [(f"recharge:{recharge.pk}", 2)] and stamps.held[tenant_a.member.pk] == 2
    services.refund_recharge(recharge)
    assert stamps.taken == [(f"recharge-refund:{recharge.pk}:1", 2)] and stamps.held[tenant_a.member.pk] == 0
    assert Recharge.objects.get().given[0]["taken_quantity"] == 2


def test_a_recharge_records_what_its_lines_gave(tenant_a, stamps):
    _stamp_offer(tenant_a, points=40, experience=10)
    recharge = Recharge.objects.get(pk=services.recharge(tenant_a.member, "100.00").pk)
    assert (recharge.points, recharge.experience, recharge.coupons_given) == (40, 10, 0)
    assert [(record["kind"], record["quantity"]) for record in recharge.given] == [
        ("points", 40), ("experience", 10), ("test_stamp", 2)]


def test_recharge_points_already_spent_are_a_shortfall_on_refund(tenant_a, stamps):
    recharge_offer(merchant=tenant_a.merchant, name="100 + 40", pay_amount=D("100.00"), points=40)
    recharge = services.recharge(tenant_a.member, "100.00")
    spend_points(tenant_a.member, 30, reason="adjustment", reference="spent")
    services.refund_recharge(recharge)
    [record] = Recharge.objects.get().given
    assert (record["taken_quantity"], record["shortfall_quantity"]) == (10, 30)
    assert card_for(tenant_a.member).points == 0
    assert_audit_clean(tenant_a.merchant)
