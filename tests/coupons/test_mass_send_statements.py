"""A mass send of a coupon alone runs the statements it always ran: benefit lines cost it nothing."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from coupons import services
from tests.coupons.helpers import make_members, make_template

# One batch of 4 with texts, counted before sends had lines (the COPY of Postgres is not a captured query), plus
# the texts' consent and pressure: the merchant's SMS cap and quiet hours read, the accepting members' phones read
# before the texts are written (on Postgres that read was part of the insert).
COUPON_BATCH_STATEMENTS = {"sqlite": 18, "postgresql": 17}


def test_a_coupon_only_batch_runs_the_same_statements_as_before_lines_existed(tenant_a):
    make_members(tenant_a.merchant, 7)
    issuance = services.create_issuance(make_template(tenant_a.merchant, stock=None), start=False)
    services.run_issuance(issuance.pk, batch_size=4, max_batches=1)
    with CaptureQueriesContext(connection) as batch:
        services.run_issuance(issuance.pk, batch_size=4, max_batches=1)
    statements = [query["sql"] for query in batch.captured_queries]
    assert len(statements) == COUPON_BATCH_STATEMENTS[connection.vendor], statements
    assert not any("couponissuancebenefit" in sql or "masssenddelivery" in sql for sql in statements)
