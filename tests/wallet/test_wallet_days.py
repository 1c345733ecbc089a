"""The kept daily wallet ledger sums (wallet.WalletDay): the roll-forward read from them gives the entries' own
figures, today included."""

import datetime
import zoneinfo
from dataclasses import replace
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Max
from django.utils import timezone

from cards.membership.models import PointsDay, PointsEntry
from checkout.services import Bill, pay, refund_payment
from finance.reports import LiabilityRollForward
from loyalty.celery import app
from loyalty.liabilities import whole_days
from loyalty.replica import REPLICA_ALIAS
from tests.checkout.helpers import fund_wallet
from tests.reports.helpers import today_scope
from tests.wallet.helpers import assert_audit_clean, balances, enable_stored_value
from wallet import services
from wallet.models import Pocket, Wallet, WalletDay, WalletEntry, WalletKeptDay
from wallet.services.wallet_days import keep_wallet_days, wallet_by_day
from wallet.tasks import keep_wallet_days as keep_task

D = Decimal
POCKETS = ("wallet.principal", "wallet.bonus", "wallet.cashback")
pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)


def _last_entry() -> int:
    return WalletEntry.objects.aggregate(last=Max("pk"))["last"] or 0


def _backdate_since(last: int, days: int) -> None:
    """The entries written after entry `last` were written `days` ago (as the demo backdates its history)."""
    WalletEntry.objects.filter(pk__gt=last).update(created_at=F("created_at") - datetime.timedelta(days=days))


def _worked_example(tenant) -> None:
    """Four days back 100.00 is recharged at the store with 20.00 bonus; three days back the member pays a 90.00
    bill from the wallet (bonus first: 20.00 bonus, 70.00 principal) at the other store and 30.00 of it is
    refunded; two days back 5.00
    cashback is given and expires; yesterday 8.00 cashback is given; today 50.00 more is recharged."""
    enable_stored_value(tenant.merchant, cashback_expiry_days=30)
    mark = _last_entry()
    fund_wallet(tenant.member, "100.00", bonus_offer=("100.00", "20.00"))
    WalletEntry.objects.filter(pk__gt=mark).update(store=tenant.store)
    _backdate_since(mark, 4)
    mark = _last_entry()
    paid = pay(Bill(store=tenant.other_store, amount=D("90.00"), member=tenant.member, use_wallet=True),
               channel="cash")
    refund_payment(paid, D("30.00"), staff=tenant.owner.user)
    _backdate_since(mark, 3)
    mark = _last_entry()
    services.give_cashback(tenant.member, "5.00", reference="c1", store=tenant.store, expiry_days=1)
    assert services.expire_cashback(timezone.now() + datetime.timedelta(days=2)) == 1
    _backdate_since(mark, 2)
    mark = _last_entry()
    services.give_cashback(tenant.member, "8.00", reference="c2", store=tenant.store, expiry_days=0)
    _backdate_since(mark, 1)
    services.recharge(tenant.member, "50.00", store=tenant.store)


def _pocket_rows(scope) -> list[dict]:
    return [row for row in LiabilityRollForward().compute(scope).rows if row["code"] in POCKETS]


def _figures(rows) -> list[tuple]:
    return [(row["code"], row["day"], row["opening"], row["issued"], row["redeemed"], row["expired"],
             row["adjustments"], row["adjustments_named"], row["closing"], row["actual"]) for row in rows]


