"""Races on Postgres: many threads earning and spending points on one member."""

from decimal import Decimal

import pytest

from cards.membership import services
from cards.membership.models import PointsEntry
from tests.conftest import race, requires_postgres
from tests.membership.helpers import assert_audit_clean, make_program, points_of

pytestmark = [requires_postgres(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def test_concurrent_spends_never_overdraw_and_the_ledger_matches(tenant_a):
    make_program(tenant_a.merchant)
    member = tenant_a.member
    services.grant_points(member, 100, reason="gift")
    results, codes = race([lambda n=n: services.spend_points(member, 7, reason="coupon_exchange",
                                                              reference=f"C-{n}") for n in range(20)])
    assert len(results) == 14 and codes == ["points_insufficient"] * 6  # 14 × 7 = 98 ≤ 100 < 105
    assert points_of(member) == 2
    assert_audit_clean(tenant_a.merchant)


def test_many_threads_earning_and_spending_on_one_member_keep_balance_equal_to_ledger(tenant_a):
    make_program(tenant_a.merchant, cost_money_unit=D("1.00"), increase_bonus=1)
    member = tenant_a.member
    services.grant_points(member, 50, reason="gift")
    calls = []
    for n in range(12):
        calls.append(lambda n=n: services.earn_for_payment(member, paid_amount=D("10.00"), reference=f"PAY-{n}"))
        calls.append(lambda n=n: services.spend_points(member, 15, reason="points_deduction", reference=f"S-{n}"))
        calls.append(lambda n=n: services.grant_points(member, 3, reason="gift", reference=f"G-{n}"))
    results, codes = race(calls)
    assert set(codes) <= {"points_insufficient"}
    spends = 12 - len(codes)
    card = services.card_for(member)
    assert card.points == 50 + 12 * 10 + 12 * 3 - 15 * spends >= 0
    assert (card.experience, card.total_spend) == (120, D("120.00"))
    assert min(PointsEntry.objects.values_list("balance_after", flat=True)) >= 0
    assert_audit_clean(tenant_a.merchant)


def test_the_same_payment_racing_itself_earns_once(tenant_a):
    make_program(tenant_a.merchant)
    member = tenant_a.member
    results, codes = race([lambda: services.earn_for_payment(member, paid_amount=D("30.00"), reference="PAY-X")
                            for _ in range(8)])
    assert not codes and {r.points for r in results} == {30}
    assert points_of(member) == 30
    assert_audit_clean(tenant_a.merchant)


def test_opening_the_card_racing_itself_gives_the_opening_points_once(tenant_a):
    member = tenant_a.member  # joined before the programme existed: no card yet
    make_program(tenant_a.merchant, opening_points=20)
    race([lambda: services.card_for(member) for _ in range(6)])
    assert points_of(member) == 20 and PointsEntry.objects.filter(reason="opening").count() == 1
    assert_audit_clean(tenant_a.merchant)
