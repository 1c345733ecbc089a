"""The pay path's statements prepared once a connection (loyalty.prepared): prepared the second time a connection
sees one, sent by name from then on, recorded as written, kept across rolled-back transactions, bounded, and
sent as before where they cannot be."""

import contextlib
import datetime
import re
import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards.membership.models import MembershipCard
from cards.membership.services import ledger
from loyalty import prepared
from tests.checkout.helpers import PAYMENTS, body, fund_wallet, give_points, program_with_levels
from wallet.models import WalletEntry

pytestmark = pytest.mark.django_db
D = Decimal


def requires_postgres():
    return pytest.mark.skipif(connection.vendor != "postgresql",
                              reason="prepared statements are Postgres's: elsewhere every statement is sent as written")


def _statement(label: str) -> str:
    """A statement no other test sends (a connection outlives a test, and so do its prepared statements)."""
    return f'SELECT %s::int + 1 AS "{label}_{uuid.uuid4().hex[:8]}", %s::text AS "t"'


def _run(sql, params):
    """The rows, and what reached the driver (the connection's execute wrappers see it) and Django's record."""
    sent = []

    def note(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as recorded, connection.execute_wrapper(note), connection.cursor() as c:
        prepared.execute(c, sql, params)
        rows = c.fetchall()
    return rows, sent, [query["sql"] for query in recorded.captured_queries]


def _prepared_names() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements")
        return dict(cursor.fetchall())


@requires_postgres()
def test_a_statement_seen_twice_is_prepared_then_sent_by_name_and_recorded_as_written():
    sql = _statement("twice")
    first, second, third = (_run(sql, [n, "a'b%"]) for n in (1, 2, 3))
    assert [rows for rows, _sent, _recorded in (first, second, third)] == [[(2, "a'b%")], [(3, "a'b%")], [(4, "a'b%")]]
    assert first[1] == [sql]  # the first time, as written
    # In a transaction (the test's) behind a savepoint: a PREPARE Postgres refused would fail it alone.
    # (A connection that holds `KEPT` already deallocates the least recently used first.)
    assert re.fullmatch(r"SAVEPOINT loyalty_prepare; (DEALLOCATE loyalty_\d+; )*PREPARE loyalty_\d+ "
                        r"\(int4, unknown\) AS .*; RELEASE SAVEPOINT loyalty_prepare; EXECUTE loyalty_\d+\(%s, %s\)",
                        second[1][0]), second[1][0]
    assert third[1][0].startswith("EXECUTE loyalty_") and "SELECT" not in third[1][0]
    name = third[1][0].split()[1].split("(")[0]
    assert "AS \"twice_" in _prepared_names()[name] and "$1::int + 1" in _prepared_names()[name]
    # Django's record (connection.queries, CaptureQueriesContext, the SQL log) is the statement with its values.
    for n, (_rows, _sent, recorded) in enumerate((first, second, third), start=1):
        assert recorded == [sql.replace("%s::int", f"{n}::int").replace("%s::text", "'a''b%'::text")]


@requires_postgres()
def test_a_prepared_statement_outlives_a_rolled_back_transaction():
    sql = _statement("rolled_back")
    _run(sql, [1, "x"])
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        rows, sent, _recorded = _run(sql, [2, "x"])  # prepared inside the transaction
        assert "; PREPARE loyalty_" in sent[0] and rows == [(3, "x")]
        raise ZeroDivisionError
    rows, sent, _recorded = _run(sql, [5, "x"])
    assert sent[0].startswith("EXECUTE") and rows == [(6, "x")]


@requires_postgres()
def test_values_of_another_type_are_prepared_for_their_own_types_and_choices_as_their_base_type():
    sql = 'SELECT %s AS "a", %s AS "b", %s AS "c", %s AS "d", %s AS "e", %s::text AS "f"'
    sql = sql.replace('"a"', f'"a_{uuid.uuid4().hex[:8]}"')
    now = timezone.now()
    small = [1, D("1.50"), now, datetime.date(2026, 12, 1), True, WalletEntry.Reason.PAYMENT]
    large = [2**40, D("2.50"), now, datetime.date(2026, 12, 2), False, "plain"]
    for values in (small, small, large, large, small):
        rows, _sent, _recorded = _run(sql, values)
        assert rows == [(*values[:5], str(values[5]))]
    declared = {statement.split(" AS ")[0].split("(", 1)[1] for name, statement in _prepared_names().items()
                if sql.split('"')[1] in statement}
    assert declared == {"int4, numeric, timestamptz, date, boolean, unknown)",
                        "int8, numeric, timestamptz, date, boolean, unknown)"}


@requires_postgres()
def test_a_list_is_sent_as_written_and_never_prepared():
    sql = f'SELECT %s AS "ids_{uuid.uuid4().hex[:8]}"'
    for _time in range(3):
        rows, sent, _recorded = _run(sql, [[1, 2]])
        assert sent == [sql] and rows == [([1, 2],)]


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_a_connection_keeps_so_many_and_deallocates_the_least_recently_used(monkeypatch):
    monkeypatch.setattr(prepared, "KEPT", 2)
    connection.close()  # a connection of no prepared statement
    statements = [_statement(f"kept{n}") for n in range(3)]
    names = []
    for sql in statements:
        _run(sql, [1, "x"])
        _rows, sent, _recorded = _run(sql, [1, "x"])
        names.append(sent[0].split("; EXECUTE ")[1].split("(")[0])
    left = _prepared_names()
    assert names[0] not in left and names[1] in left and names[2] in left
    assert len(connection.prepared_statements.executes) == 2
    rows, sent, _recorded = _run(statements[0], [7, "x"])  # seen again: prepared again, another name
    assert rows == [(8, "x")] and names[0] not in sent[0]


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_has_prepared_nothing():
    sql = _statement("reconnect")
    _run(sql, [1, "x"])
    _run(sql, [1, "x"])
    connection.close()
    rows, sent, _recorded = _run(sql, [2, "x"])
    assert sent == [sql] and rows == [(3, "x")]


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_a_statement_postgres_cannot_prepare_is_sent_as_written_and_fails_nothing():
    """`pg_typeof('text')` works with a quoted value but not with a parameter of no type: the try to prepare it is
    refused, and the statement is sent as written, then and from then on. In a transaction the try is behind a
    savepoint, so the transaction goes on."""
    for in_transaction in (False, True):
        sql = f'SELECT pg_typeof(%s)::text AS "typeof_{uuid.uuid4().hex[:8]}"'
        with transaction.atomic() if in_transaction else contextlib.nullcontext():
            for time in range(4):
                rows, sent, _recorded = _run(sql, ["a"])
                assert rows == [("unknown",)]
                if time == 1:
                    assert "PREPARE" in sent[0] and sent[-1] == sql
                    assert ("ROLLBACK TO SAVEPOINT" in sent[1]) is in_transaction
                else:
                    assert sent == [sql]
            assert _run('SELECT %s::int AS "still"', [1])[0] == [(1,)]


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_a_statement_its_table_changed_under_is_forgotten_and_prepared_again():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE prepared_changed (id int PRIMARY KEY, label varchar(10))")
        cursor.execute("INSERT INTO prepared_changed VALUES (1, 'one')")
    sql = 'SELECT "label" FROM prepared_changed WHERE "id" = %s'
    for _time in range(3):
        assert _run(sql, [1])[0] == [("one",)]
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE prepared_changed ALTER COLUMN label TYPE text")
    with pytest.raises(DatabaseError, match="cached plan must not change result type"):
        _run(sql, [1])
    rows, sent, _recorded = _run(sql, [1])  # forgotten: seen once more as written, then prepared again
    assert sent == [sql] and rows == [("one",)]
    rows, sent, _recorded = _run(sql, [1])
    assert "PREPARE" in sent[0] and rows == [("one",)]


def test_elsewhere_every_statement_is_sent_as_written():
    if connection.vendor == "postgresql":
        pytest.skip("on Postgres statements are prepared (the tests above)")
    sql = 'SELECT %s + 1 AS "n"'
    for n in range(3):
        rows, sent, _recorded = _run(sql, [n])
        assert sent == [sql] and rows == [(n + 1,)]


@requires_postgres()
def test_a_payment_once_warm_sends_its_own_statements_by_name(tenant_a):
    """After two payments of one shape on a connection, every statement of the next one goes by name: the claim,
    the reads and locks, the held writes, the coupon-free bill's events and the stored answer."""
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 1_000)
    fund_wallet(tenant_a.member, "500.00")
    sent = []

    def note(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    for n in range(3):
        sent.clear()
        with connection.execute_wrapper(note):
            response = tenant_a.api().post(PAYMENTS, body("20.00", tenant_a.member, points=100, use_wallet=True),
                                           format="json", HTTP_IDEMPOTENCY_KEY=f"prepared-{n}")
        assert response.status_code == 201, response.json()
    # The test's own transaction makes the payment's a savepoint.
    own = [sql for sql in sent if not sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(own) >= 10 and all(sql.startswith("EXECUTE loyalty_") for sql in own), sent


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_with_prepared_statements_off_a_connection_sends_every_statement_as_written(settings):
    settings.PREPARED_STATEMENTS = False  # behind a pooler in transaction mode
    connection.close()
    try:
        sql = _statement("off")
        for n in range(3):
            rows, sent, _recorded = _run(sql, [n, "x"])
            assert sent == [sql] and rows == [(n + 1, "x")]
    finally:
        connection.close()  # the next test's connection prepares again


@requires_postgres()
def test_a_compiled_read_is_planned_once_for_any_values_and_sees_its_own_constants(tenant_a):
    """A connection plans a prepared statement once (`plan_cache_mode`), and a compiled read's own constants are
    written into its SQL, so the generic plan of the buckets a spend reaches still walks the partial index of
    buckets with points left (`remaining > 0` as a parameter could not be proven to match its condition)."""
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 1_000)
    card_id = MembershipCard.objects.get(member=tenant_a.member).pk
    read = ledger._spend_reach_compiled[False]
    today = timezone.localdate()
    with transaction.atomic():
        for _time in range(2):
            assert [bucket.remaining for bucket in read(card_id, 100, today, 116)] == [1_000]
    compiled = read._compiled[("default", None)]
    assert compiled.sql.count("%s") == len(compiled.slots) and all(isinstance(slot, int) for slot in compiled.slots)
    assert '"remaining" > 0' in compiled.sql
    [sent] = [sent for (sql, _types), sent in connection.prepared_statements.executes.items() if sql == compiled.sql]
    params = [(card_id, 100, today, 116)[slot] for slot in compiled.slots]
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)
        cursor.execute(f"EXPLAIN {sent}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "points_bucket_spend_order" in plan and "$1" in plan, plan  # the generic plan, on the partial index
