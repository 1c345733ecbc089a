"""Writes sent together (loyalty.writes): one statement on Postgres, in order before anything else, with references
between the rows; at once elsewhere."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from loyalty import writes
from loyalty.ledgers import move_lots
from loyalty.money import ZERO
from loyalty.writes import written_together
from merchants.models import Store
from tests.checkout.helpers import fund_wallet
from wallet.models import Pocket, Recharge, Wallet, WalletDebit, WalletEntry

pytestmark = pytest.mark.django_db
D = Decimal


def requires_postgres():
    return pytest.mark.skipif(connection.vendor != "postgresql",
                              reason="needs Postgres: SQLite has no data-modifying CTEs, so nothing is held there")


@pytest.fixture
def wallet(tenant_a):
    fund_wallet(tenant_a.member, "100.00")
    return Wallet.objects.get(member=tenant_a.member)


def _debit(wallet, reference="R-1"):
    return WalletDebit(merchant_id=wallet.merchant_id, wallet=wallet, reference=reference, amount=D("1.00"),
                       principal=D("1.00"), bonus=ZERO, cashback=ZERO, sources={"principal": []})


def _entry(wallet, debit, delta="-1.00", after=None):
    return WalletEntry(merchant_id=wallet.merchant_id, wallet=wallet, pocket=Pocket.PRINCIPAL, delta=D(delta),
                       balance_after=after or wallet.principal, reason=WalletEntry.Reason.PAYMENT,
                       reference=debit.reference, debit=debit)


@requires_postgres()
def test_held_writes_go_in_one_statement_naming_each_other(wallet):
    recharge = Recharge.objects.get(wallet=wallet)
    with CaptureQueriesContext(connection) as captured, written_together():
        move_lots(Recharge, {recharge.pk: {"principal_left": D("-1.00")}})
        [debit] = writes.insert([_debit(wallet)])
        wallet.principal -= D("1.00")
        writes.update(wallet, ["principal"])
        entries = writes.insert([_entry(wallet, debit, "-0.50", D("99.50")),
                                 _entry(wallet, debit, "-0.50", D("99.00"))])
        wallet.cashback = D("0.00")
        writes.update(wallet, ["cashback"])  # the same row again: joins the first update
        assert debit.pk is None  # known once the writes go
    assert len(captured) == 1, [query["sql"] for query in captured]
    assert captured[0]["sql"].startswith("WITH w1 AS (UPDATE")
    assert debit.pk is not None and [entry.debit_id for entry in entries] == [debit.pk, debit.pk]
    assert entries[0].pk < entries[1].pk
    assert list(WalletEntry.objects.filter(debit=debit).order_by("pk").values_list("pk", "delta")) == [
        (entries[0].pk, D("-0.50")), (entries[1].pk, D("-0.50"))]
    wallet.refresh_from_db()
    recharge.refresh_from_db()
    assert (wallet.principal, recharge.principal_left) == (D("99.00"), D("99.00"))


@requires_postgres()
@pytest.mark.ledgers_tampered  # a balance written with no entry: only the order of statements matters here
def test_a_read_inside_the_block_sees_the_held_writes_first(wallet):
    with CaptureQueriesContext(connection) as captured, written_together():
        wallet.principal = D("7.00")
        writes.update(wallet, ["principal"])
        assert Wallet.objects.get(pk=wallet.pk).principal == D("7.00")
        writes.insert([_debit(wallet)])
    assert [query["sql"].split()[0] for query in captured] == ["WITH", "SELECT", "WITH"]


@requires_postgres()
def test_a_constraint_a_held_write_breaks_fails_the_transaction(wallet):
    with pytest.raises(IntegrityError), transaction.atomic(), written_together():
        wallet.principal = D("-1.00")  # the balance may not go below zero (a CheckConstraint)
        writes.update(wallet, ["principal"])
    wallet.refresh_from_db()
    assert wallet.principal == D("100.00")


@requires_postgres()
def test_a_block_that_fails_sends_nothing(wallet):
    with CaptureQueriesContext(connection) as captured:
        with pytest.raises(RuntimeError), written_together():
            writes.insert([_debit(wallet)])
            raise RuntimeError("refused")
    assert len(captured) == 0
    assert not WalletDebit.objects.exists()


@pytest.mark.ledgers_tampered  # an entry written with no balance change: only when it is written matters here
def test_outside_a_block_every_write_is_made_at_once(wallet):
    [debit] = writes.insert([_debit(wallet)])
    assert debit.pk is not None
    [entry] = writes.insert([_entry(wallet, debit)])
    assert WalletEntry.objects.get(pk=entry.pk).debit_id == debit.pk


def test_a_row_somebody_listens_to_is_saved_as_the_orm_saves_it(tenant_a):
    """A store feeds cached keys (forget_on_change): its save signals must fire, so it is never held."""
    with CaptureQueriesContext(connection) as captured, written_together():
        [store] = writes.insert([Store(merchant=tenant_a.merchant, name="third")])
        assert store.pk is not None
    assert Store.objects.filter(pk=store.pk).exists()
    assert not any(query["sql"].startswith("WITH") for query in captured)


@requires_postgres()
def test_a_held_insert_sends_plain_values_as_the_row_holds_them_and_others_through_their_field(wallet):
    """A value of its own field's type (a text, an int, a decimal, an aware time) goes as it is; anything else (an
    int in a text field) the field prepares, as `save()` would."""
    recharge = Recharge.objects.get(wallet=wallet)
    with written_together():
        move_lots(Recharge, {recharge.pk: {"principal_left": D("-1.00")}})
        [debit] = writes.insert([_debit(wallet, reference=1234)])
        wallet.principal -= D("1.00")
        writes.update(wallet, ["principal"])
        entry = _entry(wallet, debit, "-1.00", D("99.00"))
        entry.reference = "R-1234"
        writes.insert([entry])
    stored = WalletDebit.objects.get(pk=debit.pk)
    assert (stored.reference, stored.amount) == ("1234", D("1.00"))
    assert WalletEntry.objects.get(pk=entry.pk).debit_id == debit.pk


@requires_postgres()
def test_a_held_insert_sends_a_choice_as_its_text_and_a_money_amount_as_its_decimal(wallet):
    """`TextChoices` members and `MoneyField` amounts take the plain way too: what is sent is what the field would
    have made of them."""
    sent = []

    def keep(execute, sql, params, many, context):
        sent.append(params)
        return execute(sql, params, many, context)

    recharge = Recharge.objects.get(wallet=wallet)
    with connection.execute_wrapper(keep), written_together():
        move_lots(Recharge, {recharge.pk: {"principal_left": D("-1.00")}})
        [debit] = writes.insert([_debit(wallet)])
        wallet.principal -= D("1.00")
        writes.update(wallet, ["principal"])
        [entry] = writes.insert([_entry(wallet, debit, "-1.00", D("99.00"))])
    [params] = sent
    assert {type(value) for value in params if isinstance(value, str | Decimal)} == {str, Decimal}
    stored = WalletEntry.objects.get(pk=entry.pk)
    assert (stored.pocket, stored.reason, stored.delta) == (Pocket.PRINCIPAL, WalletEntry.Reason.PAYMENT, D("-1.00"))
