"""What each kind of coupon takes off, and when and where it may be used."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from coupons import services
from coupons.models import CouponTemplate
from loyalty.errors import DomainError
from tests.coupons.helpers import make_template

D = Decimal
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _coupon(tenant, **fields):
    return services.issue_coupon(make_template(tenant.merchant, **fields), tenant.member, source="claim")


def _refusal(coupon, **kwargs):
    with pytest.raises(DomainError) as refused:
        services.coupon_discount(coupon, **kwargs)
    return refused.value.code


def test_cash_coupon_takes_its_amount_off_bills_at_the_minimum(tenant_a):
    coupon = _coupon(tenant_a)
    assert services.coupon_discount(coupon, bill_amount=D("100.00"), store=tenant_a.store)[0] == D("10.00")
    assert _refusal(coupon, bill_amount=D("99.99"), store=tenant_a.store) == "coupon_below_minimum"


def test_cash_coupon_without_minimum_never_takes_more_than_the_bill(tenant_a):
    coupon = _coupon(tenant_a, minimum_bill=None, amount_off=D("20.00"))
    assert services.coupon_discount(coupon, bill_amount=D("12.30"), store=tenant_a.store)[0] == D("12.30")


def test_no_threshold_as_amount_plus_a_cent_leaves_a_cent_to_pay(tenant_a):
    coupon = _coupon(tenant_a, amount_off=D("20.00"), minimum_bill=D("20.01"))
    assert services.coupon_discount(coupon, bill_amount=D("20.01"), store=tenant_a.store)[0] == D("20.00")
    assert _refusal(coupon, bill_amount=D("20.00"), store=tenant_a.store) == "coupon_below_minimum"


def test_discount_coupon_rounds_half_up_and_respects_its_cap(tenant_a):
    coupon = _coupon(tenant_a, kind=CouponTemplate.Kind.DISCOUNT, amount_off=None, minimum_bill=None,
                     discount_percent=D("88"), discount_cap=D("15.00"))
    # 12% of 10.45 is 1.254 -> 1.25; of 10.46 is 1.2552 -> 1.26
    assert services.coupon_discount(coupon, bill_amount=D("10.45"), store=tenant_a.store)[0] == D("1.25")
    assert services.coupon_discount(coupon, bill_amount=D("10.46"), store=tenant_a.store)[0] == D("1.26")
    assert services.coupon_discount(coupon, bill_amount=D("500.00"), store=tenant_a.store)[0] == D("15.00")


def test_exchange_coupon_takes_off_one_unit_of_the_free_item(tenant_a):
    coupon = _coupon(tenant_a, kind=CouponTemplate.Kind.EXCHANGE, amount_off=None, minimum_bill=None,
                     exchange_item="Latte", exchange_product="latte")
    lines = [{"product": "bagel", "amount": "8.00"}, {"product": "latte", "quantity": 2, "amount": "56.00"}]
    amount, reason = services.coupon_discount(coupon, bill_amount=D("64.00"), lines=lines, store=tenant_a.store)
    assert amount == D("28.00") and "Latte" in reason
    assert services.coupon_discount(coupon, bill_amount=D("64.00"), store=tenant_a.store)[0] == D("0.00")


def test_product_coupon_works_on_the_listed_lines_only(tenant_a):
    coupon = _coupon(tenant_a, scope=CouponTemplate.Scope.PRODUCTS, categories=["coffee"],
                     kind=CouponTemplate.Kind.DISCOUNT, amount_off=None, minimum_bill=D("30.00"),
                     discount_percent=D("50"))
    lines = [{"product": "latte", "category": "coffee", "amount": "32.00"},
             {"product": "cake", "category": "dessert", "amount": "40.00"}]
    assert services.coupon_discount(coupon, bill_amount=D("72.00"), lines=lines,
                                    store=tenant_a.store)[0] == D("16.00")
    cake_only = [lines[1]]
    assert _refusal(coupon, bill_amount=D("40.00"), lines=cake_only, store=tenant_a.store) == "coupon_below_minimum"
    assert _refusal(coupon, bill_amount=D("72.00"), store=tenant_a.store) == "coupon_not_applicable"


def test_fixed_validity_window(tenant_a):
    now = timezone.now()
    coupon = _coupon(tenant_a, valid_from=now + datetime.timedelta(hours=1),
                     valid_until=now + datetime.timedelta(days=2))
    assert _refusal(coupon, bill_amount=D("100"), store=tenant_a.store) == "coupon_not_yet_valid"
    later = now + datetime.timedelta(hours=2)
    assert services.coupon_discount(coupon, bill_amount=D("100"), store=tenant_a.store, at=later)[0] == D("10.00")
    after = now + datetime.timedelta(days=2)
    assert _refusal(coupon, bill_amount=D("100"), store=tenant_a.store, at=after) == "coupon_expired"


def test_relative_validity_counts_local_days_from_claiming(tenant_a):
    template = make_template(tenant_a.merchant, validity=CouponTemplate.Validity.RELATIVE, valid_from=None,
                             valid_until=None, valid_days=3, starts_after_days=1)
    # 23:30 in Shanghai is 15:30 UTC the same day: the local day counts, not the UTC one.
    claimed = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI)
    start, end = services.validity_for(template, claimed)
    assert start == datetime.datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI)
    assert end == datetime.datetime(2026, 3, 5, 0, 0, tzinfo=SHANGHAI)
    same_day = make_template(tenant_a.merchant, name="same day", validity=CouponTemplate.Validity.RELATIVE,
                             valid_from=None, valid_until=None, valid_days=1, starts_after_days=0)
    start, end = services.validity_for(same_day, claimed.astimezone(datetime.UTC))
    assert start == claimed and end == datetime.datetime(2026, 3, 2, 0, 0, tzinfo=SHANGHAI)


def test_store_list_limits_where_it_can_be_used(tenant_a):
    coupon = _coupon(tenant_a, stores=[tenant_a.other_store])
    assert _refusal(coupon, bill_amount=D("100"), store=tenant_a.store) == "coupon_wrong_store"
    assert services.coupon_discount(coupon, bill_amount=D("100"), store=tenant_a.other_store)[0] == D("10.00")


def test_another_merchants_store_is_refused(tenant_a, tenant_b):
    coupon = _coupon(tenant_a)
    assert _refusal(coupon, bill_amount=D("100"), store=tenant_b.store) == "coupon_wrong_merchant"


def test_days_of_week_and_hours_in_local_time(tenant_a):
    coupon = _coupon(tenant_a, weekdays=[1, 2, 3, 4, 5], hours_from=datetime.time(11), hours_until=datetime.time(14))
    monday_noon = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)
    coupon.valid_from = monday_noon - datetime.timedelta(days=10)
    coupon.valid_until = monday_noon + datetime.timedelta(days=10)
    assert services.coupon_discount(coupon, bill_amount=D("100"), store=tenant_a.store, at=monday_noon)[0]
    evening = monday_noon.replace(hour=20)
    assert _refusal(coupon, bill_amount=D("100"), store=tenant_a.store, at=evening) == "coupon_outside_hours"
    sunday = monday_noon - datetime.timedelta(days=1)
    assert _refusal(coupon, bill_amount=D("100"), store=tenant_a.store, at=sunday) == "coupon_outside_hours"
    # 04:00 UTC is noon in Shanghai: inside the window.
    assert services.coupon_discount(coupon, bill_amount=D("100"), store=tenant_a.store,
                                    at=monday_noon.astimezone(datetime.UTC))[0]


def test_used_coupon_is_refused(tenant_a):
    coupon = _coupon(tenant_a)
    services.redeem_coupon(coupon, bill_amount=D("120"), store=tenant_a.store)
    coupon.refresh_from_db()
    assert _refusal(coupon, bill_amount=D("120"), store=tenant_a.store) == "coupon_used"


def test_template_needs_the_fields_of_its_kind(tenant_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as invalid:
        make_template(tenant_a.merchant, kind=CouponTemplate.Kind.DISCOUNT, discount_percent=None)
    assert "discount_percent" in invalid.value.message_dict
