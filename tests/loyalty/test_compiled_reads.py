"""Reads compiled once (loyalty.compiled): the queryset's own rows, related rows, annotations and locks, with the
SQL the ORM wrote for it, sent again with new values."""

import datetime

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import post_init
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards.membership import services as membership
from cards.membership.models import MembershipCard, PointsBucket, PointsEntry, PointsReason
from cards.membership.services import ledger
from coupons.models import Coupon
from coupons.services import redemption
from loyalty.compiled import CompiledRead, update_rows
from merchants.models import Member
from tests.checkout.helpers import coupon_for, give_points

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_a_locked_coupon_with_its_template_and_store_check_is_the_querysets_own(tenant_a):
    coupons = [coupon_for(tenant_a.member, name=f"t{n}", stores=[tenant_a.store] if n else None) for n in range(2)]
    merchant_id, store_id = tenant_a.merchant.pk, tenant_a.other_store.pk
    with transaction.atomic():
        for coupon in coupons:
            [compiled] = redemption._coupon_locked_for_store(merchant_id, coupon.code, store_id)
            [plain] = redemption._coupons_by_code(merchant_id, coupon.code, for_update=True, store_id=store_id)
            assert _fields(compiled) == _fields(plain)
            assert _fields(compiled.template) == _fields(plain.template)
            assert (compiled.store_checked, compiled.store_allowed) == (store_id, plain.store_allowed)
        assert [redemption._coupon_locked_for_store(merchant_id, coupon.code, store_id)[0].store_allowed
                for coupon in coupons] == [True, False]  # the second is held to the other store
        assert redemption._coupon_locked_for_store(merchant_id, "NO-SUCH", store_id) == []


def test_the_second_call_sends_the_first_calls_sql_with_its_own_values(tenant_a, tenant_b):
    read = CompiledRead(lambda merchant_id, phone: Member.objects.filter(merchant_id=merchant_id, phone=phone),
                        int, str)
    with CaptureQueriesContext(connection) as captured:
        [first] = read(tenant_a.merchant.pk, tenant_a.member.phone)
        [second] = read(tenant_b.merchant.pk, tenant_b.member.phone)
        assert read(tenant_b.merchant.pk, tenant_a.member.phone) == []  # another merchant's member: not found
    assert (first.pk, second.pk) == (tenant_a.member.pk, tenant_b.member.pk)
    assert len(captured) == 3 and captured[0]["sql"].split("WHERE")[0] == captured[1]["sql"].split("WHERE")[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks: the ORM ignores them there")
@pytest.mark.django_db(transaction=True)
def test_a_locking_read_is_refused_outside_a_transaction_as_the_orm_refuses_it(tenant_a):
    membership.card_for(tenant_a.member)
    with pytest.raises(TransactionManagementError):
        ledger._one_card_locked(tenant_a.member.pk)
    with transaction.atomic():  # the same read compiled before: still refused outside
        ledger._one_card_locked(tenant_a.member.pk)
    with pytest.raises(TransactionManagementError):
        ledger._one_card_locked(tenant_a.member.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads are compiled once on Postgres only")
def test_a_value_that_does_not_reach_the_sql_as_given_is_refused_at_the_first_compile(tenant_a):
    read = CompiledRead(lambda phone: Member.objects.filter(phone__startswith=phone), str)
    with pytest.raises(TypeError, match="do not reach its SQL"):
        read(tenant_a.member.phone)


@pytest.mark.parametrize("earn_day", [False, None, "a day"])
def test_the_buckets_a_spend_reaches_are_those_the_orm_reads(tenant_a, earn_day):
    give_points(tenant_a.member, 10)
    card = membership.card_for(tenant_a.member)
    today = datetime.date.today()
    PointsBucket.objects.bulk_create([
        PointsBucket(merchant_id=card.merchant_id, card=card, expires_on=today + datetime.timedelta(days=days),
                     earned=3, remaining=3, created_at=tenant_a.member.joined_at)
        for days in (-2, 5, 9, 30, 40)])
    MembershipCard.objects.filter(pk=card.pk).update(points=F("points") + 15)
    card.refresh_from_db()
    PointsEntry.objects.create(merchant_id=card.merchant_id, card=card, delta=15, balance_after=card.points,
                               reason=PointsReason.GIFT, reference="buckets")
    day = today + datetime.timedelta(days=40) if earn_day == "a day" else earn_day
    with transaction.atomic():
        compiled = ledger._buckets_to_spend(card, 5, today, earn_day=day)
        plain = list(ledger._spend_reach(card.pk, 5, today, day))
    assert [_fields(bucket) for bucket in compiled] == [_fields(bucket) for bucket in plain]
    assert [bucket._lot_sum_before for bucket in compiled] == [bucket._lot_sum_before for bucket in plain]
    assert len(compiled) >= 3  # the one past its day, and the two the spend reaches


def test_the_coupon_a_payment_finds_by_code_is_unchanged_through_the_service(tenant_a):
    coupon = coupon_for(tenant_a.member)
    with transaction.atomic():
        found = redemption.find_coupon_by_code(tenant_a.merchant, coupon.code, for_update=True, store=tenant_a.store)
    assert (found.pk, found.template.name, found.store_allowed) == (coupon.pk, coupon.template.name, True)
    assert Coupon.objects.get(pk=coupon.pk).state == coupon.state


def test_a_row_update_changes_only_the_rows_its_conditions_match_and_says_how_many(tenant_a):
    coupon = coupon_for(tenant_a.member)
    now = timezone.now()
    assert update_rows(Coupon, {"pk": coupon.pk, "state": Coupon.State.USED}, {"state": Coupon.State.VOID}) == 0
    assert update_rows(Coupon, {"pk": coupon.pk, "state": coupon.state},
                       {"state": Coupon.State.USED, "used_at": now}) == 1
    stored = Coupon.objects.get(pk=coupon.pk)
    assert (stored.state, stored.used_at) == (Coupon.State.USED, now)


def test_instances_are_the_orms_own_and_a_post_init_receiver_sees_them(tenant_a):
    give_points(tenant_a.member, 10)
    card = membership.card_for(tenant_a.member)
    read = CompiledRead(lambda card_id: PointsBucket.objects.filter(card_id=card_id).only("pk", "remaining"), int)
    [filled] = read(card.pk)
    [plain] = PointsBucket.objects.filter(card_id=card.pk).only("pk", "remaining")
    assert (filled._state.adding, filled._state.db) == (plain._state.adding, plain._state.db)
    assert filled.get_deferred_fields() == plain.get_deferred_fields()
    assert (filled.remaining, filled.earned) == (plain.remaining, plain.earned)  # a deferred field loads on use
    seen = []

    def watch(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(watch, sender=PointsBucket)
    try:
        [watched] = read(card.pk)
    finally:
        post_init.disconnect(watch, sender=PointsBucket)
    assert seen == [watched.pk]
