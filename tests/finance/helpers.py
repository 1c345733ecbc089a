"""Builders for finance tests: a day of payments at two stores with stored value, a level discount and a refund."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from checkout.models import Channel, Payment
from checkout.services import Bill, pay, refund_payment
from loyalty.reports import ReportScope
from loyalty.usable_cards import merchant_today, merchant_zone
from tests.checkout.helpers import fund_wallet, program_with_levels, set_level

D = Decimal


def today_scope(merchant, *, days: int = 0, store_ids: tuple[int, ...] = ()) -> ReportScope:
    today = merchant_today(merchant)
    return ReportScope(merchant_id=merchant.pk, start=today - datetime.timedelta(days=days), end=today,
                       zone=merchant_zone(merchant), store_ids=store_ids)


@dataclass
class Day:
    wechat: Payment
    cash: Payment


def a_day_of_payments(tenant) -> Day:
    """Gold member (5% off) pays 200.00: 100.00 from stored value, 90.00 by WeChat Pay (trade T-1) at the
    store's till, then gets 30.00 back; a passer-by pays 50.00 cash at the second store, with no till."""
    program_with_levels(tenant.merchant)
    set_level(tenant.member, 2)
    fund_wallet(tenant.member, "100.00")
    wechat = pay(Bill(store=tenant.store, amount=D("200.00"), member=tenant.member, use_wallet=True,
                      terminal=tenant.terminal), channel="wechat", trade_no="T-1")
    refund_payment(wechat, D("30.00"), staff=tenant.owner.user)
    cash = pay(Bill(store=tenant.other_store, amount=D("50.00")), channel="cash")
    return Day(wechat=wechat, cash=cash)


@dataclass
class Shift:
    cashier_cash: Payment
    cashier_wechat: Payment
    manager_cash: Payment
    self_pay: Payment


def a_day_by_cashier(tenant) -> Shift:
    """At the store's till (POS 1): its cashier takes 80.00 cash (10.00 of it refunded later by the manager) and
    20.00 by WeChat Pay; the manager takes 50.00 cash. A member pays 30.00 themselves online (self-pay)."""
    tenant.cashier.store = tenant.store
    tenant.cashier.save()
    cashier_cash = pay(Bill(store=tenant.store, amount=D("80.00"), terminal=tenant.terminal,
                            cashier=tenant.cashier), channel="cash")
    cashier_wechat = pay(Bill(store=tenant.store, amount=D("20.00"), terminal=tenant.terminal,
                              cashier=tenant.cashier), channel="wechat")
    manager_cash = pay(Bill(store=tenant.store, amount=D("50.00"), terminal=tenant.terminal,
                            cashier=tenant.manager), channel="cash")
    refund_payment(cashier_cash, D("10.00"), staff=tenant.manager.user)
    self_pay = pay(Bill(store=tenant.store, amount=D("30.00"), member=tenant.member), channel=Channel.SANDBOX,
                   source=Payment.Source.SELF_PAY)
    return Shift(cashier_cash=cashier_cash, cashier_wechat=cashier_wechat, manager_cash=manager_cash,
                 self_pay=self_pay)
