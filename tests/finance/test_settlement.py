"""The daily settlement against a worked example: per store, till, channel and tender, with the refund."""

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.models import Payment, Refund
from checkout.services import Bill, pay
from finance.models import SettledDay, SettlementFigure
from finance.reports import DailySettlement
from finance.services.settlement import Grouped, settle, settle_days
from finance.tasks import settle_recent_days
from loyalty.replica import REPLICA_ALIAS
from loyalty.reports import ReportScope
from merchants.kept_days import DAYS_BACK
from tests.conftest import staff_client
from tests.finance.helpers import a_day_by_cashier, a_day_of_payments, today_scope

D = Decimal
# Reports read from the replica, another connection that sees only committed rows.
pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)


def test_settlement_splits_the_day_by_store_till_channel_and_tender(tenant_a, in_english):
    day = a_day_of_payments(tenant_a)
    result = DailySettlement().compute(today_scope(tenant_a.merchant))
    wechat, cash = result.rows
    assert (wechat["store"], wechat["till"], wechat["channel"]) == (tenant_a.store.name, "POS 1", "WeChat Pay")
    assert {name: wechat[name] for name in ("payments", "bills", "step:level", "discounts", "due",
                                            "tender:principal", "tender:external", "covered_inside", "refunded",
                                            "refund:principal", "refund:external", "platform_pays_in")} == {
        "payments": 1, "bills": D("200.00"), "step:level": D("10.00"), "discounts": D("10.00"),
        "due": D("190.00"), "tender:principal": D("100.00"), "tender:external": D("90.00"),
        "covered_inside": D("100.00"), "refunded": D("30.00"), "refund:principal": D("15.79"),
        "refund:external": D("14.21"), "platform_pays_in": D("75.79")}
    assert (cash["store"], cash["till"], cash["channel"]) == (tenant_a.other_store.name, "none", "cash")
    assert (cash["payments"], cash["due"], cash["tender:external"], cash["platform_pays_in"]) == (
        1, D("50.00"), D("50.00"), D("50.00"))
    assert result.totals["platform_pays_in"] == D("125.79")
    assert result.totals["bills"] == D("250.00") and result.totals["payments"] == 2
    assert day.wechat.refunds.get().lines.count() == 2


def test_the_store_filter_keeps_only_that_store(tenant_a):
    a_day_of_payments(tenant_a)
    result = DailySettlement().compute(today_scope(tenant_a.merchant, store_ids=(tenant_a.other_store.pk,)))
    assert [row["store"] for row in result.rows] == [tenant_a.other_store.name]
    assert result.totals["bills"] == D("50.00")


def test_another_merchants_payments_are_not_in_the_settlement(tenant_a, tenant_b):
    a_day_of_payments(tenant_a)
    assert DailySettlement().compute(today_scope(tenant_b.merchant)).rows == []


cents = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
key = st.tuples(st.sampled_from(["2026-01-01", "2026-01-02"]), st.sampled_from([1, 2]),
                st.sampled_from([None, 7]), st.sampled_from([None, 3, 4]), st.sampled_from(["terminal", "self_pay"]),
                st.sampled_from(["wechat", "cash"]))


@settings(max_examples=200, deadline=None)
@given(payments=st.lists(st.tuples(key, cents, cents), max_size=12),
       tenders=st.lists(st.tuples(key, st.sampled_from(["external", "principal", "cashback"]), cents), max_size=12),
       refunds=st.lists(st.tuples(key, st.sampled_from(["external", "principal"]), cents), max_size=12))
