"""Time cards and punch cards in the liability roll-forward: a worked example each, day by day, a forced mismatch,
and a property test that the time cards' identity holds to the cent whatever is sold, used, refunded or voided."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from cards.punchcards import services as punch
from cards.punchcards.models import PunchCard, PunchCardEntry
from cards.timecards import services as timecards
from cards.timecards.liabilities import CardTerms, TimeCardLiability, card_activity
from cards.timecards.models import StartRule, TimeCard
from finance.reports import LiabilityRollForward
from loyalty.liabilities import roll_forward
from loyalty.replica import REPLICA_ALIAS
from loyalty.usable_cards import merchant_today
from tests.finance.helpers import today_scope
from tests.punchcards.helpers import make_product
from tests.timecards.helpers import make_tier

D = Decimal
DAY = datetime.timedelta(days=1)
pytestmark = pytest.mark.django_db(databases=["default", REPLICA_ALIAS], transaction=True)
TERMS = ("opening", "issued", "redeemed", "expired", "adjustments", "closing", "actual", "mismatch")


def _rows(merchant, code, *, days):
    return [tuple(row[name] for name in ("day", *TERMS)) + (row["adjustments_named"],)
            for row in LiabilityRollForward().compute(today_scope(merchant, days=days)).rows if row["code"] == code]


def _time_cards(tenant):
    """A 10-day card at 100.00 that started three days ago; a 50.00 card sold yesterday, waiting for its first use;
    a 3-day card at 10.00 sold today and refunded today (two days unused: 6.67 back); a card given free."""
    today = merchant_today(tenant.merchant)
    now = timezone.now()
    running = timecards.sell_card(make_tier(tenant.merchant, days=10, price="100.00"), tenant.member,
                                  store=tenant.store)
    TimeCard.objects.filter(pk=running.pk).update(activated_at=now - 3 * DAY, starts_on=today - 3 * DAY,
                                                  ends_on=today + 6 * DAY)
    waiting = timecards.sell_card(make_tier(tenant.merchant, days=30, price="50.00", start_rule=StartRule.FIRST_USE),
                                  tenant.member, store=tenant.store)
    TimeCard.objects.filter(pk=waiting.pk).update(activated_at=now - DAY)
    short = timecards.sell_card(make_tier(tenant.merchant, days=3, price="10.00"), tenant.member, store=tenant.store)
    assert timecards.refund_card(short) == D("6.67")
    timecards.give_card(make_tier(tenant.merchant, days=7, price="70.00"), tenant.member, reference="gift-1")
    return running


def test_time_cards_roll_forward_day_by_day_at_the_price_of_the_days_unused(tenant_a, in_english):
    _time_cards(tenant_a)
    today = merchant_today(tenant_a.merchant)
    assert _rows(tenant_a.merchant, "timecards.unused_days", days=3) == [
        (today - 3 * DAY, D("0"), D("100.00"), D("10.00"), 0, 0, D("90.00"), D("90.00"), D("0.00"), ""),
        (today - 2 * DAY, D("90.00"), 0, D("10.00"), 0, 0, D("80.00"), D("80.00"), D("0.00"), ""),
        (today - DAY, D("80.00"), D("50.00"), D("10.00"), 0, 0, D("120.00"), D("120.00"), D("0.00"), ""),
        (today, D("120.00"), D("10.00"), D("13.33"), 0, D("-6.67"), D("110.00"), D("110.00"), D("0.00"),
         "card refunded -6.67")]
    # What the cards hold by their periods, as the ledger audit reports it: 60.00 + 50.00.
    assert sum(timecards.liability(card, today) for card in TimeCard.objects.all()) == D("110.00")


@pytest.mark.ledgers_tampered
def test_a_time_card_period_changed_without_its_days_is_flagged(tenant_a, in_english):
    running = _time_cards(tenant_a)
    TimeCard.objects.filter(pk=running.pk).update(ends_on=F("ends_on") + DAY)
    result = LiabilityRollForward().compute(today_scope(tenant_a.merchant))
    row = next(row for row in result.rows if row["code"] == "timecards.unused_days")
    assert (row["closing"], row["actual"], row["mismatch"], row["flag"]) == (D("110.00"), D("120.00"), D("10.00"),
                                                                              True)
    assert any(warning.startswith("time cards (unused days) on") for warning in result.warnings)


def test_another_merchants_time_cards_are_not_counted(tenant_a, tenant_b):
    _time_cards(tenant_a)
    row = next(row for row in LiabilityRollForward().compute(today_scope(tenant_b.merchant)).rows
               if row["code"] == "timecards.unused_days")
    assert (row["closing"], row["issued"]) == (0, 0)


def test_punch_cards_roll_forward_sold_used_and_expired_in_uses(tenant_a, in_english):
    """A 10-use card sold two days ago, 3 used yesterday, its last valid day yesterday: 7 uses expire then (and
    voiding it today moves nothing more); a 5-use card sold today with 1 use today."""
    now, today = timezone.now(), merchant_today(tenant_a.merchant)
    old = punch.sell_card(make_product(tenant_a.merchant, uses=10), tenant_a.member, store=tenant_a.store)
    PunchCardEntry.objects.filter(card=old).update(created_at=now - 2 * DAY)
    punch.record_use(old, store=tenant_a.store, count=3)
    PunchCardEntry.objects.filter(card=old, reason=PunchCardEntry.Reason.USE).update(created_at=now - DAY)
    PunchCard.objects.filter(pk=old.pk).update(valid_until=today - DAY)
    punch.void_card(PunchCard.objects.get(pk=old.pk))
    new = punch.sell_card(make_product(tenant_a.merchant, uses=5), tenant_a.member, store=tenant_a.store)
    punch.record_use(new, store=tenant_a.store)
    assert _rows(tenant_a.merchant, "punchcards.uses", days=2) == [
        (today - 2 * DAY, 0, 10, 0, 0, 0, 10, 10, 0, ""),
        (today - DAY, 10, 0, 3, 7, 0, 0, 0, 0, ""),
        (today, 0, 5, 1, 0, 0, 4, 4, 0, "")]


def test_punch_card_uses_left_on_a_card_still_valid_are_owed(tenant_a):
    card = punch.sell_card(make_product(tenant_a.merchant, uses=10), tenant_a.member, store=tenant_a.store)
    punch.record_use(card, store=tenant_a.store, count=4)
    row = next(row for row in LiabilityRollForward().compute(today_scope(tenant_a.merchant)).rows
               if row["code"] == "punchcards.uses")
    assert (row["issued"], row["redeemed"], row["expired"], row["closing"], row["actual"]) == (10, 4, 0, 6, 6)


TODAY = datetime.date(2026, 12, 1)
offsets = st.integers(min_value=-40, max_value=0)


@st.composite
def cards(draw):
    sold = TODAY + datetime.timedelta(days=draw(offsets))
    start = draw(st.one_of(st.none(), st.integers(min_value=-5, max_value=10)))
    ends = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=40)))
    ended_on = None if ends is None else min(TODAY, sold + datetime.timedelta(days=ends))
    return CardTerms(price=draw(st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)),
                     days=draw(st.integers(min_value=1, max_value=60)),
                     starts_on=None if start is None else sold + datetime.timedelta(days=start), sold_on=sold,
                     ended_on=ended_on, refunded=draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(sold=st.lists(cards(), max_size=8), first=st.integers(min_value=-45, max_value=0),
       length=st.integers(min_value=0, max_value=50))
def test_time_card_identity_holds_to_the_cent_every_day(sold, first, length):
    first_day = TODAY + datetime.timedelta(days=first)
    last_day = min(TODAY, first_day + datetime.timedelta(days=length))
    held = sum((card.owed(TODAY) for card in sold), D("0.00"))
    activity = card_activity(sold, first=first_day, last=last_day, today=TODAY, held_now=held)
    rolled = roll_forward(activity, TimeCardLiability().movements())
    for day in rolled:
        assert day.opening + day.issued - day.redeemed - day.expired + day.adjusted == day.closing
        # The closing is what the cards owe at that day's end, each valued on its own: price × days unused ÷ days.
        assert day.closing == sum((card.owed(day.day) for card in sold), D("0.00"))
        assert day.mismatch == 0
        assert D(day.closing).as_tuple().exponent >= -2
    assert activity.before + sum((sum(d.by_reason.values(), D(0)) for d in activity.days), D(0)) \
        + activity.after == held
