"""The bounded read of the lots a draw reaches (`lots_covering(first=)`): it draws exactly what the full read draws.

Cashback lots and points buckets are read by summing only the first lots in spending order and, in the same
statement, every lot when those do not reach the amount. These tests compare it with the full running-sum read
on the same rows: enough lots in the prefix, too few (the fall back), lots past their day, ties in the order,
and random lots and amounts.
"""

import contextlib
import datetime
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards.membership import services as membership
from cards.membership.models import PointsBucket
from cards.membership.services import ledger
from loyalty.ledgers import draw_lots
from tests.checkout.helpers import fund_wallet, give_points
from wallet.models import CashbackLot, Wallet
from wallet.services import accounts


@contextlib.contextmanager
def rolled_back():
    """Lots made for a read only (no ledger entries): gone before the ledgers are audited."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="elsewhere reads are not compiled: the bounded read is the full one")


def _lots(wallet: Wallet, lots: list[tuple[str, int | None]], now: datetime.datetime) -> None:
    """Cashback lots of (remaining, days until expiry or None: never), all of 5.00 given."""
    CashbackLot.objects.bulk_create([
        CashbackLot(merchant_id=wallet.merchant_id, wallet=wallet, source=CashbackLot.Source.CASHBACK,
                    reference=f"lot-{n}", amount=D("5.00"), remaining=D(remaining),
                    expires_at=None if days is None else now + datetime.timedelta(days=days))
        for n, (remaining, days) in enumerate(lots)])


def _cashback_reads(wallet: Wallet, amount: D, now: datetime.datetime, first: int) -> tuple[list, list, int]:
    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        bounded = accounts._lots_reaching(wallet.pk, amount, now, first)
    full = list(accounts._lots_reach(wallet.pk, amount, now))
    return bounded, full, len(statements)


def _same(bounded: list, full: list) -> None:
    assert [(lot.pk, lot.remaining, lot._lot_sum_before) for lot in bounded] == [
        (lot.pk, lot.remaining, lot._lot_sum_before) for lot in full]


@pytest.fixture
def wallet(tenant_a) -> Wallet:
    fund_wallet(tenant_a.member, "10.00")
    return Wallet.objects.get(member=tenant_a.member)


@pytest.mark.parametrize("amount, first", [
    (D("0.70"), 5),  # the prefix reaches it
    (D("0.70"), 2),  # it does not: every lot is read, in the same statement
    (D("99.00"), 3),  # no lot reaches it: all of them
    (D("99.00"), 50),  # fewer lots than the prefix: all of them without the fall back
])
def test_the_cashback_a_payment_reaches_is_the_full_reads_in_one_statement(wallet, amount, first):
    now = timezone.now()
    with rolled_back():
        # Two past their day (one emptied, one with value), ties on the day, and one that never expires.
        _lots(wallet, [("0.20", -1), ("0.00", -2), ("0.30", 3), ("0.30", 3), ("0.30", 3), ("0.25", 9),
                       ("1.00", None)], now)
        bounded, full, statements = _cashback_reads(wallet, amount, now, first)
    _same(bounded, full)
    assert len(full) >= 3  # the two past their day and what reaches the amount
    assert statements == 1


def test_lots_past_their_day_are_read_though_they_fill_the_prefix(wallet):
    now = timezone.now()
    with rolled_back():
        _lots(wallet, [("0.10", -3), ("0.10", -2), ("0.10", -1), ("0.40", 2), ("0.40", 4)], now)
        bounded, full, statements = _cashback_reads(wallet, D("0.50"), now, 3)
    _same(bounded, full)
    # The three past their day fill the prefix of 3: the fall back reads them and the two that reach 0.50.
    assert [lot.remaining for lot in bounded] == [D("0.10"), D("0.10"), D("0.10"), D("0.40"), D("0.40")]
    assert statements == 1


@pytest.mark.parametrize("earn_day", [False, None, 40, 400])
@pytest.mark.parametrize("points, first", [(5, 10), (5, 2), (500, 3), (500, 80)])
def test_the_buckets_a_spend_reaches_are_the_full_reads_whatever_the_prefix(tenant_a, earn_day, points, first):
    give_points(tenant_a.member, 10)
    card = membership.card_for(tenant_a.member)
    today = datetime.date.today()
    day = earn_day if earn_day in (False, None) else today + datetime.timedelta(days=earn_day)
    with rolled_back():
        PointsBucket.objects.bulk_create([
            PointsBucket(merchant_id=card.merchant_id, card=card, expires_on=today + datetime.timedelta(days=days),
                         earned=3, remaining=3, created_at=tenant_a.member.joined_at)
            for days in (-2, -1, 5, 9, 30, 40)])
        with CaptureQueriesContext(connection) as statements:
            if day is False or day is None:
                bounded = ledger._spend_reach_compiled[day](card.pk, points, today, first)
            else:
                bounded = ledger._spend_reach_compiled["day"](card.pk, points, today, first, day)
        full = list(ledger._spend_reach(card.pk, points, today, day))
    assert [(b.pk, b.expires_on, b._lot_sum_before) for b in bounded] == [
        (b.pk, b.expires_on, b._lot_sum_before) for b in full]
    assert len(statements) == 1
    if earn_day == 40:
        assert any(bucket.expires_on == day for bucket in bounded)  # the earning's bucket, beyond the prefix too


@postgres_only
def test_the_bounded_read_reads_the_prefix_and_leaves_the_full_read_unrun(wallet):
    now = timezone.now()
    with rolled_back():
        _lots(wallet, [("0.50", 10 + n % 40) for n in range(400)], now)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE wallet_cashbacklot")
        read = accounts._lots_reach(wallet.pk, D("2.00"), now, 20)
        sql, params = read.queryset.query.get_compiler(using="default").as_sql()
        sql, params = read.rewrite(sql, list(params))
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    prefix, _, full = plan.partition("One-Time Filter: (NOT")
    # The first 20 lots walked in the index's order (no sort of the 400), the full read never run.
    assert "using cashback_lot_spend_order" in prefix and "Limit (actual rows=20 " in prefix, plan
    assert "never executed" in full, plan


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lots=st.lists(st.tuples(st.integers(0, 500), st.one_of(st.none(), st.integers(-3, 6))), min_size=0,
                     max_size=25),
       cents=st.integers(1, 6000), first=st.integers(1, 30))
def test_a_draw_from_the_bounded_read_takes_the_amount_exactly_and_no_lot_twice(wallet, lots, cents, first):
    now = timezone.now()
    amount = D(cents) / 100
    with rolled_back():
        _lots(wallet, [(str(D(remaining) / 100), days) for remaining, days in lots], now)
        bounded, full, statements = _cashback_reads(wallet, amount, now, first)
    _same(bounded, full)
    assert statements == 1
    live = [lot for lot in bounded if lot.expires_at is None or lot.expires_at > now]
    drawn, short = draw_lots(live, amount)
    available = sum((D(r) / 100 for r, days in lots if days is None or days > 0), D("0.00"))
    assert sum((taken for _lot, taken in drawn), D("0.00")) == min(amount, available)
    assert short == max(amount - available, D("0.00"))
    assert len({lot.pk for lot, _taken in drawn}) == len(drawn)


@pytest.mark.parametrize("newest_first", [False, True])
@pytest.mark.parametrize("points, first", [(4, 10), (4, 1), (40, 3), (40, 90)])
def test_a_draw_and_a_take_back_read_the_buckets_the_full_read_gives(tenant_a, newest_first, points, first):
    give_points(tenant_a.member, 10)
    card = membership.card_for(tenant_a.member)
    today = datetime.date.today()
    with rolled_back():
        PointsBucket.objects.bulk_create([
            PointsBucket(merchant_id=card.merchant_id, card=card, expires_on=None if days is None
                         else today + datetime.timedelta(days=days), earned=3, remaining=3,
                         created_at=tenant_a.member.joined_at)
            for days in (-2, 0, 5, 9, 30, None)])
        with CaptureQueriesContext(connection) as statements:
            bounded = ledger._draw_reach[newest_first](card.pk, points, today, first)
        full = list(ledger._live_reach(card.pk, points, today, None, newest_first=newest_first))
    assert [(b.pk, b.expires_on, b._lot_sum_before) for b in bounded] == [
        (b.pk, b.expires_on, b._lot_sum_before) for b in full]
    assert len(statements) == 1
    assert all(b.expires_on is None or b.expires_on >= today for b in bounded)  # live buckets only
