"""Stored value, membership points and the punch, time and gift card reports against worked examples."""

from decimal import Decimal

import pytest

from cards.punchcards import services as punchcards
from cards.timecards import services as timecards
from tests.checkout.helpers import PAYMENTS, body, give_points, program_with_levels
from tests.giftcards.helpers import buy
from tests.punchcards.helpers import make_product
from tests.reports.helpers import row_for, run, today_scope
from tests.timecards.helpers import make_tier
from tests.wallet.helpers import enable_stored_value
from wallet import services as wallet
from wallet.models import RechargeOffer

# The tests read the reports' English words.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]
D = Decimal


def test_stored_value_per_store_and_day_with_bonus_spend_and_what_is_outstanding(tenant_a, tenant_b):
    """100.00 recharged at the main store with a 10.00 bonus; a 50.00 bill paid from the wallet draws the bonus
    first (10.00), then 40.00 of principal. 60.00 principal stays outstanding. Beta's recharge is not counted."""
    enable_stored_value(tenant_a.merchant)
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="送10", pay_amount=D("100.00"),
                                 bonus_value=D("10.00"))
    wallet.recharge(tenant_a.member, "100.00", store=tenant_a.store)
    paid = tenant_a.api().post(PAYMENTS, body("50.00", tenant_a.member, use_wallet=True), format="json",
                               HTTP_IDEMPOTENCY_KEY="sv-1")
    assert paid.status_code == 201, paid.json()
    enable_stored_value(tenant_b.merchant)
    wallet.recharge(tenant_b.member, "500.00", store=tenant_b.store)
    result = run("stored_value", today_scope(tenant_a.merchant))
    row = row_for(result, "store", tenant_a.store.name)
    assert (row["recharges"], row["recharged"], row["bonus_now"], row["spent_bonus"], row["spent_principal"]) == (
        1, D("100.00"), D("10.00"), D("10.00"), D("40.00"))
    assert len(result.rows) == 1 and result.totals["recharged"] == D("100.00")
    assert "principal 60.00, bonus 0.00" in result.notes[0]
    narrowed = run("stored_value", today_scope(tenant_a.merchant, stores=[tenant_a.other_store]))
    assert narrowed.rows == [] and narrowed.totals["recharged"] == D("0.00")


def test_points_issued_spent_and_outstanding(tenant_a):
    """A new card, 150 points given, then a 50.00 bill paying 100 points (1.00 off) that earns points on 49.00."""
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 150)
    paid = tenant_a.api().post(PAYMENTS, body("50.00", tenant_a.member, points=100, external={"channel": "cash"}),
                               format="json",
                               HTTP_IDEMPOTENCY_KEY="pt-1")
    assert paid.status_code == 201, paid.json()
    earned = paid.json()["points_earned"]
    result = run("membership_cards", today_scope(tenant_a.merchant))
    (row,) = result.rows
    assert (row["issued"], row["spent"], row["expired"]) == (150 + earned, 100, 0)
    assert f"{50 + earned} points outstanding" in result.notes[0]


def test_punch_and_time_cards_sold_used_and_outstanding(tenant_a):
    product = make_product(tenant_a.merchant, name="洗剪吹10次卡", uses=10, price=D("300.00"))
    card = punchcards.sell_card(product, tenant_a.member, store=tenant_a.store)
    punchcards.record_use(card, store=tenant_a.store, count=3)
    row = row_for(run("punch_cards", today_scope(tenant_a.merchant)), "product", "洗剪吹10次卡")
    assert (row["sold"], row["buyers"], row["revenue"], row["uses"], row["active"], row["uses_left"]) == (
        1, 1, D("300.00"), 3, 1, 7)
    tier = make_tier(tenant_a.merchant, days=30, price="199.00")
    period = timecards.sell_card(tier, tenant_a.member, store=tenant_a.store)
    timecards.record_use(period, store=tenant_a.store)
    row = row_for(run("time_cards", today_scope(tenant_a.merchant)), "product", "游泳卡")
    assert (row["sold"], row["revenue"], row["visits"], row["running"]) == (1, D("199.00"), 1, 1)


def test_gift_cards_sold_and_outstanding(tenant_a):
    cards = buy(tenant_a.member, amount="100.00", quantity=2)
    result = run("gift_cards", today_scope(tenant_a.merchant))
    row = row_for(result, "face_value", cards[0].face_value.name)
    assert (row["sold"], row["buyers"], row["value"], row["spent"], row["cards"], row["balance"]) == (
        2, 1, D("200.00"), D("0.00"), 2, D("200.00"))
