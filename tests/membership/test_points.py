"""The points ledger: earning, spending first-expiring-first, expiry, adjustments, refunds, the audit."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from cards.membership import services
from cards.membership.models import MembershipCard, PointsBucket, PointsEntry
from loyalty.errors import DomainError
from loyalty.models import OutboxMessage
from merchants.services import join_member
from tests.membership.helpers import assert_audit_clean, make_program, points_of

D = Decimal
pytestmark = pytest.mark.django_db


def _code(call):
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def _at(year, month, day, hour=12):
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


def test_joining_opens_the_card_at_the_entry_level_with_the_opening_points(tenant_a):
    make_program(tenant_a.merchant, opening_points=50)
    member = join_member(tenant_a.merchant, "13711110000")
    card = MembershipCard.objects.get(member=member)
    assert (card.level.name, card.points) == ("Silver", 50)
    assert PointsEntry.objects.get(card=card).reason == "opening"
    assert services.card_for(member).pk == card.pk and points_of(member) == 50
    assert_audit_clean(tenant_a.merchant)


def test_without_a_programme_the_card_opens_empty_on_first_use(tenant_a):
    assert not MembershipCard.objects.filter(member=tenant_a.member).exists()
    card = services.card_for(tenant_a.member)
    assert (card.level, card.points) == (None, 0)
    assert services.current_level(tenant_a.member) is None


def test_grant_and_spend_write_the_ledger(tenant_a):
    make_program(tenant_a.merchant)
    member = tenant_a.member
    entry = services.grant_points(member, 120, reason="recharge", reference="recharge:1", store=tenant_a.store)
    assert (entry.delta, entry.balance_after, entry.bucket.remaining) == (120, 120, 120)
    spent = services.spend_points(member, 100, reason="coupon_exchange", reference="coupon:9")
    assert (spent.delta, spent.balance_after) == (-100, 20)
    assert _code(lambda: services.spend_points(member, 21, reason="coupon_exchange")) == "points_insufficient"
    assert points_of(member) == 20 and PointsEntry.objects.count() == 2
    assert_audit_clean(tenant_a.merchant)


@pytest.mark.parametrize("bad", [0, -5, True, 1.5, "abc", 10**12])
def test_nonsense_amounts_are_refused_and_nothing_changes(tenant_a, bad):
    assert _code(lambda: services.grant_points(tenant_a.member, bad, reason="gift")) == "points_invalid"
    assert _code(lambda: services.spend_points(tenant_a.member, bad, reason="gift")) == "points_invalid"
    assert _code(lambda: services.grant_experience(tenant_a.member, bad, reason="gift")) == "experience_invalid"
    assert not PointsEntry.objects.exists()


def test_spending_takes_the_first_expiring_bucket_first(tenant_a, freezer):
    make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1)
    member = tenant_a.member
    freezer.move_to(_at(2026, 1, 10))
    services.grant_points(member, 100, reason="gift")
    services.grant_points(member, 10, reason="gift")  # same month: same bucket
    freezer.move_to(_at(2026, 2, 10))
    services.grant_points(member, 200, reason="gift")
    buckets = list(PointsBucket.objects.order_by("expires_on"))
    assert [(b.expires_on, b.remaining) for b in buckets] == [
        (datetime.date(2026, 2, 28), 110), (datetime.date(2026, 3, 31), 200)]
    services.spend_points(member, 150, reason="coupon_exchange")
    assert [b.remaining for b in PointsBucket.objects.order_by("expires_on")] == [0, 160]
    assert_audit_clean(tenant_a.merchant)


def test_expiry_takes_what_is_left_of_each_bucket_past_its_day(tenant_a, freezer):
    make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1)
    member = tenant_a.member
    freezer.move_to(_at(2026, 1, 10))
    services.grant_points(member, 100, reason="gift")
    freezer.move_to(_at(2026, 2, 10))
    services.grant_points(member, 200, reason="gift")
    services.spend_points(member, 30, reason="coupon_exchange")  # from January's points
    assert services.expire_points(_at(2026, 2, 28, 23)) == 0  # still valid on its last day
    assert services.expire_points(_at(2026, 3, 1, 0)) == 70
    assert points_of(member) == 200
    assert services.expire_points(_at(2026, 3, 1, 1)) == 0  # twice is harmless
    assert services.expire_points(_at(2026, 4, 1, 1)) == 200
    assert points_of(member) == 0
    expired = PointsEntry.objects.filter(reason="expired").order_by("pk")
    assert [e.delta for e in expired] == [-70, -200]
    assert_audit_clean(tenant_a.merchant)


def test_spending_never_uses_expired_points_even_before_the_sweep(tenant_a, freezer):
    make_program(tenant_a.merchant, points_expiry="years", points_expiry_period=1)
    freezer.move_to(_at(2025, 6, 1))
    services.grant_points(tenant_a.member, 100, reason="gift")
    assert PointsBucket.objects.get().expires_on == datetime.date(2026, 12, 31)
    freezer.move_to(_at(2027, 1, 1, 9))
    assert _code(lambda: services.spend_points(tenant_a.member, 1, reason="coupon_exchange")) == \
        "points_insufficient"
    # The refusal changes nothing; the sweep then takes the points.
    assert services.expire_points() == 100 and points_of(tenant_a.member) == 0
    assert PointsEntry.objects.filter(reason="expired").get().delta == -100
    assert_audit_clean(tenant_a.merchant)


def test_expire_points_command_is_idempotent(tenant_a, freezer):
    make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1)
    freezer.move_to(_at(2026, 1, 10))
    services.grant_points(tenant_a.member, 40, reason="gift")
    freezer.move_to(_at(2026, 3, 2))
    call_command("expire_points")
    call_command("expire_points")
    assert PointsEntry.objects.filter(reason="expired").count() == 1
    assert points_of(tenant_a.member) == 0


def test_members_are_warned_once_before_points_expire_one_message_each(tenant_a, freezer):
    make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1, expiry_warning_days=7)
    other = join_member(tenant_a.merchant, "13711112222")
    freezer.move_to(_at(2026, 1, 10))
    services.grant_points(tenant_a.member, 40, reason="gift")
    services.grant_points(other, 60, reason="gift")
    freezer.move_to(_at(2026, 2, 10))
    services.grant_points(tenant_a.member, 5, reason="gift")  # expires at the end of March: not yet
    assert services.warn_expiring_points(_at(2026, 2, 20)) == 0  # more than 7 days ahead
    assert services.warn_expiring_points(_at(2026, 2, 22)) == 2
    assert services.warn_expiring_points(_at(2026, 2, 23)) == 0
    bodies = sorted(OutboxMessage.objects.filter(kind="notice").values_list("recipient", "body"))
    assert [recipient for recipient, _body in bodies] == sorted([tenant_a.member.phone, other.phone])
    assert "40" in dict(bodies)[tenant_a.member.phone]


def test_staff_adjustment_needs_a_reason_and_keeps_it(tenant_a):
    staff = tenant_a.manager.user
    assert _code(lambda: services.adjust_points(tenant_a.member, 10, reason_text="  ", staff=staff)) == \
        "adjustment_reason_required"
    entry = services.adjust_points(tenant_a.member, 10, reason_text="Lost receipt", staff=staff)
    assert (entry.reason, entry.note, entry.staff, entry.balance_after) == ("adjustment", "Lost receipt", staff, 10)
    assert services.adjust_points(tenant_a.member, -4, reason_text="Typo", staff=staff).balance_after == 6
    assert _code(lambda: services.adjust_points(tenant_a.member, -7, reason_text="x", staff=staff)) == \
        "points_insufficient"
    assert _code(lambda: services.adjust_points(tenant_a.member, 0, reason_text="x", staff=staff)) == \
        "points_invalid"
    assert_audit_clean(tenant_a.merchant)


def test_a_payment_earns_once_per_reference_with_the_level_multiplier(tenant_a):
    make_program(tenant_a.merchant, multipliers={1: "1.5"}, cost_money_unit=D("1.00"), increase_bonus=1,
                 max_increase_bonus=60)
    member = tenant_a.member
    earned = services.earn_for_payment(member, paid_amount=D("80.50"), reference="PAY-1", store=tenant_a.store)
    assert earned == services.Earned(points=90, experience=80)  # capped at 60, × 1.5
    assert services.earn_for_payment(member, paid_amount=D("80.50"), reference="PAY-1") == earned
    card = services.card_for(member)
    assert (card.points, card.experience, card.total_spend) == (90, 80, D("80.50"))
    assert_audit_clean(tenant_a.merchant)


def test_a_refund_takes_back_what_is_left_and_records_the_shortfall(tenant_a):
    make_program(tenant_a.merchant)
    member = tenant_a.member
    services.earn_for_payment(member, paid_amount=D("100.00"), reference="PAY-1")
    services.spend_points(member, 70, reason="coupon_exchange")
    shortfall = services.take_back_for_refund(member, points=100, experience=100, spend=D("100.00"),
                                              reference="REFUND-1")
    assert shortfall == services.Shortfall(points=70)
    card = services.card_for(member)
    assert (card.points, card.experience, card.total_spend) == (0, 0, D("0.00"))
    again = services.take_back_for_refund(member, points=100, experience=100, spend=D("100.00"),
                                          reference="REFUND-1")
    assert again == shortfall and PointsEntry.objects.filter(reason="refund_taken_back").count() == 1
    assert_audit_clean(tenant_a.merchant)


def test_recharge_rewards_arrive_through_the_wallet(tenant_a):
    from tests.benefit_helpers import recharge_offer
    from tests.wallet.helpers import enable_stored_value
    from wallet import services as wallet

    make_program(tenant_a.merchant)
    enable_stored_value(tenant_a.merchant)
    recharge_offer(merchant=tenant_a.merchant, name="100", pay_amount=D("100.00"), points=300,
                                 experience=150)
    wallet.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    card = services.card_for(tenant_a.member)
    assert (card.points, card.experience, card.level.name) == (300, 150, "Gold")
    assert_audit_clean(tenant_a.merchant)


@pytest.mark.ledgers_tampered
def test_audit_finds_a_balance_changed_behind_the_ledger(tenant_a):
    services.grant_points(tenant_a.member, 10, reason="gift")
    MembershipCard.objects.filter(member=tenant_a.member).update(points=11)
    report = services.audit_points(tenant_a.merchant.pk)
    assert not report.clean and "points" in report.problems[0]


def test_a_spend_on_a_locked_card_expires_old_points_first_and_writes_every_entry_in_one_insert(
        tenant_a, freezer, django_assert_num_queries):
    make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1)
    member = tenant_a.member
    freezer.move_to(_at(2026, 1, 10))
    services.grant_points(member, 100, reason="gift")
    freezer.move_to(_at(2026, 2, 10))
    services.grant_points(member, 50, reason="gift")
    services.grant_points(member, 1, reason="gift")  # same month: same bucket
    freezer.move_to(_at(2026, 3, 5))
    services.grant_points(member, 200, reason="gift")
    with transaction.atomic():
        [card] = services.cards_for_update(member)
        # Buckets read once; January's expired, February's and March's drawn, all in one UPDATE; the card; one
        # INSERT.
        with django_assert_num_queries(4):
            services.spend_points(member, 60, reason="coupon_exchange", locked=card)
    with pytest.raises(DomainError), transaction.atomic():
        [card] = services.cards_for_update(member)
        services.spend_points(member, 500, reason="coupon_exchange", locked=card)
    assert card.points == 191  # a refusal leaves the caller's card alone (its transaction is rolled back)
    assert [(e.reason, e.delta, e.balance_after) for e in PointsEntry.objects.filter(delta__lt=0).order_by("pk")] \
        == [("expired", -100, 251), ("coupon_exchange", -60, 191)]
    assert [b.remaining for b in PointsBucket.objects.order_by("expires_on")] == [0, 0, 191]
    assert_audit_clean(tenant_a.merchant)


def test_earning_on_a_locked_card_upgrades_at_once_and_a_used_reference_fails_the_transaction(
        tenant_a, django_assert_num_queries):
    program = make_program(tenant_a.merchant)
    member = tenant_a.member
    levels = services.levels_of(program)
    with transaction.atomic():
        [card] = services.cards_for_update(member)
        # The earning, the bucket read and filled, two ledger INSERTs and one UPDATE of the card; its level_changed
        # event (this payment reaches Gold), the card's event number counted inside its INSERT.
        with django_assert_num_queries(7):
            earned = services.earn_for_payment(member, paid_amount=D("120.00"), reference="PAY-L", locked=card,
                                               program=program, levels=levels)
    card = services.card_for(member)
    assert earned == services.Earned(points=120, experience=120)
    assert (card.points, card.experience, card.level.name) == (120, 120, "Gold")
    with pytest.raises(IntegrityError), transaction.atomic():
        [card] = services.cards_for_update(member)
        services.earn_for_payment(member, paid_amount=D("120.00"), reference="PAY-L", locked=card, program=program)
    assert services.card_for(member).points == 120
    assert_audit_clean(tenant_a.merchant)


def test_a_payment_that_spends_and_earns_on_a_locked_card_writes_the_card_and_the_entries_once(
        tenant_a, freezer, django_assert_num_queries):
    """Old points expire, the spend takes the first-expiring bucket, the earning fills this month's bucket (the one
    just drawn from): one read of the buckets, one INSERT of every points entry, one UPDATE of the card."""
    program = make_program(tenant_a.merchant, points_expiry="months", points_expiry_period=1)
    member = tenant_a.member
    freezer.move_to(_at(2026, 1, 10))
    services.grant_points(member, 100, reason="gift")
    freezer.move_to(_at(2026, 3, 5))
    services.grant_points(member, 200, reason="gift")
    levels = services.levels_of(program)
    with transaction.atomic():
        [card] = services.cards_for_update(member)
        # Buckets read; the earning; January's expired, March's drawn and filled in one UPDATE; the entries;
        # experience; the card; its level_changed event (120 reaches Gold), numbered inside its INSERT.
        with django_assert_num_queries(7):
            spent, earned = services.spend_and_earn_for_payment(
                card, points_used=50, spend_reason="points_deduction", paid_amount=D("120.00"), reference="PAY-S",
                program=program, levels=levels)
    assert spent.delta == -50 and earned == services.Earned(points=120, experience=120)
    card = services.card_for(member)
    assert (card.points, card.experience, card.level.name) == (270, 120, "Gold")
    assert [(e.reason, e.delta, e.balance_after) for e in PointsEntry.objects.filter(reference__in=[
        "PAY-S", f"bucket:{PointsBucket.objects.order_by('expires_on').first().pk}"]).order_by("pk")] == [
        ("expired", -100, 200), ("points_deduction", -50, 150), ("payment", 120, 270)]
    assert [(b.earned, b.remaining) for b in PointsBucket.objects.order_by("expires_on")] == [(100, 0), (320, 270)]
    assert_audit_clean(tenant_a.merchant)


def test_a_spend_with_an_earning_refused_for_want_of_points_changes_nothing(tenant_a):
    program = make_program(tenant_a.merchant)
    services.grant_points(tenant_a.member, 30, reason="gift")
    with pytest.raises(DomainError) as caught, transaction.atomic():
        [card] = services.cards_for_update(tenant_a.member)
        services.spend_and_earn_for_payment(card, points_used=31, spend_reason="points_deduction",
                                            paid_amount=D("10.00"), reference="PAY-X", program=program,
                                            levels=services.levels_of(program))
    assert caught.value.code == "points_insufficient"
    assert services.card_for(tenant_a.member).points == 30 and not PointsEntry.objects.filter(reference="PAY-X")
    assert_audit_clean(tenant_a.merchant)
