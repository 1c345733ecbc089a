"""Gift cards as a tender: the terminal sends codes with the bill, the quote shows each card's share, the payment
draws each exactly as quoted, and a refund gives each card back what it paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cards.giftcards import errors
from cards.giftcards.models import GiftCard, GiftCardEntry, GiftCardUse
from cards.giftcards.services import Wanted, claim_gift, move_to_stored_value, send_card
from checkout.models import Payment
from checkout.services import selfpay
from loyalty import codes, payments
from merchants import services as merchants
from tests.checkout.helpers import PAYMENTS, QUOTE, assert_ledgers_clean, body, coupon_for, fund_wallet, refunds_url
from tests.giftcards.helpers import allow_moving, buy, card, make_face_value, make_theme
from tests.wallet.helpers import balances, log_in_member

D = Decimal
LOOKUP = reverse("api:giftcard-lookup")


@pytest.fixture
def two_cards(tenant_a):
    """A 100.00 and a 50.00 card, 100.00 of stored value and a 10-off-100 coupon."""
    first = buy(tenant_a.member, amount="100.00")[0]
    second = buy(tenant_a.member, amount="50.00")[0]
    fund_wallet(tenant_a.member, "100.00")
    coupon = coupon_for(tenant_a.member)
    return first, second, coupon


def _pay(t, data, **headers):
    return t.api().post(PAYMENTS, data, format="json", **headers)


def test_two_cards_stored_value_and_a_coupon_each_pay_exactly_what_the_quote_said(tenant_a, two_cards):
    first, second, coupon = two_cards
    bill = body("300.00", tenant_a.member, coupon_code=coupon.code, use_wallet=True,
                gift_cards=[codes.display(second.code), first.code])
    quoted = tenant_a.api().post(QUOTE, bill, format="json").json()
    assert quoted["amount_due"] == "290.00"
    tenders = {t["kind"]: t for t in quoted["tenders"]}
    assert tenders["giftcard"]["amount"] == "150.00"
    # In the order the payer handed them over: the 50.00 card first, then the 100.00 card.
    assert tenders["giftcard"]["items"] == [
        {"card": second.masked_code, "amount": "50.00", "balance_after": "0.00"},
        {"card": first.masked_code, "amount": "100.00", "balance_after": "0.00"}]
    assert tenders["principal"]["amount"] == "100.00" and tenders["external"]["amount"] == "40.00"
    pinned = [{"code": second.code, "amount": "50.00"}, {"code": first.code, "amount": "100.00"}]
    paid = _pay(tenant_a, {**bill, "gift_cards": pinned, "external": {"channel": "cash", "amount": "40.00"}},
                HTTP_IDEMPOTENCY_KEY="gift-1")
    assert paid.status_code == 201, paid.json()
    data = paid.json()
    assert {t["kind"]: t["amount"] for t in data["tenders"]} == {"giftcard": "150.00", "principal": "100.00",
                                                                  "external": "40.00"}
    assert [t for t in data["tenders"] if t["kind"] == "giftcard"][0]["items"] == tenders["giftcard"]["items"]
    assert (card(first.pk).balance, card(second.pk).balance) == (D("0.00"), D("0.00"))
    assert card(first.pk).status == GiftCard.Status.USED_UP
    assert balances(tenant_a.member)[0] == D("0.00")
    payment = Payment.objects.get(pk=data["id"])
    assert {(u.card_id, u.amount) for u in GiftCardUse.objects.filter(reference=payment.number)} == {
        (first.pk, D("100.00")), (second.pk, D("50.00"))}
    assert payment.coupon_id == coupon.pk
    assert_ledgers_clean(tenant_a.merchant)


def test_a_refund_of_a_bill_paid_partly_by_cards_gives_each_card_back_what_it_paid(tenant_a, two_cards):
    first, second, _coupon = two_cards
    paid = _pay(tenant_a, body("200.00", tenant_a.member, gift_cards=[first.code, second.code],
                               external={"channel": "cash"})).json()
    assert {t["kind"]: t["amount"] for t in paid["tenders"]} == {"giftcard": "150.00", "external": "50.00"}
    part = tenant_a.api().post(refunds_url(paid["id"]), {"amount": "100.00"}, format="json")
    assert part.status_code == 201, part.json()
    assert {line["kind"]: line["amount"] for line in part.json()["lines"]} == {"giftcard": "75.00",
                                                                               "external": "25.00"}
    # The cards' 75.00 in proportion to what each paid (100 and 50).
    assert (card(first.pk).balance, card(second.pk).balance) == (D("50.00"), D("25.00"))
    assert card(first.pk).status == card(second.pk).status == GiftCard.Status.ACTIVE
    tenant_a.api().post(refunds_url(paid["id"]), {"amount": "100.00"}, format="json")
    assert (card(first.pk).balance, card(second.pk).balance) == (D("100.00"), D("50.00"))
    assert GiftCardEntry.objects.filter(reason=GiftCardEntry.Reason.PAYMENT_REFUND).count() == 4
    assert_ledgers_clean(tenant_a.merchant)


def test_a_refund_after_the_card_was_sent_on_goes_to_the_friends_card(tenant_a):
    [bought] = buy(tenant_a.member, amount="100.00")
    paid = _pay(tenant_a, body("30.00", gift_cards=[bought.code])).json()
    friend = merchants.join_member(tenant_a.merchant, "13800000099", name="friend")
    received = claim_gift(send_card(card(bought.pk), tenant_a.member), friend)
    assert received.balance == D("70.00")
    assert tenant_a.api().post(refunds_url(paid["id"]), {"amount": "30.00"}, format="json").status_code == 201
    assert (card(received.pk).balance, card(bought.pk).balance) == (D("100.00"), D("0.00"))
    assert_ledgers_clean(tenant_a.merchant)


def test_a_transferred_card_is_unusable_by_the_senders_old_code(tenant_a):
    [bought] = buy(tenant_a.member)
    friend = merchants.join_member(tenant_a.merchant, "13800000099", name="friend")
    received = claim_gift(send_card(bought, tenant_a.member), friend)
    refused = _pay(tenant_a, body("20.00", gift_cards=[bought.code], external={"channel": "cash"}))
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, errors.GIFT_CARD_UNUSABLE)
    accepted = _pay(tenant_a, body("20.00", gift_cards=[received.code]))
    assert accepted.status_code == 201 and card(received.pk).balance == D("80.00")


def test_every_bad_code_at_checkout_gets_the_one_refusal_and_changes_nothing(tenant_a, tenant_b):
    [good] = buy(tenant_a.member)
    [foreign] = buy(tenant_b.member)
    [named] = buy(tenant_a.member, needs_phone=True)
    answers = set()
    for bad in (codes.new_code(), "WRONG", foreign.code, named.code):
        response = _pay(tenant_a, body("20.00", gift_cards=[good.code, bad], external={"channel": "cash"}))
        error = response.json()["error"]
        answers.add((response.status_code, error["code"], error["message"], error["field"]))
    assert len(answers) == 1
    assert next(iter(answers))[:2] == (404, errors.GIFT_CARD_UNUSABLE)
    assert card(good.pk).balance == D("100.00") and not Payment.objects.exists()


def test_a_pinned_share_the_card_no_longer_holds_is_refused(tenant_a):
    [bought] = buy(tenant_a.member, amount="50.00")
    assert _pay(tenant_a, body("20.00", gift_cards=[bought.code])).status_code == 201
    refused = _pay(tenant_a, body("50.00", gift_cards=[{"code": bought.code, "amount": "50.00"}],
                                  external={"channel": "cash"}))
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, errors.GIFT_CARD_SHARE_CHANGED)
    assert card(bought.pk).balance == D("30.00")


def test_a_card_kept_to_other_stores_is_refused_here(tenant_a):
    value = make_face_value(tenant_a.merchant)
    value.stores.set([tenant_a.other_store])
    [bought] = buy(tenant_a.member, face_value=value, theme=make_theme(tenant_a.merchant, value))
    refused = _pay(tenant_a, body("20.00", gift_cards=[bought.code]))
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, errors.GIFT_CARD_NOT_HERE)


@pytest.mark.parametrize("sent", [["x"] * 11, "CODE", [1], [{"code": "A"}], ["A", "A"]])
def test_malformed_gift_card_lists_are_refused(tenant_a, sent):
    response = tenant_a.api().post(QUOTE, body("20.00", gift_cards=sent), format="json")
    assert response.status_code in (400, 404)
    assert response.json()["error"]["field"] == "gift_cards"


def test_a_payer_who_is_not_a_member_pays_with_a_card(tenant_a):
    [bought] = buy(tenant_a.member)
    paid = _pay(tenant_a, body("35.50", gift_cards=[bought.code]))
    assert paid.status_code == 201 and paid.json()["member"] is None
    assert card(bought.pk).balance == D("64.50")


def test_the_balance_lookup_answers_and_refuses_alike(tenant_a, tenant_b):
    [bought] = buy(tenant_a.member)
    found = tenant_a.api().post(LOOKUP, {"code": codes.display(bought.code)}, format="json")
    assert found.status_code == 200
    assert found.json() == {"card": bought.masked_code, "theme": "Birthday", "face_value": "100.00 card",
                            "status": "active", "balance": "100.00", "expires_at": None, "accepted_here": True}
    foreign = tenant_b.api().post(LOOKUP, {"code": bought.code}, format="json")
    unknown = tenant_a.api().post(LOOKUP, {"code": codes.new_code()}, format="json")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()


def test_balance_lookups_are_limited_per_terminal(tenant_a, settings):
    settings.GIFT_CARD_LOOKUPS_PER_MINUTE = 3
    [bought] = buy(tenant_a.member)
    answers = [tenant_a.api().post(LOOKUP, {"code": bought.code}, format="json").status_code for _n in range(4)]
    assert answers == [200, 200, 200, 429]


def test_self_pay_lets_the_member_choose_their_cards(client, tenant_a):
    [bought] = buy(tenant_a.member, amount="50.00")
    log_in_member(client, tenant_a.member)
    url = reverse("checkout:pay", args=[tenant_a.merchant.slug, tenant_a.store.pk])
    assert bought.masked_code in client.get(url).content.decode()
    quote_url = reverse("checkout:quote", args=[tenant_a.merchant.slug, tenant_a.store.pk])
    quoted = client.get(quote_url, {"amount": "80.00", "gift_cards": bought.code, "coupon_code": ""}).json()
    assert {t["kind"]: t["amount"] for t in quoted["tenders"]} == {"giftcard": "50.00", "external": "30.00"}
    response = client.post(url, {"amount": "80.00", "gift_cards": bought.code, "coupon_code": "",
                                 "bill_id": "self-1"})
    assert response.status_code == 302
    payment = Payment.objects.get(bill_id="self-1")
    assert payment.status == Payment.Status.PENDING and card(bought.pk).balance == D("0.00")
    payments.fail_payment(payment.gateway_payment.out_trade_no)
    assert card(bought.pk).balance == D("50.00")  # everything held for a failed self-pay goes back
    assert_ledgers_clean(tenant_a.merchant)


def test_self_pay_paid_in_full_by_a_card_needs_no_gateway(tenant_a):
    [bought] = buy(tenant_a.member, amount="50.00")
    bill = selfpay.Bill(store=tenant_a.store, amount=D("20.00"), member=tenant_a.member,
                        payer_phone=tenant_a.member.phone,
                        tender_inputs={"giftcard": (Wanted(bought.code),)})
    payment = selfpay.start_self_pay(bill)
    assert payment.status == Payment.Status.PAID and card(bought.pk).balance == D("30.00")


def test_a_refund_to_a_card_moved_into_stored_value_makes_it_active_again(tenant_a):
    [bought] = buy(tenant_a.member, amount="100.00")
    paid = _pay(tenant_a, body("30.00", gift_cards=[bought.code])).json()
    allow_moving(tenant_a.merchant)
    move_to_stored_value(card(bought.pk), tenant_a.member)
    assert tenant_a.api().post(refunds_url(paid["id"]), {"amount": "30.00"}, format="json").status_code == 201
    assert (card(bought.pk).status, card(bought.pk).balance) == (GiftCard.Status.ACTIVE, D("30.00"))
    assert balances(tenant_a.member)[0] == D("70.00")
    assert_ledgers_clean(tenant_a.merchant)


def test_gift_cards_add_a_fixed_number_of_statements_to_a_payment(tenant_a):
    """Reading and locking the cards is one statement, where they may be spent one more; each card drawn is
    an UPDATE and an INSERT of its entry (its gift_card.spent event goes in the payment's one INSERT of events,
    its sequence counted there); the uses are one INSERT. A bill without cards pays nothing for them."""
    cards = [buy(tenant_a.member, amount="10.00")[0] for _n in range(3)]

    def statements(gift_cards) -> int:
        _pay(tenant_a, body("40.00", external={"channel": "cash"}))  # warm the caches
        with CaptureQueriesContext(connection) as captured:
            extra = {"gift_cards": gift_cards} if gift_cards else {}
            assert _pay(tenant_a, body("40.00", external={"channel": "cash"}, **extra)).status_code == 201
        return len(captured)

    plain, one, two = statements([]), statements([cards[0].code]), statements([c.code for c in cards[1:]])
    assert (one - plain, two - one) == (5, 2)


def test_codes_refused_at_checkout_count_against_the_terminal(tenant_a, settings):
    settings.GIFT_CARD_LOOKUPS_PER_MINUTE = 3
    [bought] = buy(tenant_a.member)
    for _n in range(5):  # codes that work count for nothing
        assert tenant_a.api().post(QUOTE, body("20.00", gift_cards=[bought.code]), format="json").status_code == 200
    answers = [tenant_a.api().post(QUOTE, body("20.00", gift_cards=[codes.new_code()]), format="json").status_code
               for _n in range(3)]
    blocked = tenant_a.api().post(QUOTE, body("20.00", gift_cards=[bought.code]), format="json")
    assert answers == [404, 404, 404] and blocked.status_code == 429


def test_a_payment_keeps_no_full_gift_card_code_in_its_request(tenant_a):
    [bought] = buy(tenant_a.member)
    paid = _pay(tenant_a, body("20.00", gift_cards=[{"code": bought.code, "amount": "20.00"}])).json()
    assert Payment.objects.get(pk=paid["id"]).request["gift_cards"] == [bought.masked_code]
