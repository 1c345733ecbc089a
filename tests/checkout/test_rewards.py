"""Rewards after payment: who gets what, limits per store and in total, held rewards for payers who join."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cards.membership.services import card_for
from checkout.models import RewardGrant, RewardRule
from checkout.services import copy_rule
from coupons.models import Coupon
from merchants.services import create_terminal, join_member
from tests.benefit_helpers import reward_rule
from tests.checkout.helpers import PAYMENTS, QUOTE, assert_ledgers_clean, body, program_with_levels, refunds_url
from tests.coupons.helpers import make_template
from tests.wallet.helpers import balances

pytestmark = pytest.mark.django_db
D = Decimal


def rule(merchant, **fields):
    values = {"name": "Pay 50, get 20 points", "min_paid": D("50.00"), "points": 20}
    values.update(fields)
    stores = values.pop("stores", None)
    created = reward_rule(merchant=merchant, **values)
    if stores:
        created.stores.set(stores)
    return created


def pay(t, amount="60.00", member=True, terminal_api=None, **extra):
    data = body(amount, t.member if member else None, external={"channel": "cash"}, **extra)
    response = (terminal_api or t.api()).post(PAYMENTS, data, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_member_gets_points_coupon_and_cashback_after_paying_enough(tenant_a):
    program_with_levels(tenant_a.merchant)
    template = make_template(tenant_a.merchant, name="Next time 5 off", amount_off=D("5.00"), minimum_bill=None)
    rule(tenant_a.merchant, experience=3, coupon_template=template, cashback=D("2.50"))
    quote = tenant_a.api().post(QUOTE, body("60.00", tenant_a.member), format="json").json()
    assert [r["name"] for r in quote["rewards"]] == ["Pay 50, get 20 points"]
    paid = pay(tenant_a)
    assert paid["rewards"][0]["status"] == "given" and paid["rewards"][0]["points"] == 20
    assert card_for(tenant_a.member).points == 60 + 20
    assert Coupon.objects.filter(member=tenant_a.member, template=template, source="reward").count() == 1
    assert balances(tenant_a.member)[2] == D("2.50")
    assert_ledgers_clean(tenant_a.merchant)


def test_below_the_minimum_or_outside_the_window_or_store_gives_nothing(tenant_a):
    now = timezone.now()
    rule(tenant_a.merchant, name="over", starts_at=now - datetime.timedelta(days=9),
         ends_at=now - datetime.timedelta(days=1))
    rule(tenant_a.merchant, name="elsewhere", stores=[tenant_a.other_store])
    rule(tenant_a.merchant, name="big spenders", min_paid=D("100.00"))
    assert pay(tenant_a, "60.00")["rewards"] == []
    assert pay(tenant_a, "49.99")["rewards"] == []


def test_level_rule_only_for_that_level(tenant_a):
    program_with_levels(tenant_a.merchant)
    from cards.membership.models import Level
    gold = Level.objects.get(merchant=tenant_a.merchant, rank=2)
    created = rule(tenant_a.merchant)
    created.levels.set([gold])
    assert pay(tenant_a)["rewards"] == []
    from tests.checkout.helpers import set_level
    set_level(tenant_a.member, 2)
    assert len(pay(tenant_a)["rewards"]) == 1


def test_limits_per_member_per_store_and_in_total(tenant_a):
    rule(tenant_a.merchant, limit_per_store=1, limit_total=2)
    other_api = tenant_a.api()
    _terminal, key = create_terminal(tenant_a.other_store, name="POS 2")
    other_api.credentials(HTTP_AUTHORIZATION=f"Terminal {key}")
    assert len(pay(tenant_a)["rewards"]) == 1
    assert pay(tenant_a)["rewards"] == []  # once per store
    assert len(pay(tenant_a, terminal_api=other_api)["rewards"]) == 1  # the other store
    assert pay(tenant_a, terminal_api=other_api)["rewards"] == []  # twice in total
    assert RewardGrant.objects.count() == 2


def test_coupon_reward_respects_the_templates_stock(tenant_a):
    template = make_template(tenant_a.merchant, name="Scarce", amount_off=D("5.00"), minimum_bill=None, stock=1,
                             per_member_limit=5)
    rule(tenant_a.merchant, points=0, coupon_template=template)
    pay(tenant_a)
    paid = pay(tenant_a)
    assert paid["rewards"][0]["coupon"] is None  # out of stock: the reward is recorded without a coupon
    assert Coupon.objects.filter(template=template).count() == 1


def test_non_member_rewards_are_held_and_credited_when_they_join_within_7_days(tenant_a):
    program_with_levels(tenant_a.merchant)
    rule(tenant_a.merchant, for_non_members=True)
    stranger = {"phone": "13711112222"}
    quote = tenant_a.api().post(QUOTE, {"amount": "60.00", "member": stranger}, format="json").json()
    assert quote["rewards"][0]["held_until_joining"] is True
    paid = tenant_a.api().post(PAYMENTS, {"amount": "60.00", "member": stranger, "external": {"channel": "cash"}},
                               format="json").json()
    assert paid["member"] is None and paid["rewards"][0]["status"] == "pending"
    member = join_member(tenant_a.merchant, "13711112222")
    grant = RewardGrant.objects.get()
    assert grant.status == "given" and grant.member == member
    assert card_for(member).points == 20
    assert_ledgers_clean(tenant_a.merchant)


def test_held_rewards_lapse_after_7_days(tenant_a):
    rule(tenant_a.merchant, for_non_members=True)
    tenant_a.api().post(PAYMENTS, {"amount": "60.00", "member": {"phone": "13711112222"},
                                   "external": {"channel": "cash"}}, format="json")
    RewardGrant.objects.update(hold_until=timezone.now() - datetime.timedelta(seconds=1))
    join_member(tenant_a.merchant, "13711112222")
    assert RewardGrant.objects.get().status == "lapsed"


def test_full_refund_withdraws_the_rewards(tenant_a):
    program_with_levels(tenant_a.merchant)
    template = make_template(tenant_a.merchant, name="Next time", amount_off=D("5.00"), minimum_bill=None)
    rule(tenant_a.merchant, coupon_template=template, cashback=D("1.00"))
    paid = pay(tenant_a)
    refund = tenant_a.api().post(refunds_url(paid["id"]), {"amount": "60.00"}, format="json").json()
    assert refund["rewards_withdrawn"] == 1
    assert RewardGrant.objects.get().status == "withdrawn"
    assert Coupon.objects.get(template=template).state == Coupon.State.VOID
    assert card_for(tenant_a.member).points == 0 and balances(tenant_a.member)[2] == D("0.00")
    assert_ledgers_clean(tenant_a.merchant)


def test_partial_refund_below_the_minimum_withdraws_it(tenant_a):
    rule(tenant_a.merchant)
    paid = pay(tenant_a)
    assert tenant_a.api().post(refunds_url(paid["id"]), {"amount": "5.00"}, format="json").json()[
        "rewards_withdrawn"] == 0
    assert tenant_a.api().post(refunds_url(paid["id"]), {"amount": "10.00"}, format="json").json()[
        "rewards_withdrawn"] == 1


def test_copying_a_rule_keeps_its_settings_and_starts_inactive(tenant_a):
    original = rule(tenant_a.merchant, stores=[tenant_a.store], limit_total=3)
    copied = copy_rule(RewardRule.objects.get(pk=original.pk))
    assert copied.pk != original.pk and not copied.is_active and copied.limit_total == 3
    assert list(copied.stores.all()) == [tenant_a.store]
    assert RewardRule.objects.get(pk=original.pk).is_active
