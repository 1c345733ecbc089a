"""The coupons and members reports read a busy merchant's year from one index each, never the table: the
statement that counts a year's coupons (or groups a year's payments per member) reads only columns of its index,
so the database can answer it by an index-only scan, already in the order it groups by. A column added to the
statement and not to the index would make every report read the table again (seconds over a year): these tests
ask the database's planner for the statement's plan with the table scans ruled out."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coupons import services as coupons
from tests.coupons.helpers import make_members, make_template, paid_days_ago
from tests.reports.helpers import run, today_scope

pytestmark = pytest.mark.django_db


def _statement(code: str, scope, marker: str) -> str:
    with CaptureQueriesContext(connection) as queries:
        run(code, scope)
    (sql,) = [query["sql"] for query in queries.captured_queries if marker in query["sql"]]
    return sql


def _plan_without_table_reads(sql: str) -> str:
    """The plan the database finds with the table's rows ruled out (only an index-only scan is left cheap)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            settings = ("enable_seqscan", "enable_indexscan", "enable_bitmapscan")
            for setting in settings:
                cursor.execute(f"SET LOCAL {setting} = off")
            try:
                cursor.execute(f"EXPLAIN {sql}")
                return "\n".join(row[0] for row in cursor.fetchall())
            finally:
                for setting in settings:
                    cursor.execute(f"RESET {setting}")
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _read_from_index_alone(plan: str, index: str) -> bool:
    if connection.vendor == "postgresql":
        return f"Index Only Scan using {index}" in plan
    return f"USING COVERING INDEX {index}" in plan


def test_the_coupons_issued_and_claimed_are_counted_from_the_coupon_issued_figures_index(tenant_a):
    template = make_template(tenant_a.merchant, name="满100减10", per_member_limit=2)
    for member in make_members(tenant_a.merchant, 2):
        coupons.claim_coupon(template, member)
    sql = _statement("coupons", today_scope(tenant_a.merchant), 'FROM "coupons_coupon"')
    plan = _plan_without_table_reads(sql)
    assert _read_from_index_alone(plan, "coupon_issued_figures"), plan


def test_each_members_visits_and_spend_are_read_from_the_payment_member_visits_index(tenant_a):
    for member in make_members(tenant_a.merchant, 2):
        paid_days_ago(member, 3, "80.00")
    sql = _statement("members", today_scope(tenant_a.merchant), "per_member")
    plan = _plan_without_table_reads(sql)
    assert _read_from_index_alone(plan, "payment_member_visits"), plan