def test_settlement_sums_are_exact_to_the_cent(payments, tenders, refunds):
    def at(k):
        return {"day": k[0], "store": k[1], "terminal": k[2], "cashier": k[3], "source": k[4], "channel": k[5]}

    rows = settle(Grouped(
        payments=[{**at(k), "n": 1, "bills": bill, "discounts": off, "due": bill} for k, bill, off in payments],
        adjustments=[], tenders=[{**at(k), "kind_code": kind, "amount": a} for k, kind, a in tenders],
        refunds=[{**at(k), "kind_code": kind, "amount": a} for k, kind, a in refunds]))
    assert sum(row.payments for row in rows) == len(payments)
    assert sum((row.bills for row in rows), D(0)) == sum((bill for _k, bill, _o in payments), D(0))
    outside_in = sum((a for _k, kind, a in tenders if kind == "external"), D(0))
    outside_back = sum((a for _k, kind, a in refunds if kind == "external"), D(0))
    assert sum((row.platform_pays_in for row in rows), D(0)) == outside_in - outside_back
    assert all(row.bills.as_tuple().exponent == -2 for row in rows)
    assert len({(r.day, r.store_id, r.terminal_id, r.cashier_id, r.source, r.channel) for r in rows}) == len(rows)
    for cashier in (None, 3, 4):  # each cashier's rows add up to what that cashier took, whatever the rest
        assert sum((row.bills for row in rows if row.cashier_id == cashier), D(0)) == sum(
            (bill for k, bill, _o in payments if k[3] == cashier), D(0))


def test_kept_days_give_the_same_settlement_as_the_payments(tenant_a, in_english):
    day = a_day_of_payments(tenant_a)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    Payment.objects.filter(merchant=tenant_a.merchant).update(created_at=yesterday)
    Refund.objects.filter(payment=day.wechat).update(created_at=yesterday)
    scope = replace(today_scope(tenant_a.merchant), start=today_scope(tenant_a.merchant).start
                    - datetime.timedelta(days=1))
    from_payments = DailySettlement().compute(scope)
    written = settle_days(tenant_a.merchant, first=scope.start, last=scope.end)
    assert SettledDay.objects.filter(merchant=tenant_a.merchant).count() == 1  # today is never kept
    kept = DailySettlement().compute(scope)
    assert kept.rows == from_payments.rows and kept.totals == from_payments.totals
    assert kept.totals["platform_pays_in"] == D("125.79")
    assert settle_days(tenant_a.merchant, first=scope.start, last=scope.end) == written  # idempotent
    assert SettlementFigure.objects.filter(merchant=tenant_a.merchant).count() == written


def test_the_task_keeps_yesterday_for_every_merchant(tenant_a, tenant_b):
    a_day_of_payments(tenant_a)
    Payment.objects.filter(merchant=tenant_a.merchant).update(created_at=timezone.now() - datetime.timedelta(days=1))
    assert settle_recent_days() > 0
    assert SettledDay.objects.filter(merchant=tenant_a.merchant).count() == DAYS_BACK
    assert SettledDay.objects.filter(merchant=tenant_b.merchant).count() == DAYS_BACK
    assert SettlementFigure.objects.filter(merchant=tenant_b.merchant).count() == 0


def _by_cashier(result):
    return {(row["cashier"], row["channel"]): row for row in result.rows}


def test_settlement_per_cashier_with_self_pay_as_its_own_row(tenant_a, in_english):
    a_day_by_cashier(tenant_a)
    result = DailySettlement().compute(today_scope(tenant_a.merchant))
    rows = _by_cashier(result)
    cashier, manager = tenant_a.cashier.user.username, tenant_a.manager.user.username
    assert {key: (row["till"], row["payments"], row["due"], row["refunded"], row["platform_pays_in"])
            for key, row in rows.items()} == {
        (cashier, "cash"): ("POS 1", 1, D("80.00"), D("10.00"), D("70.00")),
        (cashier, "WeChat Pay"): ("POS 1", 1, D("20.00"), D("0.00"), D("20.00")),
        (manager, "cash"): ("POS 1", 1, D("50.00"), D("0.00"), D("50.00")),
        ("self-pay", "online (sandbox gateway)"): ("none", 1, D("30.00"), D("0.00"), D("30.00"))}
    assert result.totals["due"] == D("180.00") and result.totals["platform_pays_in"] == D("170.00")


