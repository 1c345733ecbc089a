"""One row of a tenant per finance admin model, for the tenant-isolation tests."""

from finance.models import Statement
from finance.services.statements import upload_statement
from loyalty.usable_cards import merchant_zone


def _statement(t) -> Statement:
    return upload_statement(t.merchant, data=b"trade_no,amount,paid_at\nT-1,10.00,2026-12-01 10:00\n",
                            file_name="bill.csv", channel="wechat", staff=None, zone=merchant_zone(t.merchant))


FACTORIES = {"finance.statement": _statement}
