"""Gift cards over random balances, bills and partial refunds (hypothesis): each card pays at most what it
holds and never below zero, the cards together pay the least of the bill and what they hold, and refunds
give each card back exactly what it paid once the whole bill is refunded, with every ledger clean."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards.giftcards.models import GiftCard
from cards.giftcards.services import Wanted, plan_cards
from checkout import services
from loyalty.ledgers import audit_all
from merchants.services import join_member
from tests.giftcards.helpers import buy

pytestmark = pytest.mark.django_db
D = Decimal
PHONES = itertools.count(13600000000)
CENTS = st.integers(min_value=1, max_value=100_000).map(lambda cents: D(cents) / 100)


@given(balances=st.lists(CENTS, min_size=1, max_size=5), wanted=CENTS)
def test_cards_pay_the_least_of_the_bill_and_what_they_hold(balances, wanted):
    cards = [(GiftCard(code=str(n), balance=balance, initial_amount=balance), Wanted(str(n)))
             for n, balance in enumerate(balances)]
    shares = plan_cards(cards, wanted)
    assert all(D("0") <= share <= card.balance for card, share in shares)
    assert sum(share for _card, share in shares) == min(wanted, sum(balances))


@st.composite
def bills(draw):
    balances = draw(st.lists(st.integers(min_value=1, max_value=20_000).map(lambda c: D(c) / 100), min_size=1,
                             max_size=3))
    bill = draw(st.integers(min_value=1, max_value=30_000).map(lambda c: D(c) / 100))
    due_cents = int(bill * 100)
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=due_cents), max_size=4)))
    cuts.append(due_cents)
    pieces = [D(cut - before) / 100 for before, cut in zip([0, *cuts], cuts, strict=False) if cut > before]
    return balances, bill, pieces


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=bills())
def test_partial_refunds_give_each_card_back_exactly_what_it_paid(tenant_a, case):
    balances, bill, pieces = case
    member = join_member(tenant_a.merchant, str(next(PHONES)), details_required=False)
    cards = [buy(member, amount=str(balance))[0] for balance in balances]
    payment = services.pay(services.Bill(store=tenant_a.store, amount=bill, tender_inputs={
        "giftcard": tuple(Wanted(card.code) for card in cards)}), channel="cash")
    drawn = {card.pk: card.balance - GiftCard.objects.get(pk=card.pk).balance for card in cards}
    assert sum(drawn.values()) == min(bill, sum(balances))
    for piece in pieces:
        services.refund_payment(payment, piece)
        for card in cards:
            now = GiftCard.objects.get(pk=card.pk).balance
            assert card.balance - drawn[card.pk] <= now <= card.balance
        for report in audit_all(tenant_a.merchant.pk):
            assert report.clean, (report.name, report.problems)
    assert [GiftCard.objects.get(pk=card.pk).balance for card in cards] == [card.balance for card in cards]