def test_kept_days_keep_the_cashier(tenant_a, in_english):
    shift = a_day_by_cashier(tenant_a)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    Payment.objects.filter(merchant=tenant_a.merchant).update(created_at=yesterday)
    Refund.objects.filter(payment=shift.cashier_cash).update(created_at=yesterday)
    today = today_scope(tenant_a.merchant)
    scope = replace(today, start=today.start - datetime.timedelta(days=1))
    from_payments = DailySettlement().compute(scope)
    settle_days(tenant_a.merchant, first=scope.start, last=scope.end)
    assert set(SettlementFigure.objects.filter(merchant=tenant_a.merchant).values_list("cashier", "source")) == {
        (tenant_a.cashier.pk, "terminal"), (tenant_a.manager.pk, "terminal"), (None, "self_pay")}
    kept = DailySettlement().compute(scope)
    assert kept.rows == from_payments.rows and kept.totals == from_payments.totals
    assert _by_cashier(kept)[(tenant_a.cashier.user.username, "cash")]["platform_pays_in"] == D("70.00")


def test_staff_held_to_one_store_read_only_that_stores_settlement(client, tenant_a, in_english):
    a_day_by_cashier(tenant_a)
    pay(Bill(store=tenant_a.other_store, amount=D("12.34")), channel="cash")
    tenant_a.manager.store = tenant_a.other_store
    tenant_a.manager.save()
    page = staff_client(client, tenant_a.manager).get(reverse("admin:finance_settlement") + "?format=csv")
    text = b"".join(page.streaming_content).decode("utf-8-sig") if hasattr(page, "streaming_content") \
        else page.content.decode()
    assert page.status_code == 200
    assert "12.34" in text and "80.00" not in text and tenant_a.store.name not in text
    # Asking for the other store changes nothing: the store they work at is the only one they read.
    asked = staff_client(client, tenant_a.manager).get(
        reverse("admin:finance_settlement") + f"?stores={tenant_a.store.pk}&format=csv")
    assert "80.00" not in (b"".join(asked.streaming_content).decode("utf-8-sig")
                           if hasattr(asked, "streaming_content") else asked.content.decode())


def test_cashiers_and_other_merchants_get_no_settlement_per_cashier(client, tenant_a, tenant_b):
    a_day_by_cashier(tenant_a)
    assert staff_client(client, tenant_a.cashier).get(reverse("admin:finance_settlement")).status_code == 403
    assert DailySettlement().compute(today_scope(tenant_b.merchant)).rows == []
    other = staff_client(client, tenant_b.owner).get(reverse("admin:finance_settlement") + "?format=csv")
    text = b"".join(other.streaming_content).decode() if hasattr(other, "streaming_content") else \
        other.content.decode()
    assert tenant_a.cashier.user.username not in text and "80.00" not in text


def test_the_operators_settlement_reads_the_kept_days_too(tenant_a, tenant_b, in_english):
    a_day_by_cashier(tenant_a)
    a_day_of_payments(tenant_b)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    Payment.objects.update(created_at=yesterday)
    Refund.objects.update(created_at=yesterday)
    today = timezone.localdate()
    scope = ReportScope(merchant_id=None, start=today - datetime.timedelta(days=1), end=today,
                        zone=timezone.get_default_timezone())
    from_payments = DailySettlement().compute(scope)
    settle_days(tenant_a.merchant, first=scope.start, last=scope.end)  # tenant_b's day is not kept
    kept = DailySettlement().compute(scope)
    assert kept.rows == from_payments.rows and kept.totals == from_payments.totals
    assert kept.totals["due"] == D("180.00") + D("240.00")
    # The kept figure is what the operator reads for tenant_a's day (not the payments again) ...
    SettlementFigure.objects.filter(merchant=tenant_a.merchant, figure="due", cashier=tenant_a.manager).update(
        amount=D("51.00"))
    assert DailySettlement().compute(scope).totals["due"] == D("421.00")
    # ... and the payments of tenant_b's day, which is not kept, are still read.
    assert tenant_b.store.name in {row["store"] for row in DailySettlement().compute(scope).rows}
