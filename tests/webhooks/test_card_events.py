"""Punch, time and gift card events (issue 17): each written with its change, under the card's lock, none
for a change refused or rolled back, and a delivery queued for an endpoint subscribed to it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from cards.punchcards import services as punchcards
from cards.timecards import services as timecards
from loyalty import payments
from loyalty.errors import DomainError
from loyalty.models import Event
from tests.checkout.helpers import PAYMENTS, body, refunds_url
from tests.giftcards.helpers import buy, card
from tests.punchcards.helpers import make_product
from tests.timecards.helpers import make_tier
from tests.webhooks.helpers import deliveries, subscribe
from webhooks.services import subscribable_kinds

D = Decimal
pytestmark = pytest.mark.django_db
NEW_KINDS = ["punch_card.sold", "punch_card.used", "time_card.sold", "time_card.used", "gift_card.spent",
             "gift_card.refunded"]


def events(subject, kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind, object_id=subject.pk, content_type__model=subject._meta.model_name)
                .order_by("sequence"))


def kinds_of(subject) -> list[str]:
    return list(Event.objects.filter(object_id=subject.pk, content_type__model=subject._meta.model_name)
                .order_by("sequence").values_list("kind", flat=True))


def test_the_new_kinds_are_offered_to_subscribers():
    offered = {code for code, _label in subscribable_kinds()}
    assert set(NEW_KINDS) <= offered


# --- punch cards ------------------------------------------------------------------------------------------


def test_a_punch_card_sold_at_the_counter_then_used_by_a_co_user(tenant_a):
    endpoint, _secret = subscribe(tenant_a.merchant, "https://hooks.example.com/a", "punch_card.sold",
                                  "punch_card.used")
    product = make_product(tenant_a.merchant, uses=3)
    sold_card = punchcards.sell_card(product, tenant_a.member, store=tenant_a.store, staff=tenant_a.cashier.user)
    [sold] = events(sold_card, "punch_card.sold")
    assert (sold.sequence, sold.member_id, sold.staff) == (1, tenant_a.member.pk, tenant_a.cashier.user)
    assert sold.data == {
        "source": "cash_sale", "product": product.pk, "price": "300.00", "store": tenant_a.store.pk, "uses": 3,
        "valid_from": sold_card.valid_from.isoformat(), "valid_until": sold_card.valid_until.isoformat(),
        "reference": ""}
    punchcards.add_co_user(sold_card, phone="13712345678")
    punchcards.record_use(sold_card, store=tenant_a.store, count=2, used_by_phone="13712345678",
                          staff=tenant_a.cashier.user, terminal=tenant_a.terminal)
    punchcards.record_use(sold_card, store=tenant_a.store)
    first, second = events(sold_card, "punch_card.used")
    assert (first.data["count"], first.data["uses_left"], first.data["used_by"], first.data["store"]) == (
        2, 1, "137****5678", tenant_a.store.pk)
    assert (first.terminal, first.staff) == (tenant_a.terminal, tenant_a.cashier.user)
    assert (second.data["count"], second.data["uses_left"], second.data["used_by"]) == (1, 0, None)
    assert kinds_of(sold_card) == ["punch_card.sold", "punch_card.co_user_added", "punch_card.used",
                                   "punch_card.used"]
    assert [d.kind for d in deliveries(endpoint)] == ["punch_card.sold", "punch_card.used", "punch_card.used"]


def test_a_refused_or_rolled_back_punch_card_use_writes_no_event(tenant_a):
    sold_card = punchcards.sell_card(make_product(tenant_a.merchant, uses=1), tenant_a.member, store=tenant_a.store)
    with pytest.raises(DomainError):
        punchcards.record_use(sold_card, store=tenant_a.store, count=2)
    with pytest.raises(RuntimeError), transaction.atomic():
        punchcards.record_use(sold_card, store=tenant_a.store)
        raise RuntimeError("the surrounding change failed")
    assert events(sold_card, "punch_card.used") == []


def test_an_unlimited_punch_card_used_has_no_uses_left(tenant_a):
    sold_card = punchcards.sell_card(make_product(tenant_a.merchant, uses=None), tenant_a.member,
                                     store=tenant_a.store)
    punchcards.record_use(sold_card, store=tenant_a.store)
    assert events(sold_card, "punch_card.sold")[0].data["uses"] is None
    assert events(sold_card, "punch_card.used")[0].data["uses_left"] is None


def test_a_punch_card_bought_online_is_sold_once_when_paid_and_never_if_the_payment_fails(client, tenant_a):
    product = make_product(tenant_a.merchant)
    bought, payment = punchcards.start_purchase(product, tenant_a.member)
    assert events(bought, "punch_card.sold") == []
    params = payments.SandboxGateway().callback_params(payment, paid=True)
    for _replay in range(2):
        assert client.post(reverse("payments:callback"), params).status_code == 200
    [sold] = events(bought, "punch_card.sold")
    assert (sold.data["source"], sold.data["price"], sold.data["reference"]) == (
        "purchase", "300.00", payment.out_trade_no)
    failed, failing = punchcards.start_purchase(product, tenant_a.member)
    payments.fail_payment(failing.out_trade_no)
    assert events(failed, "punch_card.sold") == []


def test_a_punch_card_given_as_a_benefit_is_sold_at_no_price_once_per_reference(tenant_a):
    product = make_product(tenant_a.merchant)
    given = punchcards.give_card(product, tenant_a.member, reference="gift:1")
    assert punchcards.give_card(product, tenant_a.member, reference="gift:1") == given
    [sold] = events(given, "punch_card.sold")
    assert (sold.data["source"], sold.data["price"], sold.data["reference"]) == ("benefit", "0.00", "gift:1")


# --- time cards -------------------------------------------------------------------------------------------


def test_a_time_card_sold_then_used_and_the_refused_second_visit_writes_nothing(tenant_a):
    endpoint, _secret = subscribe(tenant_a.merchant, "https://hooks.example.com/t", "time_card.used")
    tier = make_tier(tenant_a.merchant)
    sold_card = timecards.sell_card(tier, tenant_a.member, store=tenant_a.store, staff=tenant_a.cashier.user)
    [sold] = events(sold_card, "time_card.sold")
    assert (sold.sequence, sold.staff, sold.data["source"], sold.data["price"], sold.data["days"],
            sold.data["tier"]) == (1, tenant_a.cashier.user, "cash_sale", "300.00", 30, tier.pk)
    assert sold.data["starts_on"] == sold_card.starts_on.isoformat()
    use = timecards.record_use(sold_card, store=tenant_a.store, terminal=tenant_a.terminal)
    with pytest.raises(DomainError):  # once a day
        timecards.record_use(sold_card, store=tenant_a.store)
    [used] = events(sold_card, "time_card.used")
    assert (used.sequence, used.terminal, used.data["use"], used.data["count"], used.data["store"],
            used.data["day"], used.data["ends_on"]) == (
        2, tenant_a.terminal, use.pk, 1, tenant_a.store.pk, use.used_on.isoformat(), sold_card.ends_on.isoformat())
    assert [d.kind for d in deliveries(endpoint)] == ["time_card.used"]


def test_a_time_card_bought_online_or_given_is_sold_once(client, tenant_a):
    tier = make_tier(tenant_a.merchant)
    bought, payment = timecards.start_purchase(tier, tenant_a.member)
    assert events(bought, "time_card.sold") == []
    params = payments.SandboxGateway().callback_params(payment, paid=True)
    for _replay in range(2):
        client.post(reverse("payments:callback"), params)
    [sold] = events(bought, "time_card.sold")
    assert (sold.data["source"], sold.data["reference"]) == ("purchase", payment.out_trade_no)
    given = timecards.give_card(tier, tenant_a.member, reference="gift:t")
    timecards.give_card(tier, tenant_a.member, reference="gift:t")
    [gift] = events(given, "time_card.sold")
    assert (gift.data["source"], gift.data["price"]) == ("benefit", "0.00")
    # Bought after the first: its period waits behind it, and the event says when it starts.
    bought.refresh_from_db()
    assert gift.data["starts_on"] == given.starts_on.isoformat() and given.starts_on > bought.ends_on


def test_a_rolled_back_time_card_sale_writes_no_event(tenant_a):
    tier = make_tier(tenant_a.merchant)
    with pytest.raises(RuntimeError), transaction.atomic():
        timecards.sell_card(tier, tenant_a.member, store=tenant_a.store)
        raise RuntimeError("the surrounding change failed")
    assert not Event.objects.filter(kind="time_card.sold").exists()


# --- gift cards -------------------------------------------------------------------------------------------


def _pay(t, data):
    return t.api().post(PAYMENTS, data, format="json")


def test_a_payment_drawing_two_gift_cards_is_spent_on_each_then_a_refund_gives_back(tenant_a):
    endpoint, _secret = subscribe(tenant_a.merchant, "https://hooks.example.com/g", "gift_card.spent",
                                  "gift_card.refunded")
    first, second = buy(tenant_a.member, amount="50.00")[0], buy(tenant_a.member, amount="100.00")[0]
    paid = _pay(tenant_a, body("80.00", gift_cards=[first.code, second.code]))
    assert paid.status_code == 201, paid.json()
    number = paid.json()["number"]
    [spent_first] = events(first, "gift_card.spent")
    [spent_second] = events(second, "gift_card.spent")
    assert spent_first.data == {"changes": {"status": ["active", "used_up"]}, "amount": "50.00",
                                "balance": "0.00", "payment": number, "store": tenant_a.store.pk}
    assert (spent_second.data["amount"], spent_second.data["balance"], spent_second.data["changes"]) == (
        "30.00", "70.00", {"status": ["active", "active"]})
    assert spent_first.sequence == events(first, "gift_card.bought")[0].sequence + 1
    assert spent_first.terminal == tenant_a.terminal and spent_first.member_id == tenant_a.member.pk
    refund = tenant_a.api().post(refunds_url(paid.json()["id"]), {"amount": "80.00"}, format="json")
    assert refund.status_code == 201, refund.json()
    [back_first] = events(first, "gift_card.refunded")
    [back_second] = events(second, "gift_card.refunded")
    assert (back_first.data["amount"], back_first.data["balance"], back_first.data["payment"],
            back_first.data["changes"], back_first.data["kept"]) == (
        "50.00", "50.00", number, {"status": ["used_up", "active"]}, True)
    assert (back_second.data["amount"], back_second.data["balance"]) == ("30.00", "100.00")
    assert back_first.data["refund"]
    assert sorted(d.kind for d in deliveries(endpoint)) == ["gift_card.refunded"] * 2 + ["gift_card.spent"] * 2


def test_a_refused_gift_card_payment_writes_no_event(tenant_a):
    [bought] = buy(tenant_a.member, amount="50.00")
    refused = _pay(tenant_a, body("80.00", gift_cards=[{"code": bought.code, "amount": "60.00"}]))
    assert refused.status_code == 409
    assert events(bought, "gift_card.spent") == [] and card(bought.pk).balance == D("50.00")


def test_a_refund_to_a_voided_card_says_the_value_was_not_kept(tenant_a):
    from cards.giftcards.services import void_card
    [bought] = buy(tenant_a.member, amount="50.00")
    paid = _pay(tenant_a, body("20.00", gift_cards=[bought.code])).json()
    void_card(card(bought.pk), reason="lost")
    tenant_a.api().post(refunds_url(paid["id"]), {"amount": "20.00"}, format="json")
    [back] = events(bought, "gift_card.refunded")
    assert (back.data["amount"], back.data["balance"], back.data["kept"]) == ("20.00", "0.00", False)


def test_a_bill_without_gift_cards_writes_no_gift_card_event(tenant_a):
    buy(tenant_a.member)
    assert _pay(tenant_a, body("20.00", external={"channel": "cash"})).status_code == 201
    assert not Event.objects.filter(kind__in=["gift_card.spent", "gift_card.refunded"]).exists()

