"""The liability roll-forward: each instrument's identity per day, the named adjustments, a forced mismatch."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from cards.membership.models import MembershipCard
from finance.reports import LiabilityRollForward
from loyalty.liabilities import Activity, DayMovements, Movement, liability_instruments, roll_forward
from loyalty.replica import REPLICA_ALIAS
from tests.finance.helpers import a_day_of_payments, today_scope
from wallet.models import Wallet, WalletEntry

D = Decimal
pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)


def _by_code(result):
    return {row["code"]: row for row in result.rows}


def test_every_instrument_app_registers_one():
    assert liability_instruments.codes() == ["wallet.principal", "wallet.bonus", "wallet.cashback",
                                             "membership.points", "giftcards.balance", "punchcards.uses",
                                             "timecards.unused_days"]


def test_stored_value_rolls_forward_from_recharge_payment_and_refund(tenant_a, in_english):
    a_day_of_payments(tenant_a)
    rows = _by_code(LiabilityRollForward().compute(today_scope(tenant_a.merchant)))
    principal = rows["wallet.principal"]
    assert {name: principal[name] for name in ("opening", "issued", "redeemed", "expired", "adjustments",
                                               "closing", "actual", "mismatch", "closing_value")} == {
        "opening": D("0.00"), "issued": D("100.00"), "redeemed": D("100.00"), "expired": 0,
        "adjustments": D("15.79"), "closing": D("15.79"), "actual": D("15.79"), "mismatch": D("0.00"),
        "closing_value": D("15.79")}
    assert principal["adjustments_named"] == "payment refunded +15.79"
    assert principal["flag"] is False


def test_points_roll_forward_in_points_valued_at_the_merchants_rate(tenant_a):
    a_day_of_payments(tenant_a)
    card = MembershipCard.objects.get(member=tenant_a.member)
    points = _by_code(LiabilityRollForward().compute(today_scope(tenant_a.merchant)))["membership.points"]
    assert points["opening"] + points["issued"] - points["redeemed"] - points["expired"] + points["adjustments"] \
        == points["closing"] == card.points
    assert points["issued"] > 0 and points["adjustments"] < 0  # earned on the bill, some taken back by the refund
    assert points["closing_value"] == (D(card.points) / 100).quantize(D("0.01"))  # 100 points take 1.00 off


def test_yesterdays_closing_is_todays_opening(tenant_a):
    a_day_of_payments(tenant_a)
    # The recharge was made yesterday (backdated as the demo backdates its history).
    WalletEntry.objects.filter(merchant=tenant_a.merchant, reason=WalletEntry.Reason.RECHARGE).update(
        created_at=timezone.now() - datetime.timedelta(days=1))
    two_days = [row for row in LiabilityRollForward().compute(today_scope(tenant_a.merchant, days=1)).rows
                if row["code"] == "wallet.principal"]
    assert [(row["opening"], row["issued"], row["redeemed"], row["closing"]) for row in two_days] == [
        (D("0.00"), D("100.00"), 0, D("100.00")), (D("100.00"), 0, D("100.00"), D("15.79"))]
    today = _by_code(LiabilityRollForward().compute(today_scope(tenant_a.merchant)))["wallet.principal"]
    assert (today["opening"], today["closing"]) == (D("100.00"), D("15.79"))


@pytest.mark.ledgers_tampered
def test_a_balance_changed_without_its_ledger_entry_is_flagged(tenant_a, in_english):
    a_day_of_payments(tenant_a)
    Wallet.objects.filter(member=tenant_a.member).update(principal=F("principal") + D("1.00"))
    result = LiabilityRollForward().compute(today_scope(tenant_a.merchant))
    principal = _by_code(result)["wallet.principal"]
    assert (principal["closing"], principal["actual"], principal["mismatch"], principal["flag"]) == (
        D("15.79"), D("16.79"), D("1.00"), True)
    assert result.warnings == [f"stored value principal on {principal['day']}: the closing 15.79 differs from what "
                               "the accounts hold, 16.79."]


def test_another_merchants_liabilities_are_not_counted(tenant_a, tenant_b):
    a_day_of_payments(tenant_a)
    rows = _by_code(LiabilityRollForward().compute(today_scope(tenant_b.merchant)))
    assert rows["wallet.principal"]["closing"] == D("0.00") and rows["membership.points"]["closing"] == 0


money = st.decimals(min_value=D("-9999.99"), max_value=D("9999.99"), places=2)
reasons = st.sampled_from(["recharge", "payment", "expired", "payment_refund", "adjustment"])
MOVES = {"recharge": Movement.ISSUED, "payment": Movement.REDEEMED, "expired": Movement.EXPIRED}


@settings(max_examples=300, deadline=None)
@given(before=money, after=money, days=st.lists(st.dictionaries(reasons, money, max_size=5), max_size=10),
       drift=money)
def test_roll_forward_identity_holds_every_day_and_chains(before, after, days, drift):
    activity = Activity(before=before, days=[DayMovements(day=n, by_reason=moves) for n, moves in enumerate(days)],
                        after=after, held_now=before + sum((sum(d.values(), D(0)) for d in days), D(0)) + after
                        + drift)
    rolled = roll_forward(activity, MOVES)
    opening = before
    for day in rolled:
        assert day.opening == opening
        assert day.opening + day.issued - day.redeemed - day.expired + day.adjusted == day.closing
        assert day.mismatch == drift
        opening = day.closing
    assert opening == before + sum((sum(d.values(), D(0)) for d in days), D(0))
