"""Races on Postgres: payments racing for one gift card's last balance; one wins, and nothing overdraws."""

from decimal import Decimal

import pytest

from cards.giftcards.models import GiftCardUse
from cards.giftcards.services import Wanted
from checkout import services
from checkout.models import Payment
from tests.checkout.helpers import assert_ledgers_clean
from tests.conftest import race, requires_postgres
from tests.giftcards.helpers import buy, card

pytestmark = [requires_postgres(), pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def _bill(t, amount, *wanted):
    return services.Bill(store=t.store, amount=D(amount), tender_inputs={"giftcard": tuple(wanted)})


def test_two_payments_racing_for_one_cards_last_balance(tenant_a):
    """40.00 on the card; two 40.00 bills, each quoted the card paying all of it: one wins, one is refused."""
    [bought] = buy(tenant_a.member, amount="40.00")
    calls = [lambda: services.pay(_bill(tenant_a, "40.00", Wanted(bought.code, D("40.00")))) for _n in range(2)]
    results, codes = race(calls)
    assert len(results) == 1 and codes == ["gift_card_unusable"]
    assert card(bought.pk).balance == D("0.00") and Payment.objects.count() == 1
    assert_ledgers_clean(tenant_a.merchant)


def test_concurrent_redemptions_of_one_card_never_overdraw_it(tenant_a):
    """100.00 on the card; twelve 30.00 bills draw what is left, the outside channel pays the rest."""
    [bought] = buy(tenant_a.member, amount="100.00")
    calls = [lambda: services.pay(_bill(tenant_a, "30.00", Wanted(bought.code)), channel="cash")
             for _n in range(12)]
    results, codes = race(calls)
    assert set(codes) <= {"gift_card_unusable"}
    assert card(bought.pk).balance == D("0.00")
    assert sum(use.amount for use in GiftCardUse.objects.filter(card=bought)) == D("100.00")
    assert_ledgers_clean(tenant_a.merchant)


def test_racing_refunds_give_a_card_back_no_more_than_it_paid(tenant_a):
    [bought] = buy(tenant_a.member, amount="100.00")
    payment = services.pay(_bill(tenant_a, "90.00", Wanted(bought.code)))
    results, codes = race([lambda: services.refund_payment(payment, "40.00") for _n in range(3)])
    assert len(results) == 2 and codes == ["refund_too_large"]
    assert card(bought.pk).balance == D("90.00")
    assert_ledgers_clean(tenant_a.merchant)
