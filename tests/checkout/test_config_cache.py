"""The merchant's configuration and the terminal are cached for the payment path: a change is seen by the next call."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from cards.membership.models import Level
from checkout.services import checkout_settings
from checkout.services.config import config_key, merchant_config
from coupons.models import CouponTemplate
from tests.benefit_helpers import reward_rule
from tests.checkout.helpers import PAYMENTS, QUOTE, coupon_for, fund_wallet, program_with_levels, set_level
from wallet.models import BalanceTier, CashbackRule

D = Decimal


@pytest.fixture
def gold(tenant_a):
    """A Gold member (95%) with 500.00 of stored value."""
    program_with_levels(tenant_a.merchant)
    set_level(tenant_a.member, 2)
    fund_wallet(tenant_a.member, "500.00")
    return tenant_a


def quote(t, amount="100.00", **extra) -> dict:
    response = t.api().post(QUOTE, {"amount": amount, "member": {"phone": t.member.phone}, **extra}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def adjustments(data) -> list[tuple[str, str]]:
    return [(line["kind"], line["amount"]) for line in data["adjustments"]]


def test_a_changed_level_discount_prices_the_next_quote(gold):
    assert adjustments(quote(gold)) == [("level", "5.00")]
    assert cache.get(config_key(gold.merchant.pk)) is not None  # the first quote cached the configuration
    level = Level.objects.get(merchant=gold.merchant, rank=2)
    level.discount_percent = D("80")
    level.save()
    assert adjustments(quote(gold)) == [("level", "20.00")]


def test_a_new_or_deleted_balance_tier_applies_at_once(gold):
    assert adjustments(quote(gold, use_wallet=True)) == [("level", "5.00")]
    tier = BalanceTier.objects.create(merchant=gold.merchant, min_balance=D("100.00"), discount_percent=D("90"))
    assert adjustments(quote(gold, use_wallet=True)) == [("level", "5.00"), ("balance_tier", "9.50")]
    tier.delete()
    assert adjustments(quote(gold, use_wallet=True)) == [("level", "5.00")]


def test_checkout_settings_saved_by_the_merchant_apply_to_the_next_payment(gold):
    assert adjustments(quote(gold)) == [("level", "5.00")]
    settings = checkout_settings(gold.merchant)
    settings.random_reduction_enabled = True
    settings.random_reduction_min = settings.random_reduction_max = D("1.00")
    settings.random_reduction_daily_budget = D("50.00")
    settings.save()
    assert adjustments(quote(gold, bill_id="B1")) == [("level", "5.00"), ("random", "1.00")]


def test_a_cashback_rule_made_after_the_first_payment_pays_on_the_next(gold):
    paid = gold.api().post(PAYMENTS, {"amount": "10.00", "member": {"phone": gold.member.phone}, "use_wallet": True},
                           format="json")
    assert paid.status_code == 201 and paid.json()["cashback_earned"] == "0.00"
    CashbackRule.objects.create(merchant=gold.merchant, percent=D("10"))
    paid = gold.api().post(PAYMENTS, {"amount": "10.00", "member": {"phone": gold.member.phone}, "use_wallet": True},
                           format="json")
    assert paid.status_code == 201 and paid.json()["cashback_earned"] == "0.95"


def test_a_reward_rule_limited_to_another_store_later_stops_applying_here(gold):
    rule = reward_rule(merchant=gold.merchant, name="10 points", points=10)
    assert [r["rule"] for r in quote(gold)["rewards"]] == [rule.pk]
    rule.stores.add(gold.other_store)  # only the m2m changes: the rule row itself is not saved
    assert quote(gold)["rewards"] == []


def test_a_coupon_template_limited_to_another_store_is_refused_at_once(gold):
    coupon = coupon_for(gold.member, name="5 off", amount_off=D("5.00"), minimum_bill=None)
    assert ("coupon", "5.00") in adjustments(quote(gold, coupon_code=coupon.code))
    CouponTemplate.objects.get(pk=coupon.template_id).stores.add(gold.other_store)
    response = gold.api().post(QUOTE, {"amount": "100.00", "member": {"phone": gold.member.phone},
                                       "coupon_code": coupon.code}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "coupon_wrong_store"


@pytest.mark.parametrize("owner, switch, status, code", [
    ("store", "is_open", 400, "store_closed"),
    ("merchant", "is_active", 401, "terminal_revoked"),
])
def test_a_closed_store_or_switched_off_merchant_is_refused_although_the_terminal_was_cached(
        gold, owner, switch, status, code):
    for _call in range(2):  # the second call authenticates with the terminal the first one cached
        quote(gold)
    row = getattr(gold, owner)
    setattr(row, switch, False)
    row.save()
    response = gold.api().post(QUOTE, {"amount": "100.00"}, format="json")
    assert response.status_code == status and response.json()["error"]["code"] == code


def test_a_reader_that_loaded_the_old_rows_before_a_change_cannot_make_anyone_use_them(
        gold, django_capture_on_commit_callbacks):
    key = config_key(gold.merchant.pk)
    version_before, old_rows = cache.get(f"{key}:version"), merchant_config(gold.merchant.pk)
    with django_capture_on_commit_callbacks(execute=True):
        level = Level.objects.get(merchant=gold.merchant, rank=2)
        level.discount_percent = D("80")
        level.save()
    cache.set(key, (version_before, old_rows))  # what that reader's `cached` keeps, after the change
    assert adjustments(quote(gold)) == [("level", "20.00")]


def test_payments_go_on_from_the_database_when_the_cache_is_unreachable(gold, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    assert adjustments(quote(gold)) == [("level", "5.00")]
    paid = gold.api().post(PAYMENTS, {"amount": "10.00", "member": {"phone": gold.member.phone}, "use_wallet": True},
                           format="json")
    assert paid.status_code == 201


@pytest.mark.django_db
def test_inside_one_api_call_a_key_is_read_from_the_cache_once_and_forgetting_it_reads_it_again():
    """`remembered` (each API call, ContractView.dispatch): the merchant's configuration, asked for twice a payment,
    costs one cache round trip; a change the call makes itself is seen at once."""
    from loyalty.config_cache import cached, forget, remembered

    key = "test:remembered"
    forget([key])
    with remembered():
        first = cached(key, lambda: {"value": 1})
        # Somebody else changes the cached value meanwhile: this call keeps what it read (as if read at its start).
        version = cache.get(f"{key}:version")
        cache.set(key, (version, {"value": 2}))
        assert cached(key, lambda: {"value": 3}) is first
        forget([key])  # the call's own change: read afresh
        assert cached(key, lambda: {"value": 4}) == {"value": 4}
    assert cached(key, lambda: {"value": 5}) == {"value": 4}  # outside: the cache, as before


def test_a_payment_reads_the_terminal_and_what_it_needs_of_the_merchant_in_one_cache_round_trip(gold, monkeypatch):
    from django.core.cache import caches

    from merchants.services.staff import split_terminal_key, terminal_cache_key
    from webhooks.services.endpoints import subscriptions_key

    def pay():
        paid = gold.api().post(PAYMENTS, {"amount": "10.00", "member": {"phone": gold.member.phone},
                                          "use_wallet": True}, format="json")
        assert paid.status_code == 201

    pay()  # this process learns the terminal's merchant
    backend, reads = caches["default"], []
    read = backend.get_many
    monkeypatch.setattr(backend, "get_many", lambda keys, *args, **kwargs: reads.append(list(keys)) or read(
        keys, *args, **kwargs))
    pay()
    assert len(reads) == 1
    assert {terminal_cache_key(split_terminal_key(gold.terminal_key)), config_key(gold.merchant.pk),
            subscriptions_key(gold.merchant.pk)} <= set(reads[0])


@pytest.mark.django_db
def test_a_key_read_ahead_is_checked_as_if_read_then_and_forgetting_it_reads_it_again():
    from loyalty.config_cache import cached, forget, read_ahead, remembered

    key = "test:read-ahead"
    forget([key])
    assert cached(key, lambda: {"value": 1}) == {"value": 1}
    with remembered():
        read_ahead([key])
        # Changed after the read ahead: this call keeps what it read, as if it had asked then.
        cache.set(f"{key}:version", "another")
        assert cached(key, lambda: {"value": 2}) == {"value": 1}
        forget([key])  # the call's own change: read afresh
        assert cached(key, lambda: {"value": 3}) == {"value": 3}
    with remembered():
        read_ahead([key])
        forget([key])
        assert cached(key, lambda: {"value": 4}) == {"value": 4}
