"""Finance's demo (`manage.py seed_demo`): each demo merchant gets a WeChat Pay statement of its last weeks.

The demo's payments were made without the platform's trade numbers (the demo has no platform), so the
WeChat ones of the last week (or weeks, to have a few) are given one first; the statement then lists them as
WeChat's bill would, with three lines that do not match, so the matching page shows every outcome: one amount differs,
one trade the platform reports that is not ours, and one of our payments left out of the statement.
"""

from __future__ import annotations

import datetime

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, LPad

from checkout.models import Channel, Payment, PaymentTender
from checkout.tenders import OUTSIDE
from finance.models import Statement
from finance.services.settlement import settle_days
from finance.services.statements import upload_statement
from loyalty.demo import DemoData
from loyalty.usable_cards import merchant_today, merchant_zone
from merchants.models import Merchant

DEMO_DAYS = 60
WECHAT_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
                 "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
                 "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")


def wechat_bill(lines: list[tuple[datetime.datetime, str, str, str]]) -> bytes:
    """A WeChat Pay trade bill of (time, trade number, our number, amount) lines, as the platform writes it."""
    out = [WECHAT_HEADER]
    for at, trade_no, number, amount in lines:
        out.append(f"`{at:%Y-%m-%d %H:%M:%S},`wx0000demo,`1900000109,`0,`,`{trade_no},`{number},`odemo,"
                   f"`MICROPAY,`SUCCESS,`OTHERS,`CNY,`{amount},`0.00,`0,`0,`0.00,`0.00,`,`,`demo,`,`0.00,`0.60%,"
                   f"`{amount},`0.00,`")
    out.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
    out.append(f"`{len(lines)},`0.00,`0.00,`0.00,`0.00,`0.00,`0.00")
    return "\n".join(out).encode("utf-8")


def seed_statement(merchant: Merchant) -> Statement | None:
    if Statement.objects.filter(merchant=merchant).exists():
        return None
    zone = merchant_zone(merchant)
    today = datetime.datetime.now(tz=zone).date()
    until = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    payments: list[Payment] = []
    for days in (7, 14, 28):  # the last week, or as many weeks as it takes to have a few WeChat payments
        since = until - datetime.timedelta(days=days)
        week = Payment.objects.filter(merchant=merchant, channel=Channel.WECHAT, created_at__gte=since,
                                      created_at__lt=until)
        paid = dict(PaymentTender.objects.filter(payment__in=week, kind=OUTSIDE).values_list("payment_id", "amount"))
        payments = [payment for payment in week.order_by("created_at") if payment.pk in paid]
        if len(payments) >= 3:
            break
    if len(payments) < 3:
        return None
    week.filter(trade_no="").update(trade_no=Concat(Value("42000"), LPad(Cast(F("pk"), CharField()), 12, Value("0"))))
    payments = [payment for payment in week.order_by("created_at") if payment.pk in paid]
    left_out = payments[len(payments) // 2]  # on a day the statement covers, so it shows as ours, not theirs
    lines = [(p.created_at.astimezone(zone), p.trade_no, p.number, f"{paid[p.pk]:.2f}") for p in payments
             if p is not left_out]
    at, trade_no, number, _amount = lines[0]
    lines[0] = (at, trade_no, number, f"{paid[payments[0].pk] + 1:.2f}")  # the platform says one yuan more
    lines.append((lines[-1][0], "4200009999" + f"{merchant.pk:08d}", "", "18.00"))  # a trade that is not ours
    return upload_statement(merchant, data=wechat_bill(lines), file_name="wechat-demo.csv", channel="",
                            staff=None, zone=zone)


class FinanceDemo(DemoData):
    """Registered in FinanceConfig.ready(); after checkout's payments."""

    code = "finance"
    order = 90

    @classmethod
    def seed_members_done(cls, merchant) -> None:
        seed_statement(merchant)
        # The weeks of history are kept as the hourly task would have kept them day by day.
        today = merchant_today(merchant)
        settle_days(merchant, first=today - datetime.timedelta(days=DEMO_DAYS), last=today)
