"""Statement upload and matching: each of the four outcomes, the WeChat and Alipay layouts, bad files."""

from decimal import Decimal

import pytest

from checkout.services import Bill, pay, refund_payment
from finance import errors
from finance.demo import wechat_bill
from finance.models import Statement, StatementLine
from finance.reports import StatementMatching
from finance.services.statements import upload_statement
from loyalty.errors import DomainError
from loyalty.replica import REPLICA_ALIAS
from loyalty.usable_cards import merchant_today, merchant_zone
from tests.finance.helpers import today_scope

D = Decimal
pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)


def _pay(tenant, amount: str, trade_no: str, channel: str = "wechat"):
    return pay(Bill(store=tenant.store, amount=D(amount), terminal=tenant.terminal), channel=channel,
               trade_no=trade_no)


def _upload(tenant, text: str, channel: str = "wechat") -> Statement:
    return upload_statement(tenant.merchant, data=text.encode(), file_name="bill.csv", channel=channel,
                            staff=tenant.owner.user, zone=merchant_zone(tenant.merchant))


def _generic(*lines: str) -> str:
    return "trade_no,amount,paid_at,kind\n" + "\n".join(lines) + "\n"


def test_statement_lines_are_matched_mismatched_foreign_or_missing(tenant_a, in_english):
    today = merchant_today(tenant_a.merchant)
    _pay(tenant_a, "30.00", "W-1")
    _pay(tenant_a, "45.50", "W-2")
    _pay(tenant_a, "12.00", "W-3")
    _pay(tenant_a, "99.00", "A-1", channel="alipay")  # another channel: no WeChat statement covers it
    _upload(tenant_a, _generic(f"W-1,30.00,{today} 10:00:00,payment", f"W-2,45.05,{today} 11:00,payment",
                               f"X-9,8.00,{today} 12:00,payment"))
    result = StatementMatching().compute(today_scope(tenant_a.merchant))
    outcomes = [(row["outcome_code"], row["trade_no"], row["theirs"], row["ours"], row["difference"], row["flag"])
                for row in result.rows]
    assert outcomes == [("matched", "W-1", D("30.00"), D("30.00"), D("0.00"), False),
                        ("amount_mismatch", "W-2", D("45.05"), D("45.50"), D("-0.45"), True),
                        ("not_ours", "X-9", D("8.00"), None, None, True),
                        ("missing", "W-3", None, D("12.00"), None, True)]
    assert {key: result.totals[key] for key in ("matched", "amount_mismatch", "not_ours", "missing")} == {
        "matched": 1, "amount_mismatch": 1, "not_ours": 1, "missing": 1}
    assert result.warnings == ["3 lines are not matched."]


def test_a_refund_line_is_checked_against_what_was_refunded_to_the_channel(tenant_a, in_english):
    today = merchant_today(tenant_a.merchant)
    payment = _pay(tenant_a, "80.00", "W-7")
    refund_payment(payment, D("20.00"), staff=tenant_a.owner.user)
    _upload(tenant_a, _generic(f"W-7,80.00,{today} 09:00,payment", f"W-7,-20.00,{today} 18:00,"))
    rows = StatementMatching().compute(today_scope(tenant_a.merchant)).rows
    assert [(row["outcome_code"], row["kind"], row["theirs"], row["ours"]) for row in rows] == [
        ("matched", "payment", D("80.00"), D("80.00")), ("matched", "refund", D("20.00"), D("20.00"))]
    assert StatementLine.objects.get(trade_no="W-7", kind="refund").amount == D("20.00")


def test_a_wechat_pay_bill_is_read_with_its_backquotes_and_summary(tenant_a):
    payment = _pay(tenant_a, "66.60", "4200001234")
    at = payment.created_at.astimezone(merchant_zone(tenant_a.merchant))
    statement = _upload(tenant_a, wechat_bill([(at, "4200001234", payment.number, "66.60")]).decode(),
                        channel="cash")
    assert (statement.layout, statement.channel, statement.line_count) == ("wechat", "wechat", 1)
    assert StatementMatching().compute(today_scope(tenant_a.merchant)).rows[0]["outcome_code"] == "matched"


def test_an_alipay_bill_is_read_in_gbk_with_its_comment_lines(tenant_a):
    _pay(tenant_a, "25.00", "2026120122001", channel="alipay")
    today = merchant_today(tenant_a.merchant)
    text = ("#支付宝业务明细查询\n#账号：[20880000000000000156]\n"
            "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
            "订单金额（元）,商家实收（元）,支付宝红包（元）\n"
            f"2026120122001\t,P1,交易,咖啡,{today} 08:00:00,{today} 08:00:05,,,,,,25.00,25.00,0.00\n"
            "#-----------------------------------------业务明细列表结束------------------------------------\n")
    statement = upload_statement(tenant_a.merchant, data=text.encode("gb18030"), file_name="alipay.csv",
                                 channel="wechat", staff=None, zone=merchant_zone(tenant_a.merchant))
    assert (statement.layout, statement.channel) == ("alipay", "alipay")
    assert StatementMatching().compute(today_scope(tenant_a.merchant)).rows[0]["outcome_code"] == "matched"


@pytest.mark.parametrize(("data", "code"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\xfa", errors.STATEMENT_UNREADABLE),
    (b"name,phone\nalice,138\n", errors.STATEMENT_LAYOUT_UNKNOWN),
    (b"trade_no,amount,paid_at\n", errors.STATEMENT_EMPTY),
    (b"trade_no,amount,paid_at\nT1,12.00,2026-12-01 10:00\nT2,12.345,2026-12-01 10:00\n",
     errors.STATEMENT_LINE_INVALID),
    (b"trade_no,amount,paid_at\nT1,12.00,yesterday\n", errors.STATEMENT_LINE_INVALID),
    (b"trade_no,amount,paid_at\n,12.00,2026-12-01 10:00\n", errors.STATEMENT_LINE_INVALID),
])
def test_a_bad_file_is_refused_whole_and_nothing_is_saved(tenant_a, data, code):
    with pytest.raises(DomainError) as refused:
        upload_statement(tenant_a.merchant, data=data, file_name="bad.csv", channel="wechat", staff=None,
                         zone=merchant_zone(tenant_a.merchant))
    assert refused.value.code == code and refused.value.field == "file"
    assert Statement.objects.count() == 0 and StatementLine.objects.count() == 0


def test_a_bad_line_names_its_row(tenant_a, in_english):
    with pytest.raises(DomainError) as refused:
        _upload(tenant_a, _generic("T1,12.00,2026-12-01 10:00,payment", "T2,abc,2026-12-01 10:00,payment"))
    assert refused.value.message == "Row 3: “abc” is not an amount."


def test_another_merchants_statements_and_payments_are_not_matched(tenant_a, tenant_b):
    today = merchant_today(tenant_a.merchant)
    _pay(tenant_a, "30.00", "W-1")
    _upload(tenant_a, _generic(f"W-1,30.00,{today} 10:00,payment"))
    _pay(tenant_b, "30.00", "W-1")
    assert StatementMatching().compute(today_scope(tenant_b.merchant)).rows == []
    assert [row["outcome_code"] for row in StatementMatching().compute(today_scope(tenant_a.merchant)).rows] == [
        "matched"]