def test_the_roll_forward_from_kept_days_equals_the_roll_forward_from_the_entries(tenant_a, in_english):
    _worked_example(tenant_a)
    week = today_scope(tenant_a.merchant, days_back=6)
    from_entries = _pocket_rows(week)
    by_store = {pocket: wallet_by_day(merchant_id=tenant_a.merchant.pk, pocket=pocket, start=week.start,
                                      end=week.end, zone=week.zone, store_ids=(tenant_a.store.pk,))
                for pocket in Pocket.values}
    today = week.end

    def day(n: int) -> datetime.date:
        return today - datetime.timedelta(days=n)

    principal, bonus, cashback = balances(tenant_a.member)
    # The refund returns its 30.00 to the pockets in proportion to what they paid: 70.00 principal, 20.00 bonus.
    assert _figures(from_entries) == [
        ("wallet.principal", day(4), D("0.00"), D("100.00"), 0, 0, 0, "", D("100.00"), D("100.00")),
        ("wallet.principal", day(3), D("100.00"), 0, D("70.00"), 0, D("23.33"), "payment refunded +23.33",
         D("53.33"), D("53.33")),
        ("wallet.principal", today, D("53.33"), D("50.00"), 0, 0, 0, "", D("103.33"), D("103.33")),
        ("wallet.bonus", day(4), D("0.00"), D("20.00"), 0, 0, 0, "", D("20.00"), D("20.00")),
        ("wallet.bonus", day(3), D("20.00"), 0, D("20.00"), 0, D("6.67"), "payment refunded +6.67", D("6.67"),
         D("6.67")),
        ("wallet.cashback", day(2), D("0.00"), D("5.00"), 0, D("5.00"), 0, "", D("0.00"), D("0.00")),
        ("wallet.cashback", day(1), D("0.00"), D("8.00"), 0, 0, 0, "", D("8.00"), D("8.00")),
    ]
    assert (principal, bonus, cashback) == (D("103.33"), D("6.67"), D("8.00"))

    written = keep_wallet_days(tenant_a.merchant, first=week.start, last=week.end)

    # Today is never kept: it is read from the entries as they are written.
    assert WalletKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 6
    assert not WalletKeptDay.objects.filter(merchant=tenant_a.merchant, day=today).exists()
    # the recharge and its bonus; the payment and its refund in two pockets each; cashback given, expired, given
    assert written == WalletDay.objects.filter(merchant=tenant_a.merchant).count() == 9
    refunded = WalletDay.objects.get(merchant=tenant_a.merchant, pocket=Pocket.PRINCIPAL,
                                     reason=WalletEntry.Reason.PAYMENT_REFUND)
    assert (refunded.day, refunded.store_id, refunded.delta, refunded.count) == (
        day(3), tenant_a.other_store.pk, D("23.33"), 1)
    assert _pocket_rows(week) == from_entries
    assert {pocket: wallet_by_day(merchant_id=tenant_a.merchant.pk, pocket=pocket, start=week.start, end=week.end,
                                  zone=week.zone, store_ids=(tenant_a.store.pk,))
            for pocket in Pocket.values} == by_store

    # What is written today shows at once.
    services.give_cashback(tenant_a.member, "2.00", reference="c3", store=tenant_a.store, expiry_days=0)
    rows = _pocket_rows(week)
    assert [(row["day"], row["issued"], row["closing"], row["actual"]) for row in rows
            if row["code"] == "wallet.cashback"][-1] == (today, D("2.00"), D("10.00"), D("10.00"))
    assert_audit_clean(tenant_a.merchant)


def test_the_roll_forward_reads_the_kept_days_and_chains_each_days_closing_to_the_next_opening(tenant_a):
    _worked_example(tenant_a)
    week = today_scope(tenant_a.merchant, days_back=6)
    keep_wallet_days(tenant_a.merchant, first=week.start, last=week.end)
    rows = [row for row in _pocket_rows(week) if row["code"] == "wallet.principal"]
    for earlier, later in zip(rows, rows[1:], strict=False):
        assert later["opening"] == earlier["closing"]
    for row in rows:
        assert (row["opening"] + row["issued"] - row["redeemed"] - row["expired"] + row["adjustments"]
                == row["closing"] == row["actual"])
    assert rows[-1]["closing"] == Wallet.objects.get(member=tenant_a.member).principal

    # The kept figure is what the report reads for a kept day: a kept sum that disagrees with the entries shows
    # as a difference from what the accounts hold.
    WalletDay.objects.filter(merchant=tenant_a.merchant, reason=WalletEntry.Reason.RECHARGE).update(
        delta=D("99.00"))
    first_day = [row for row in _pocket_rows(week) if row["code"] == "wallet.principal"][0]
    assert (first_day["issued"], first_day["closing"], first_day["actual"], first_day["flag"]) == (
        D("99.00"), D("99.00"), D("100.00"), True)


