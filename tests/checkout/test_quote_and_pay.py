"""The terminal API: quote changes nothing, pay records every line, quote == pay, idempotency, bad input."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from checkout.models import Payment
from coupons.models import Coupon
from tests.checkout.helpers import (
    PAYMENTS,
    QUOTE,
    assert_ledgers_clean,
    body,
    configure,
    coupon_for,
    fund_wallet,
    give_points,
    program_with_levels,
    set_level,
)
from tests.wallet.helpers import balances
from wallet.models import BalanceTier

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def shop(tenant_a):
    """Gold member (95%) with 600 points, 300 principal + 30 bonus, a 90% tier from 200, a 20-off-100 coupon."""
    program_with_levels(tenant_a.merchant)
    set_level(tenant_a.member, 2)
    give_points(tenant_a.member, 600)
    fund_wallet(tenant_a.member, "300.00", bonus_offer=("300.00", "30.00"))
    BalanceTier.objects.create(merchant=tenant_a.merchant, min_balance=D("200.00"), discount_percent=D("90"))
    tenant_a.coupon = coupon_for(tenant_a.member, name="20 off 100", amount_off=D("20.00"),
                                 minimum_bill=D("100.00"))
    return tenant_a


def full_body(t, **extra):
    return body("200.00", t.member, coupon_code=t.coupon.code, points=500, use_wallet=True, bill_id="B-77", **extra)


def test_quote_prices_the_full_stack_and_changes_nothing(shop):
    """200.00: Gold 95% → 190.00; tier 90% → 171.00; 500 points → 166.00; coupon 20 → 146.00 due.
    Wallet pays 146.00: bonus first 30.00, then principal 116.00."""
    before = balances(shop.member)
    response = shop.api().post(QUOTE, full_body(shop), format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [(a["kind"], a["amount"]) for a in data["adjustments"]] == [
        ("level", "10.00"), ("balance_tier", "19.00"), ("points", "5.00"), ("coupon", "20.00")]
    assert data["amount_due"] == "146.00" and data["points_used"] == 500
    assert {t["kind"]: t["amount"] for t in data["tenders"]} == {"bonus": "30.00", "principal": "116.00"}
    # Points are earned on what was actually paid: principal 116.00 (bonus does not count by default).
    assert data["points_earned"] == 116
    assert balances(shop.member) == before
    assert not Payment.objects.exists()
    shop.coupon.refresh_from_db()
    assert shop.coupon.state == Coupon.State.AVAILABLE


def test_pay_equals_quote_and_records_every_line(shop):
    quote = shop.api().post(QUOTE, full_body(shop), format="json").json()
    response = shop.api().post(PAYMENTS, full_body(shop), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201, response.json()
    paid = response.json()
    assert paid["amount_due"] == quote["amount_due"]
    assert paid["adjustments"] == quote["adjustments"]
    assert {t["kind"]: t["amount"] for t in paid["tenders"]} == {t["kind"]: t["amount"] for t in quote["tenders"]}
    assert paid["points_used"] == 500 and paid["points_earned"] == quote["points_earned"]
    assert balances(shop.member)[:2] == (D("184.00"), D("0.00"))
    shop.coupon.refresh_from_db()
    assert shop.coupon.state == Coupon.State.USED
    from cards.membership.services import card_for
    assert card_for(shop.member).points == 600 - 500 + 116
    assert_ledgers_clean(shop.merchant)


def test_bonus_counts_for_points_when_the_merchant_says_so(shop):
    configure(shop.merchant, bonus_counts_for_points=True)
    data = shop.api().post(QUOTE, full_body(shop), format="json").json()
    assert data["points_earned"] == 146  # bonus 30.00 + principal 116.00


def test_replay_with_the_same_key_returns_the_first_payment(shop):
    first = shop.api().post(PAYMENTS, full_body(shop), format="json", HTTP_IDEMPOTENCY_KEY="same")
    again = shop.api().post(PAYMENTS, full_body(shop), format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    other = shop.api().post(PAYMENTS, body("1.00", shop.member, external={"channel": "cash"}), format="json",
                            HTTP_IDEMPOTENCY_KEY="same")
    assert other.status_code == 422
    assert_ledgers_clean(shop.merchant)


def test_insufficient_balance_after_a_concurrent_spend_changes_nothing(shop):
    """The terminal collected 46.00 by WeChat for the quote's rest; meanwhile the wallet was spent."""
    data = body("200.00", shop.member, use_wallet=True, external={"channel": "wechat", "trade_no": "WX1",
                                                                 "amount": "100.00"})
    quote = shop.api().post(QUOTE, data, format="json").json()
    assert quote["amount_due"] == "171.00"  # level 10.00, tier 19.00 (no points, no coupon)
    from wallet.services import debit_wallet
    debit_wallet(shop.member, "300.00", reference="elsewhere")  # 330 → 30 left, the wallet part is 71.00
    before = balances(shop.member)
    response = shop.api().post(PAYMENTS, data, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_balance"
    assert balances(shop.member) == before and not Payment.objects.exists()
    assert_ledgers_clean(shop.merchant)


def test_rest_paid_outside_needs_a_channel(shop):
    response = shop.api().post(PAYMENTS, body("50.00", shop.member), format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "external_required"
    response = shop.api().post(PAYMENTS, body("50.00", shop.member, external={"channel": "cash"}), format="json")
    assert response.status_code == 201
    assert response.json()["tenders"] == [{"kind": "external", "amount": "42.75", "refunded": "0.00"}]  # 95% then 90%


def test_same_trade_number_is_refused(shop):
    data = body("50.00", external={"channel": "wechat", "trade_no": "WX-9"})
    assert shop.api().post(PAYMENTS, data, format="json").status_code == 201
    again = shop.api().post(PAYMENTS, data, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "trade_number_used"


@pytest.mark.parametrize("amount,code", [("0", "amount_not_positive"), ("-5", "amount_not_positive"),
                                         ("1.001", "amount_too_precise"), ("1e9", "amount_too_large"),
                                         ("abc", "amount_invalid")])
def test_bad_amounts_are_refused(shop, amount, code):
    response = shop.api().post(PAYMENTS, body(amount, shop.member, external={"channel": "cash"}), format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    assert not Payment.objects.exists()


def test_used_coupon_is_refused_and_nothing_changes(shop):
    shop.api().post(PAYMENTS, full_body(shop), format="json")
    before = balances(shop.member)
    response = shop.api().post(PAYMENTS, full_body(shop), format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "coupon_used"
    assert balances(shop.member) == before and Payment.objects.count() == 1


def test_another_merchants_terminal_gets_nothing(shop, tenant_b):
    paid = shop.api().post(PAYMENTS, full_body(shop), format="json").json()
    api = tenant_b.api()
    assert api.get(f"{PAYMENTS}/{paid['id']}").status_code == 404
    assert api.get(PAYMENTS).json()["results"] == []
    assert api.post(f"{PAYMENTS}/{paid['id']}/refunds", {"amount": "1.00"}, format="json").status_code == 404
    foreign = api.post(QUOTE, full_body(shop), format="json")
    assert foreign.status_code in (400, 404)  # the phone is no member there; the coupon code is unknown there
    assert foreign.json()["error"]["code"] == "coupon_not_found"


def test_list_filters_by_store_and_date(shop):
    shop.api().post(PAYMENTS, body("10.00", external={"channel": "cash"}), format="json")
    day = timezone.localdate(Payment.objects.get().created_at)
    listing = shop.api().get(PAYMENTS, {"store": shop.store.pk, "date": day})
    assert len(listing.json()["results"]) == 1
    assert shop.api().get(PAYMENTS, {"store": shop.other_store.pk}).json()["results"] == []
    assert shop.api().get(PAYMENTS, {"date": "2001-01-01"}).json()["results"] == []


def _queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_quote_and_pay_take_a_fixed_number_of_queries(shop, django_assert_max_num_queries):
    """Whatever the member's history: 30 earlier payments and many more coupons change nothing.
    (Principal first, so every payment draws the same pockets and earns points.)"""
    from wallet.services import wallet_settings
    wallet_settings(shop.merchant).__class__.objects.filter(merchant=shop.merchant).update(
        draw_order="principal_first")
    give_points(shop.member, 5000)
    api = shop.api()

    def pay(amount, key, **extra):
        response = api.post(PAYMENTS, body(amount, shop.member, use_wallet=True, points=100, bill_id=key, **extra),
                            format="json")
        assert response.status_code == 201, response.json()

    quote_before = _queries(lambda: api.post(QUOTE, full_body(shop), format="json"))
    pay_before = _queries(lambda: pay("3.00", "first"))
    for n in range(5):
        coupon_for(shop.member, name=f"extra {n}", amount_off=D("1.00"), minimum_bill=None)
    for n in range(30):
        pay("3.00", f"history-{n}")
    with django_assert_max_num_queries(quote_before):
        assert api.post(QUOTE, full_body(shop), format="json").status_code == 200
    with django_assert_max_num_queries(pay_before):
        pay("3.00", "last")
    assert quote_before <= 25 and pay_before <= 80, (quote_before, pay_before)


def test_outside_amount_must_be_what_the_wallet_leaves(shop):
    data = body("50.00", external={"channel": "cash", "amount": "40.00"})
    response = shop.api().post(PAYMENTS, data, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "external_amount_mismatch"
    too_much = body("50.00", external={"channel": "cash", "amount": "60.00"})
    assert shop.api().post(PAYMENTS, too_much, format="json").json()["error"]["code"] == "external_too_large"
    assert not Payment.objects.exists()


def test_member_named_by_the_scanned_qr_code(shop, tenant_b):
    from merchants.member_codes import member_code
    data = {"amount": "100.00", "member": {"code": member_code(shop.member)}}
    assert shop.api().post(QUOTE, data, format="json").json()["member"] == shop.member.pk
    foreign = tenant_b.api().post(QUOTE, data, format="json")
    assert foreign.status_code == 400 and foreign.json()["error"]["code"] == "member_code_invalid"


def test_product_coupon_works_on_the_listed_lines(tenant_a):
    coupon = coupon_for(tenant_a.member, name="Tea 20% off", kind="discount", amount_off=None, minimum_bill=None,
                        discount_percent=D("80"), scope="products", categories=["tea"])
    lines = [{"sku": "T1", "category": "tea", "amount": "30.00"}, {"sku": "C1", "category": "cake", "amount": "20.00"}]
    data = body("50.00", tenant_a.member, coupon_code=coupon.code, lines=lines)
    quote = tenant_a.api().post(QUOTE, data, format="json").json()
    assert quote["adjustments"][0]["amount"] == "6.00" and quote["amount_due"] == "44.00"  # 20% of the tea only
    no_lines = tenant_a.api().post(QUOTE, body("50.00", tenant_a.member, coupon_code=coupon.code), format="json")
    assert no_lines.status_code == 400 and no_lines.json()["error"]["code"] == "coupon_not_applicable"
    bad = tenant_a.api().post(QUOTE, {**data, "lines": [{"sku": "T1", "amount": "x"}]}, format="json")
    assert bad.status_code == 400


# The whole API call: idempotency, locks, pricing, every ledger, answer. One transaction a payment (2: the savepoint
# standing for BEGIN and COMMIT): the idempotency claim (1) and the record of its answer (1) are in it, and pay()
# takes no savepoint of its own inside it. The member (1); the locks on the wallet, the card and the coupon (3:
# whether the template allows the store comes with the coupon); the wallet's recharges read (1); the coupon used,
# conditionally on its state (1); the card's buckets the spend reaches read (1); the payment's events,
# coupon.redeemed and payment.made, in one INSERT that counts the coupon's sequence itself (1). Everything else the
# payment writes is held and sent together (loyalty.writes): on Postgres, one statement for the wallet (recharges,
# debit, balances, entries: 1), one for the coupon's redemption (1, sent by the buckets' read) and one for the card
# and the payment (earning, buckets, points and experience entries, card, payment, adjustments, tenders: 1). SQLite
# has no data-modifying CTEs and writes them one by one (10 more). The terminal, the merchant's settings, levels,
# tiers and rules come from the cache (checkout.services.config); with no webhook subscribed, queueing costs none.
PAY_QUERIES = 15 if connection.vendor == "postgresql" else 25


def test_a_full_stack_payment_takes_a_pinned_number_of_queries(shop, django_assert_max_num_queries):
    """Level + balance tier + points + coupon + stored value (bonus and principal), through the API with an
    Idempotency-Key: at most PAY_QUERIES queries (DESIGN.md, Performance targets), so none creep back in."""
    for _call in range(2):  # the merchant's settings rows exist, the terminal's last use is recorded, both cached
        warm_up = shop.api().post(PAYMENTS, body("10.00", external={"channel": "cash"}), format="json")
        assert warm_up.status_code == 201
    with django_assert_max_num_queries(PAY_QUERIES):
        response = shop.api().post(PAYMENTS, full_body(shop), format="json", HTTP_IDEMPOTENCY_KEY="pinned-1")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["amount_due"] == "146.00" and data["points_used"] == 500
    assert {t["kind"]: t["amount"] for t in data["tenders"]} == {"bonus": "30.00", "principal": "116.00"}
    # The answer is what the database holds.
    payment = Payment.objects.get(pk=data["id"])
    assert [(a.kind, f"{a.amount:.2f}") for a in payment.adjustments.all()] == [
        (a["kind"], a["amount"]) for a in data["adjustments"]]
    assert [(t.kind, f"{t.amount:.2f}") for t in payment.tenders.all()] == [
        (t["kind"], t["amount"]) for t in data["tenders"]]
    assert payment.points_earned == data["points_earned"] == 116
    assert payment.coupon_id == shop.coupon.pk and payment.wallet_debit_id is not None
