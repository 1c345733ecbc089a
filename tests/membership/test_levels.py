"""Levels: upgrading at once, never dropping, re-evaluation every N days with a warning before a drop."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from cards.membership import services
from cards.membership.models import Level, MembershipCard
from loyalty.models import OutboxMessage
from tests.membership.helpers import make_program

D = Decimal
pytestmark = pytest.mark.django_db


def _level_name(member) -> str | None:
    level = services.current_level(member)
    return level.name if level else None


def _pay(member, amount: str, reference: str):
    return services.earn_for_payment(member, paid_amount=D(amount), reference=reference)


def test_a_payment_crossing_a_threshold_upgrades_at_once(tenant_a):
    make_program(tenant_a.merchant)  # by experience: Silver 0, Gold 100, Diamond 1000
    member = tenant_a.member
    services.card_for(member)
    assert _level_name(member) == "Silver"
    _pay(member, "99.00", "P1")
    assert _level_name(member) == "Silver"
    _pay(member, "1.00", "P2")
    assert _level_name(member) == "Gold"
    _pay(member, "5000.00", "P3")  # skips straight to the top
    assert _level_name(member) == "Diamond"


def test_the_new_levels_multiplier_applies_from_the_next_payment(tenant_a):
    make_program(tenant_a.merchant, multipliers={2: "2"})
    member = tenant_a.member
    assert _pay(member, "100.00", "P1").points == 100  # earned at Silver, makes Gold
    assert _pay(member, "10.00", "P2").points == 20


def test_levels_by_cumulative_spend(tenant_a):
    make_program(tenant_a.merchant, level_basis="spend", experience_per_unit=0)
    _pay(tenant_a.member, "100.00", "P1")
    assert _level_name(tenant_a.member) == "Gold"


def test_experience_from_a_recharge_or_gift_upgrades_too(tenant_a):
    make_program(tenant_a.merchant)
    services.grant_experience(tenant_a.member, 150, reason="gift")
    assert _level_name(tenant_a.member) == "Gold"


def test_a_refund_never_drops_a_never_drop_level(tenant_a):
    make_program(tenant_a.merchant)
    _pay(tenant_a.member, "200.00", "P1")
    services.take_back_for_refund(tenant_a.member, points=200, experience=200, spend=D("200.00"), reference="R1")
    assert _level_name(tenant_a.member) == "Gold"
    assert services.recompute_levels() == 0
    assert _level_name(tenant_a.member) == "Gold"


def test_recompute_lifts_members_when_the_merchant_lowers_a_threshold(tenant_a):
    program = make_program(tenant_a.merchant)
    _pay(tenant_a.member, "60.00", "P1")
    Level.objects.filter(program=program, rank=2).update(threshold=D("50"))
    assert services.recompute_levels() == 1
    assert _level_name(tenant_a.member) == "Gold"
    assert services.recompute_levels() == 0  # twice is harmless


def _reevaluated(merchant):
    return make_program(merchant, retention="reevaluate", retention_days=30, drop_warning_days=7)


def test_reevaluation_keeps_the_level_of_members_who_kept_spending(tenant_a, freezer):
    _reevaluated(tenant_a.merchant)
    start = timezone.now()
    _pay(tenant_a.member, "150.00", "P1")
    assert _level_name(tenant_a.member) == "Gold"
    freezer.move_to(start + datetime.timedelta(days=20))
    _pay(tenant_a.member, "120.00", "P2")
    freezer.move_to(start + datetime.timedelta(days=31))
    assert services.recompute_levels() == 0  # 120 in the last 30 days: still Gold, a new period starts
    card = MembershipCard.objects.get(member=tenant_a.member)
    assert card.level.name == "Gold" and card.level_since == start + datetime.timedelta(days=31)


def test_members_are_warned_once_before_a_drop_then_the_level_drops(tenant_a, freezer):
    _reevaluated(tenant_a.merchant)
    start = timezone.now()
    _pay(tenant_a.member, "150.00", "P1")
    freezer.move_to(start + datetime.timedelta(days=22))
    assert services.warn_level_drops() == 0  # more than 7 days before the review
    freezer.move_to(start + datetime.timedelta(days=24))
    assert services.warn_level_drops() == 1
    assert services.warn_level_drops() == 0  # once per period
    message = OutboxMessage.objects.get(kind="notice", recipient=tenant_a.member.phone)
    assert "Gold" in message.body or "黄金" in message.body or "Silver" in message.body
    assert services.recompute_levels() == 0  # not due yet
    freezer.move_to(start + datetime.timedelta(days=31))
    call_command("recompute_levels")
    assert _level_name(tenant_a.member) == "Silver"
    call_command("recompute_levels")
    assert _level_name(tenant_a.member) == "Silver"


def test_no_warning_for_members_whose_spending_keeps_their_level(tenant_a, freezer):
    _reevaluated(tenant_a.merchant)
    start = timezone.now()
    _pay(tenant_a.member, "150.00", "P1")
    freezer.move_to(start + datetime.timedelta(days=25))
    _pay(tenant_a.member, "100.00", "P2")
    assert services.warn_level_drops() == 0


def test_in_a_reevaluated_programme_upgrades_count_only_the_last_n_days(tenant_a, freezer):
    _reevaluated(tenant_a.merchant)
    start = timezone.now()
    _pay(tenant_a.member, "60.00", "P1")
    freezer.move_to(start + datetime.timedelta(days=40))
    _pay(tenant_a.member, "60.00", "P2")  # 120 in total, but only 60 in the last 30 days
    assert _level_name(tenant_a.member) == "Silver"
    _pay(tenant_a.member, "40.00", "P3")
    assert _level_name(tenant_a.member) == "Gold"