def test_a_window_in_another_zone_or_not_of_whole_days_is_read_from_the_entries(tenant_a):
    _worked_example(tenant_a)
    week = today_scope(tenant_a.merchant, days_back=6)
    keep_wallet_days(tenant_a.merchant, first=week.start, last=week.end)
    WalletDay.objects.filter(merchant=tenant_a.merchant).update(delta=D("1.00"))
    elsewhere = replace(week, zone=zoneinfo.ZoneInfo("America/New_York"))
    assert sum(row["issued"] for row in _pocket_rows(elsewhere) if row["code"] == "wallet.principal") == D("150.00")
    first, after = week.bounds()
    assert whole_days(first, after, week.zone) == (week.start, week.end)
    assert whole_days(first + datetime.timedelta(hours=1), after, week.zone) is None
    assert whole_days(first, first, week.zone) is None


def test_keeping_again_replaces_a_days_figures(tenant_a):
    _worked_example(tenant_a)
    week = today_scope(tenant_a.merchant, days_back=6)
    keep_wallet_days(tenant_a.merchant, first=week.start, last=week.end)
    mark = _last_entry()
    services.give_cashback(tenant_a.member, "4.00", reference="late", store=tenant_a.store, expiry_days=0)
    _backdate_since(mark, 1)
    keep_wallet_days(tenant_a.merchant, first=week.start, last=week.end)
    yesterday = WalletDay.objects.get(merchant=tenant_a.merchant, day=week.end - datetime.timedelta(days=1))
    assert (yesterday.delta, yesterday.count) == (D("12.00"), 2)
    assert WalletKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 6
    assert [row["closing"] for row in _pocket_rows(week) if row["code"] == "wallet.cashback"][-1] == D("12.00")


def test_beat_keeps_the_wallet_days_hourly_as_the_other_kept_days():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["wallet.tasks.keep_wallet_days"] == schedule["membership.tasks.keep_points_days"] == 3600.0
    app.loader.import_default_modules()
    assert "wallet.tasks.keep_wallet_days" in app.tasks


def test_the_task_and_the_command_keep_the_days_just_past(tenant_a):
    _worked_example(tenant_a)
    assert keep_task() == 9
    assert WalletKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 7
    call_command("keep_wallet_days", days=30, merchant=tenant_a.merchant.slug, stdout=open("/dev/null", "w"))
    assert WalletKeptDay.objects.filter(merchant=tenant_a.merchant).count() == 30


def test_another_merchants_kept_days_are_not_read(tenant_a, tenant_b):
    _worked_example(tenant_a)
    enable_stored_value(tenant_b.merchant)
    services.recharge(tenant_b.member, "7.00", store=tenant_b.store)
    WalletEntry.objects.filter(merchant=tenant_b.merchant).update(
        created_at=F("created_at") - datetime.timedelta(days=1))
    for tenant in (tenant_a, tenant_b):
        week = today_scope(tenant.merchant, days_back=6)
        keep_wallet_days(tenant.merchant, first=week.start, last=week.end)
    other = today_scope(tenant_b.merchant, days_back=6)
    assert [(row["code"], row["issued"], row["closing"]) for row in _pocket_rows(other) if row["issued"]] == [
        ("wallet.principal", D("7.00"), D("7.00"))]
    assert wallet_by_day(merchant_id=tenant_b.merchant.pk, pocket=Pocket.PRINCIPAL, start=other.start,
                         end=other.end, zone=other.zone, store_ids=(tenant_a.store.pk,)) == {}
    assert all(row["closing"] == 0 for row in _pocket_rows(other) if row["code"] != "wallet.principal")


def test_the_ledgers_read_by_time_have_an_index_on_merchant_and_time():
    """The roll-forward's sums before and after its window and today's live part read a merchant's entries by
    time: without the index each of them scans the merchant's whole ledger."""
    for model in (WalletEntry, PointsEntry):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        assert any(found["index"] and found["columns"] == ["merchant_id", "created_at"]
                   for found in constraints.values()), model.__name__


def test_a_deleted_stores_kept_figures_stay_as_its_entries_do():
    """The entries keep their rows with no store when a store is deleted; the kept days must too, or the kept
    reading of those days would sum less than the live one."""
    for kept, entries in ((WalletDay, WalletEntry), (PointsDay, PointsEntry)):
        assert (kept._meta.get_field("store").remote_field.on_delete
                is entries._meta.get_field("store").remote_field.on_delete)
