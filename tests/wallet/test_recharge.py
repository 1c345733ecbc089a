"""Recharges: the switch, offers and special periods, limits, monthly bonuses, refunds, the liability."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from loyalty.errors import DomainError
from tests.benefit_helpers import recharge_offer
from tests.wallet.helpers import assert_audit_clean, balances, enable_stored_value, entry_count
from wallet import services, tasks
from wallet.models import BonusInstalment, DrawOrder, Recharge, RechargeOffer, WalletEntry, WalletSettings

D = Decimal


def _offer(merchant, pay, bonus, **extra):
    return recharge_offer(merchant=merchant, name=f"{pay}+{bonus}", pay_amount=D(pay), bonus_value=D(bonus),
                          **extra)


def test_stored_value_is_off_until_the_merchant_turns_it_on(tenant_a):
    with pytest.raises(DomainError) as error:
        services.recharge(tenant_a.member, "100.00")
    assert error.value.code == "stored_value_off"
    assert not Recharge.objects.exists()


def test_stored_value_cannot_be_turned_off_while_a_member_holds_a_balance(tenant_a):
    enable_stored_value(tenant_a.merchant)
    recharge = services.recharge(tenant_a.member, "10.00")
    with pytest.raises(DomainError) as error:
        services.set_stored_value_enabled(tenant_a.merchant, False)
    assert error.value.code == "stored_value_held"
    assert WalletSettings.objects.get(merchant=tenant_a.merchant).stored_value_enabled
    services.refund_recharge(recharge)
    services.set_stored_value_enabled(tenant_a.merchant, False)
    assert not WalletSettings.objects.get(merchant=tenant_a.merchant).stored_value_enabled


def test_recharge_gives_the_highest_offer_reached(tenant_a):
    enable_stored_value(tenant_a.merchant)
    _offer(tenant_a.merchant, "100.00", "10.00")
    _offer(tenant_a.merchant, "500.00", "100.00")
    _offer(tenant_a.merchant, "200.00", "5", bonus_kind=RechargeOffer.BonusKind.PERCENT)
    recharge = services.recharge(tenant_a.member, "300.00", store=tenant_a.store)
    assert recharge.bonus_now == D("15.00")
    assert balances(tenant_a.member) == (D("300.00"), D("15.00"), D("0.00"))
    entries = WalletEntry.objects.filter(recharge=recharge).order_by("pk")
    assert [(e.pocket, e.delta, e.balance_after, e.reason) for e in entries] == [
        ("principal", D("300.00"), D("300.00"), "recharge"), ("bonus", D("15.00"), D("15.00"), "recharge_bonus")]
    assert all(e.store == tenant_a.store for e in entries)


def test_special_period_offers_override_the_normal_ones(tenant_a):
    enable_stored_value(tenant_a.merchant)
    _offer(tenant_a.merchant, "100.00", "10.00")
    now = timezone.now()
    _offer(tenant_a.merchant, "100.00", "30.00", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    _offer(tenant_a.merchant, "100.00", "99.00", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))
    assert services.recharge(tenant_a.member, "100.00").bonus_now == D("30.00")
    later = now + timedelta(hours=2)
    assert [o.bonus_value for o in services.current_offers(tenant_a.merchant, at=later)] == [D("10.00")]


@pytest.mark.parametrize(("amount", "code"), [
    ("-5.00", "amount_not_positive"), ("0", "amount_not_positive"), ("0.00", "amount_not_positive"),
    ("10.001", "amount_too_precise"), ("1000.01", "amount_too_large"), ("", "amount_invalid"),
])
def test_bad_recharge_amounts_are_refused_and_nothing_changes(tenant_a, amount, code):
    enable_stored_value(tenant_a.merchant, max_recharge=D("1000.00"))
    with pytest.raises(DomainError) as error:
        services.recharge(tenant_a.member, amount)
    assert error.value.code == code
    assert not Recharge.objects.exists() and not WalletEntry.objects.exists()


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


@pytest.fixture
def instalment_recharge(tenant_a):
    enable_stored_value(tenant_a.merchant)
    _offer(tenant_a.merchant, "1000.00", "500.00", monthly_bonus=D("100.00"), monthly_bonus_months=5)
    return services.recharge(tenant_a.member, "1000.00", store=tenant_a.store)


def test_bonus_instalments_are_scheduled_on_the_same_day_each_month(instalment_recharge):
    today = timezone.localdate()
    dues = list(instalment_recharge.instalments.values_list("due_date", flat=True))
    assert dues == [services.add_months(today, n) for n in range(1, 6)]
    assert instalment_recharge.bonus_now == D("500.00") and instalment_recharge.bonus_scheduled == D("500.00")


def test_instalment_task_run_twice_pays_once(instalment_recharge, tenant_a):
    first_due = instalment_recharge.instalments.get(sequence=1).due_date
    assert services.pay_due_instalments(first_due) == 1
    assert services.pay_due_instalments(first_due) == 0
    assert balances(tenant_a.member)[1] == D("600.00")
    assert WalletEntry.objects.filter(reason="bonus_instalment").count() == 1
    assert_audit_clean(tenant_a.merchant)


def test_instalment_task_after_downtime_pays_each_missed_month_once(instalment_recharge, tenant_a):
    late = instalment_recharge.instalments.get(sequence=3).due_date + timedelta(days=1)
    assert services.pay_due_instalments(late) == 3
    assert services.pay_due_instalments(late) == 0
    assert balances(tenant_a.member)[1] == D("800.00")
    assert list(instalment_recharge.instalments.values_list("status", flat=True)) == [
        "paid", "paid", "paid", "scheduled", "scheduled"]


def test_the_beat_task_pays_what_is_due_today(instalment_recharge, tenant_a):
    BonusInstalment.objects.filter(sequence=1).update(due_date=timezone.localdate())
    assert tasks.pay_due_instalments.delay().get() == 1
    assert tasks.pay_due_instalments.delay().get() == 0


def test_instalments_stop_when_the_recharge_is_refunded(instalment_recharge, tenant_a):
    first_due = instalment_recharge.instalments.get(sequence=1).due_date
    services.pay_due_instalments(first_due)
    services.refund_recharge(instalment_recharge)
    assert services.pay_due_instalments(first_due + timedelta(days=400)) == 0
    assert set(instalment_recharge.instalments.exclude(sequence=1).values_list("status", flat=True)) == {"cancelled"}
    assert balances(tenant_a.member) == (D("0.00"), D("0.00"), D("0.00"))


def test_refund_returns_unspent_principal_and_takes_back_unspent_bonus(tenant_a):
    enable_stored_value(tenant_a.merchant, draw_order=DrawOrder.BONUS_FIRST)
    _offer(tenant_a.merchant, "100.00", "20.00")
    first = services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    second = services.recharge(tenant_a.member, "100.00", store=tenant_a.other_store)
    # Bonus first, oldest recharge first: 30 = the first recharge's 20 bonus, then 10 of the second's bonus.
    services.debit_wallet(tenant_a.member, "30.00", reference="PAY-1")
    # Then the last 10 of bonus and 150 of principal: the first recharge's 100, then 50 of the second's.
    services.debit_wallet(tenant_a.member, "160.00", reference="PAY-2")
    second.refresh_from_db()
    assert (second.principal_left, second.bonus_left) == (D("50.00"), D("0.00"))
    preview = services.refund_preview(second)
    assert (preview.principal, preview.bonus_taken_back, preview.spent_principal) == (D("50.00"), D("0.00"),
                                                                                      D("50.00"))
    done = services.refund_recharge(second)
    assert done.principal == D("50.00")
    assert balances(tenant_a.member) == (D("0.00"), D("0.00"), D("0.00"))
    with pytest.raises(DomainError) as error:
        services.refund_recharge(first)
    assert error.value.code == "recharge_not_refundable"
    assert_audit_clean(tenant_a.merchant)


def test_refund_of_an_untouched_recharge_takes_its_bonus_back(tenant_a):
    enable_stored_value(tenant_a.merchant)
    _offer(tenant_a.merchant, "200.00", "40.00")
    keep = services.recharge(tenant_a.member, "50.00")
    refunded = services.recharge(tenant_a.member, "200.00")
    done = services.refund_recharge(refunded)
    assert (done.principal, done.bonus_taken_back) == (D("200.00"), D("40.00"))
    assert balances(tenant_a.member) == (keep.amount, D("0.00"), D("0.00"))
    reasons = set(WalletEntry.objects.filter(recharge=refunded, delta__lt=0).values_list("reason", flat=True))
    assert reasons == {"recharge_refund", "bonus_taken_back"}


def test_offers_after_payment_follow_the_merchant_setting(tenant_a, tenant_b):
    settings = enable_stored_value(tenant_a.merchant, offers_after_payment="once")
    _offer(tenant_a.merchant, "100.00", "10.00")
    assert len(services.offers_to_show_after_payment(tenant_a.member)) == 1
    assert services.offers_to_show_after_payment(tenant_a.member) == []
    settings.offers_after_payment = "every_payment"
    settings.save()
    assert len(services.offers_to_show_after_payment(tenant_a.member)) == 1
    assert len(services.offers_to_show_after_payment(tenant_a.member)) == 1
    services.recharge(tenant_a.member, "10.00")
    assert services.offers_to_show_after_payment(tenant_a.member) == []
    enable_stored_value(tenant_b.merchant)
    assert services.offers_to_show_after_payment(tenant_b.member) == []


def test_liability_per_store_and_in_total(tenant_a, capsys):
    enable_stored_value(tenant_a.merchant)
    _offer(tenant_a.merchant, "100.00", "10.00")
    services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    services.recharge(tenant_a.member, "50.00", store=tenant_a.other_store)
    services.debit_wallet(tenant_a.member, "20.00", reference="PAY-1")
    owed = services.liability(tenant_a.merchant)
    assert (owed["principal"], owed["bonus"], owed["total"]) == (D("140.00"), D("0.00"), D("140.00"))
    by_store = {row["store"]: row["principal"] + row["bonus"] for row in owed["by_store"]}
    assert by_store == {tenant_a.store.name: D("90.00"), tenant_a.other_store.name: D("50.00")}
    call_command("audit_ledgers", merchant=tenant_a.merchant.pk)
    out = capsys.readouterr().out
    assert "wallet: 1 accounts checked" in out and "liability stored value total: 140.00" in out


@pytest.mark.ledgers_tampered
def test_audit_finds_a_balance_that_differs_from_its_ledger(tenant_a):
    enable_stored_value(tenant_a.merchant)
    services.recharge(tenant_a.member, "100.00")
    assert entry_count(tenant_a.member) == 1
    type(services.wallet_for(tenant_a.member)).objects.filter(member=tenant_a.member).update(principal=D("99.00"))
    report = services.audit_wallets(tenant_a.merchant.pk)
    assert not report.clean and "principal" in report.problems[0]


def test_stored_value_cannot_be_turned_off_while_a_recharge_waits_for_payment(tenant_a):
    enable_stored_value(tenant_a.merchant)
    recharge, _payment = services.start_online_recharge(tenant_a.member, "10.00")
    with pytest.raises(DomainError) as error:
        services.set_stored_value_enabled(tenant_a.merchant, False)
    assert error.value.code == "stored_value_held"
    # A payment abandoned long ago no longer holds the switch.
    Recharge.objects.filter(pk=recharge.pk).update(created_at=timezone.now() - timedelta(days=2))
    services.set_stored_value_enabled(tenant_a.merchant, False)
    with pytest.raises(DomainError) as error:
        services.start_online_recharge(tenant_a.member, "10.00")
    assert error.value.code == "stored_value_off"


def test_audit_prints_what_is_owed_per_store(tenant_a, capsys):
    enable_stored_value(tenant_a.merchant)
    _offer(tenant_a.merchant, "100.00", "10.00")
    services.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    services.recharge(tenant_a.member, "50.00", store=tenant_a.other_store)
    services.start_online_recharge(tenant_a.member, "20.00")  # not paid: owes nothing
    call_command("audit_ledgers", merchant=tenant_a.merchant.pk)
    out = capsys.readouterr().out
    assert "liability stored value principal: 150.00" in out and "liability stored value bonus: 10.00" in out
    assert f"stored value owed alpha / {tenant_a.store.name}: 110.00" in out
    assert f"stored value owed alpha / {tenant_a.other_store.name}: 50.00" in out
    assert "online" not in out


def test_recharge_offer_points_and_experience_are_given_and_taken_back_on_refund(tenant_a):
    membership = pytest.importorskip("cards.membership.services")
    enable_stored_value(tenant_a.merchant)
    _offer(tenant_a.merchant, "100.00", "0.00", points=50, experience=30)
    recharge = services.recharge(tenant_a.member, "100.00")
    card = membership.card_for(tenant_a.member)
    assert (card.points, card.experience) >= (50, 30)
    before = (card.points, card.experience)
    assert services.refund_preview(recharge).points_taken_back == 50
    services.refund_recharge(recharge)
    card.refresh_from_db()
    assert (card.points, card.experience) == (before[0] - 50, before[1] - 30)


def test_beat_runs_the_instalment_and_expiry_tasks(settings):
    from loyalty.celery import app

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"wallet.tasks.pay_due_instalments", "wallet.tasks.expire_cashback"} <= scheduled
    assert {"wallet.tasks.pay_due_instalments", "wallet.tasks.expire_cashback"} <= set(app.tasks)
